"""Linux desktop integration: a .desktop entry and icon for the current user (XDG paths)."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from magpie.assets import resource
from magpie.core.errors import MagpieError

ENTRY_NAME = "magpie.desktop"
ICON_NAME = "magpie.svg"


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _resource(name: str) -> Path:
    path = resource(name)
    if path is None:
        raise MagpieError(f"{name} (resources folder) is missing from this install")
    return path


def launcher_command() -> str:
    """How the menu starts Magpie: the frozen app's GUI binary, else this Python's module."""
    if getattr(sys, "frozen", False):
        gui = Path(sys.executable).with_name("magpie-gui")
        if gui.exists():
            return shlex.quote(str(gui))
        return f"{shlex.quote(sys.executable)} gui"
    script = shutil.which("magpie-gui")
    if script:
        return shlex.quote(script)
    return f"{shlex.quote(sys.executable)} -m magpie gui"


def entry_paths() -> tuple[Path, Path]:
    data = _data_home()
    return (
        data / "applications" / ENTRY_NAME,
        data / "icons" / "hicolor" / "scalable" / "apps" / ICON_NAME,
    )


def install() -> list[Path]:
    entry, icon = entry_paths()
    template = _resource(ENTRY_NAME).read_text(encoding="utf-8")
    lines = [
        f"Exec={launcher_command()}" if line.startswith("Exec=") else line
        for line in template.splitlines()
    ]
    entry.parent.mkdir(parents=True, exist_ok=True)
    icon.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copyfile(_resource(ICON_NAME), icon)
    return [entry, icon]


def uninstall() -> list[Path]:
    removed = []
    for path in entry_paths():
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
