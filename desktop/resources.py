"""Finding resources/ (icon, stylesheet, .desktop entry) from a checkout or a frozen build.

Qt-free, so the desktop-entry installer (no GUI) and the GUI share one lookup.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path | None:
    candidates = [Path(__file__).resolve().parent.parent / "resources"]
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.insert(0, Path(frozen) / "resources")
    return next((c for c in candidates if c.is_dir()), None)


def resource(name: str) -> Path | None:
    folder = resources_dir()
    path = folder / name if folder is not None else None
    return path if path is not None and path.is_file() else None
