"""The app's icon and stylesheet as Qt objects (files found by magpie.assets)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from magpie.assets import resource


def app_icon() -> QIcon:
    path = resource("magpie.svg")
    return QIcon(str(path)) if path is not None else QIcon()


def stylesheet() -> str:
    path = resource("style.qss")
    return path.read_text(encoding="utf-8") if path is not None else ""


def image_icon() -> QIcon:
    """The search bar's picture chip: an SVG, since an emoji needs a font that may be missing."""
    path = resource("image.svg")
    return QIcon(str(path)) if path is not None else QIcon()
