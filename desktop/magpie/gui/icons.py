"""The app's icons: small monochrome SVGs (resources/icons/) drawn in the palette's colours.

Each icon is rendered from its vector at the size and device pixel ratio asked for, so it is
crisp on any screen, and painted with the current palette's text colour (the disabled text
colour when disabled), so one file serves the light and the dark theme and follows a live switch.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from magpie.assets import resource

# every icon the GUI uses; a test checks each one is shipped and renders
NAMES = [
    "add",
    "album",
    "close",
    "copy",
    "duplicates",
    "folder",
    "image",
    "info",
    "keyboard",
    "library",
    "model",
    "next",
    "open",
    "pause",
    "places",
    "play",
    "previous",
    "quit",
    "remove",
    "search",
    "settings",
    "similar",
    "smart",
    "theme",
    "trash",
    "warning",
    "watching",
]


@cache
def _svg(name: str) -> str:
    path = resource(f"icons/{name}.svg")
    if path is None:
        raise KeyError(f"no icon named {name!r} in this install")
    return path.read_text(encoding="utf-8")


class SvgIconEngine(QIconEngine):
    """Paints one SVG in a palette colour, at whatever size it is asked for."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def _colour(self, mode: QIcon.Mode) -> str:
        palette = QGuiApplication.palette()
        group = (
            QPalette.ColorGroup.Disabled
            if mode == QIcon.Mode.Disabled
            else QPalette.ColorGroup.Normal
        )
        role = (
            QPalette.ColorRole.HighlightedText
            if mode == QIcon.Mode.Selected
            else QPalette.ColorRole.WindowText
        )
        return palette.color(group, role).name()

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        svg = _svg(self.name).replace("currentColor", self._colour(mode))
        renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
        renderer.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        renderer.render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pixmap

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        # rendered at device pixels, then tagged: sharp on a 2x (or 1.25x) screen
        pixmap = self.pixmap(size * scale, mode, state)
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        return size

    def clone(self) -> QIconEngine:
        return SvgIconEngine(self.name)

    def key(self) -> str:
        return "magpie-svg"


def icon(name: str) -> QIcon:
    """The named icon (one of NAMES), drawn in the theme's colours."""
    _svg(name)  # a missing icon fails here, not silently at paint time
    return QIcon(SvgIconEngine(name))
