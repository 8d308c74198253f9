"""One small Qt class per kind of control, each bound to one ``Params`` field (or a
layer list with its weights), emitting the changes it makes as a dict of field values."""

from nst_desktop.gui.controls.base import FieldControl
from nst_desktop.gui.controls.factory import control_for

__all__ = ["FieldControl", "control_for"]
