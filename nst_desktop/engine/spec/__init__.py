"""The engine's torch-free specification: what a run is asked to do (params, region masks,
live edits, touches, presets, variations, schedule, tile plan), its events and errors.
import-linter keeps torch out of it (pyproject.toml), so the CLI and the GUI check and
describe a run before torch is imported."""
