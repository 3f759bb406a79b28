"""The app's icon, its light and dark palettes and the stylesheet drawn from them.

The theme follows the system (QStyleHints.colorScheme, live through colorSchemeChanged) unless
the user picks Light or Dark in View > Theme; the choice is kept in the GUI settings. Colours
live in the two palettes below; the stylesheet only refers to palette roles and to colours
derived from the palette, so every widget switches with it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from magpie.assets import resource
from magpie.gui.icons import icon

CHOICES = {"system": "System", "light": "Light", "dark": "Dark"}
SETTING = "theme"

Role = QPalette.ColorRole
# (role, light, dark): calm greys, one accent; text contrast >= 7:1 on both backgrounds
COLOURS: list[tuple[QPalette.ColorRole, str, str]] = [
    (Role.Window, "#f5f5f7", "#1f2023"),
    (Role.WindowText, "#1d1d1f", "#e9e9ec"),
    (Role.Base, "#ffffff", "#17181b"),
    (Role.AlternateBase, "#efeff2", "#25262a"),
    (Role.Text, "#1d1d1f", "#e9e9ec"),
    (Role.Button, "#ececef", "#2c2d31"),
    (Role.ButtonText, "#1d1d1f", "#e9e9ec"),
    (Role.BrightText, "#ffffff", "#ffffff"),
    (Role.Highlight, "#2b67d1", "#3d7be6"),
    (Role.HighlightedText, "#ffffff", "#ffffff"),
    (Role.Link, "#1f5bc4", "#79aaff"),
    (Role.LinkVisited, "#6a3fb5", "#b494f0"),
    (Role.ToolTipBase, "#ffffe8", "#2c2d31"),
    (Role.ToolTipText, "#1d1d1f", "#e9e9ec"),
    (Role.PlaceholderText, "#6e6e73", "#9a9ba1"),
    (Role.Light, "#ffffff", "#3a3b40"),
    (Role.Midlight, "#e3e3e8", "#34353a"),
    (Role.Mid, "#c4c4ca", "#4a4b51"),
    (Role.Dark, "#9c9ca3", "#111214"),
    (Role.Shadow, "#5c5c60", "#000000"),
]


def app_icon() -> QIcon:
    path = resource("magpie.svg")
    return QIcon(str(path)) if path is not None else QIcon()


def image_icon() -> QIcon:
    """The search bar's picture chip: an SVG, since an emoji needs a font that may be missing."""
    return icon("image")


def palette(dark: bool) -> QPalette:
    """The whole palette for one scheme; disabled text is the text faded towards the window."""
    result = QPalette()
    for role, light_colour, dark_colour in COLOURS:
        result.setColor(role, QColor(dark_colour if dark else light_colour))
    window = result.color(Role.Window)
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        result.setColor(QPalette.ColorGroup.Disabled, role, _mix(result.color(role), window, 0.5))
    return result


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() * (1 - t) + b.red() * t),
        round(a.green() * (1 - t) + b.green() * t),
        round(a.blue() * (1 - t) + b.blue() * t),
    )


def stylesheet(colours: QPalette | None = None) -> str:
    """style.qss with its derived colours filled in (sidebar shade, hover, borders)."""
    path = resource("style.qss")
    if path is None:
        return ""
    colours = colours or QGuiApplication.palette()
    window = colours.color(Role.Window)
    text = colours.color(Role.WindowText)
    accent = colours.color(Role.Highlight)
    derived = {
        "sidebar": _mix(window, text, 0.04).name(),
        "hover": _mix(window, text, 0.09).name(),
        "border": _mix(window, text, 0.16).name(),
        "muted": colours.color(Role.PlaceholderText).name(),
        "accent_soft": _mix(window, accent, 0.22).name(),
    }
    qss = path.read_text(encoding="utf-8")
    for key, value in derived.items():
        qss = qss.replace(f"@{key}", value)
    return qss


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


class Theme(QObject):
    """Applies the chosen scheme to the application and follows the system's when asked to."""

    changed = Signal(bool)  # dark or not, after each switch
    # the palette is the application's: the newest Theme (the newest window's) owns it, so an
    # older window still closing never answers a system change with its own choice
    owner: Theme | None = None

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        choice = str(settings.value(SETTING, "system"))
        self.choice = choice if choice in CHOICES else "system"
        self.dark = False
        Theme.owner = self
        QGuiApplication.styleHints().colorSchemeChanged.connect(self.system_changed)

    def set_choice(self, choice: str) -> None:
        if choice not in CHOICES:
            raise ValueError(f"theme must be one of {', '.join(CHOICES)}, not {choice!r}")
        self.choice = choice
        Theme.owner = self
        self.settings.setValue(SETTING, choice)
        self.apply()

    def system_changed(self, scheme: Qt.ColorScheme | None = None) -> None:
        if self.choice == "system" and Theme.owner is self:
            self.apply(scheme)

    def apply(self, scheme: Qt.ColorScheme | None = None) -> None:
        if self.choice == "system":
            dark = (scheme == Qt.ColorScheme.Dark) if scheme is not None else system_is_dark()
        else:
            dark = self.choice == "dark"
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        colours = palette(dark)
        if dark == self.dark and app.palette() == colours:
            return  # nothing to switch: spare every widget a re-polish
        self.dark = dark
        app.setPalette(colours)
        app.setStyleSheet(stylesheet(colours))
        self.changed.emit(dark)
