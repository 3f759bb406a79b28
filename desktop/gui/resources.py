"""Finding resources/ (icon, stylesheet, .desktop entry) from a checkout or a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon


def resources_dir() -> Path | None:
    candidates = [Path(__file__).resolve().parents[2] / "resources"]
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.insert(0, Path(frozen) / "resources")
    return next((c for c in candidates if c.is_dir()), None)


def resource(name: str) -> Path | None:
    folder = resources_dir()
    path = folder / name if folder is not None else None
    return path if path is not None and path.is_file() else None


def app_icon() -> QIcon:
    path = resource("magpie.svg")
    return QIcon(str(path)) if path is not None else QIcon()


def stylesheet() -> str:
    path = resource("style.qss")
    return path.read_text(encoding="utf-8") if path is not None else ""
