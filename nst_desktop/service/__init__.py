"""The render service: one path from inputs to a recorded picture, below the CLI and the GUI."""
