"""Values kept between launches: a small wrapper over QSettings with ONE defaults table.

MNELAB-style: every key the app stores is listed in :data:`DEFAULTS` with its default,
and :meth:`Settings.read` converts what QSettings returns (INI files give back strings)
to the type of that default. Params fields are stored as JSON so that tuples, floats
and ``None`` survive any backend; their defaults come from the engine's ``Params``.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.params import DEFAULTS as PARAM_DEFAULTS
from nst_desktop.engine.spec.params import Params

MAX_RECENT = 10

DEFAULTS: dict[str, Any] = {
    **{f"params/{f.name}": getattr(PARAM_DEFAULTS, f.name) for f in fields(Params)},
    "inputs/content": "",
    "inputs/styles": [],  # list of [path, weight]
    "inputs/initialised": False,  # False until the first launch has loaded the samples
    "recent/files": [],
    "window/geometry": QByteArray(),
    "window/state": QByteArray(),
    "view/advanced_open": False,
    "paths/last_dir": "",
    "queue/output_folder": "",  # "Add to queue" and Queue all write here ("": Pictures/NST Desktop)
    "queue/run_on": "local",  # where new jobs are painted: "local" or "farm" (gui.queue_farm)
    # What finished runs measured (gui.learned_speed): a calibrated speed with the measured /
    # modelled ratios at it. The older "estimate/speed_factor_v2" (a ratio without the speed it
    # was measured at) is not read: applied to another launch's calibration it misled.
    "estimate/learned_speed": [],
    "farm/url": "",  # Settings > Render farm (gui.farm_dialog)
    "farm/token": "",
}


class Settings:
    """Typed access to the app's settings, an INI file in the settings folder (or ``path``)."""

    def __init__(self, path: Path | str | None = None) -> None:
        if path is None:
            from nst_desktop.io.paths import settings_dir  # honours NST_DESKTOP_HOME

            path = settings_dir() / "settings.ini"
        self.path = Path(path)
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    def read(self, key: str) -> Any:
        default = DEFAULTS[key]
        raw = self._qs.value(key)
        if raw is None:
            return default
        if key.startswith("params/") or isinstance(default, (list, bool)):
            return _from_json(raw, default)
        if isinstance(default, QByteArray):
            return raw if isinstance(raw, QByteArray) else default
        try:
            return type(default)(raw)
        except (TypeError, ValueError):
            return default

    def write(self, key: str, value: Any) -> None:
        if key not in DEFAULTS:
            raise KeyError(f"unknown settings key {key!r}: add it to settings.DEFAULTS")
        default = DEFAULTS[key]
        if key.startswith("params/") or isinstance(default, (list, bool)):
            value = json.dumps(list(value) if isinstance(value, tuple) else value)
        self._qs.setValue(key, value)

    def sync(self) -> None:
        self._qs.sync()

    # --- Params --------------------------------------------------------------------------
    def read_params(self) -> Params:
        """The stored Params; any invalid stored value falls back to its default."""
        values = {f.name: self.read(f"params/{f.name}") for f in fields(Params)}
        try:
            return Params.from_dict(values)
        except (ParamsError, TypeError, ValueError):
            return _salvage(values)

    def write_params(self, params: Params) -> None:
        for f in fields(Params):
            self.write(f"params/{f.name}", getattr(params, f.name))

    # --- recent files ------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        return [str(p) for p in self.read("recent/files") if isinstance(p, str)]

    def add_recent(self, path: Path | str) -> list[str]:
        entry = str(path)
        recent = [entry] + [p for p in self.recent_files() if p != entry]
        self.write("recent/files", recent[:MAX_RECENT])
        return recent[:MAX_RECENT]


def _from_json(raw: Any, default: Any) -> Any:
    if not isinstance(raw, str):
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        return default
    return tuple(value) if isinstance(default, tuple) and isinstance(value, list) else value


def _salvage(values: dict[str, Any]) -> Params:
    """Keep each stored value that is valid on its own, reset the others."""
    params = PARAM_DEFAULTS
    for name, value in values.items():
        try:
            params = params.with_changes(**{name: value})
        except (ParamsError, TypeError, ValueError):
            continue
    return params
