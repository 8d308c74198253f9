"""Light and dark palettes for the Fusion style, chosen from the system's colour scheme."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

_DARK = {
    Role.Window: "#2b2b2e", Role.WindowText: "#e8e8e8", Role.Base: "#1f1f22",
    Role.AlternateBase: "#2f2f33", Role.ToolTipBase: "#3a3a3e", Role.ToolTipText: "#f0f0f0",
    Role.PlaceholderText: "#8a8a8a", Role.Text: "#e8e8e8", Role.Button: "#35353a",
    Role.ButtonText: "#e8e8e8", Role.BrightText: "#ff6b6b", Role.Link: "#6ea8ff",
    Role.Highlight: "#3d7bd9", Role.HighlightedText: "#ffffff", Role.Mid: "#4a4a50",
    Role.Dark: "#1a1a1c", Role.Light: "#4a4a50", Role.Shadow: "#000000",
}
_LIGHT = {
    Role.Window: "#efeff1", Role.WindowText: "#1e1e1e", Role.Base: "#ffffff",
    Role.AlternateBase: "#f5f5f7", Role.ToolTipBase: "#ffffe1", Role.ToolTipText: "#1e1e1e",
    Role.PlaceholderText: "#8a8a8a", Role.Text: "#1e1e1e", Role.Button: "#e6e6e9",
    Role.ButtonText: "#1e1e1e", Role.BrightText: "#d00000", Role.Link: "#1a5fd0",
    Role.Highlight: "#3d7bd9", Role.HighlightedText: "#ffffff", Role.Mid: "#b8b8bd",
    Role.Dark: "#9a9aa0", Role.Light: "#ffffff", Role.Shadow: "#505050",
}


def palette_for(dark: bool) -> QPalette:
    """A complete palette (every role, with greyed-out disabled text)."""
    palette = QPalette()
    for role, colour in (_DARK if dark else _LIGHT).items():
        palette.setColor(role, QColor(colour))
    disabled = QColor("#707074") if dark else QColor("#a0a0a4")
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        palette.setColor(Group.Disabled, role, disabled)
    return palette
