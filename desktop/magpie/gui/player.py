"""Playing a video from a moment: the system's player, started at that time where it can be.

QtMultimedia is left out of the frozen bundle (size), so Magpie hands videos to a player.
mpv and VLC accept a start time on their command line; with neither installed the file opens
in the default player, from the start, and the caller says so.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QDesktopServices

# (program, arguments before the file) for players that can start at a time
_PLAYERS: list[tuple[str, list[str]]] = [
    ("mpv", ["--start={seconds}"]),
    ("vlc", ["--start-time={seconds}"]),
    ("celluloid", ["--mpv-start={seconds}"]),
]
_WINDOWS_VLC = Path("C:/Program Files/VideoLAN/VLC/vlc.exe")
_MAC_VLC = Path("/Applications/VLC.app/Contents/MacOS/VLC")


def player_command(path: str, seconds: float) -> list[str] | None:
    """The command that plays `path` from `seconds`, or None if no such player is found."""
    for program, args in _PLAYERS:
        found = shutil.which(program)
        if found is None and program == "vlc":
            candidate = _WINDOWS_VLC if sys.platform == "win32" else _MAC_VLC
            found = str(candidate) if candidate.is_file() else None
        if found is not None:
            return [found, *(a.format(seconds=f"{seconds:.3f}") for a in args), path]
    return None


def play_at(path: str, seconds: float) -> bool:
    """Start playing (detached, never blocks). True if it starts at `seconds`."""
    command = player_command(path, seconds)
    if command is not None and QProcess.startDetached(command[0], command[1:])[0]:
        return True
    QDesktopServices.openUrl(QUrl.fromLocalFile(path))
    return seconds <= 0
