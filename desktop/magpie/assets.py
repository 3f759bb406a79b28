"""Finding the packaged resources (icon, stylesheet, .desktop entry).

They ship as package data (`magpie.resources`, from the checkout's top-level resources/), so a
wheel install, an editable install and the frozen app all find them through importlib.
Qt-free, so the desktop-entry installer (no GUI) and the GUI share one lookup.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource(name: str) -> Path | None:
    """The file's path, or None when this install lacks it."""
    try:
        entry = resources.files("magpie.resources").joinpath(name)
    except ModuleNotFoundError:
        return None
    # package data is always a real file here (no zipped installs): a path Qt can read
    path = Path(str(entry))
    return path if path.is_file() else None
