"""Tests never touch the real home: HOME and the XDG folders point into a temporary folder.

Set before anything imports platformdirs or Qt (conftest imports this first), for this
process and every subprocess a test starts. The real library folder is fingerprinted first so
the session can prove it was left alone.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

XDG_VARS = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


def real_library_dir(home: Path) -> Path:
    """Where platformdirs puts the real library (Linux; elsewhere the check is a no-op)."""
    data = os.environ.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    return Path(data) / "Magpie"


def fingerprint(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file under root: what 'nothing was written' is checked by."""
    found: dict[str, tuple[int, int]] = {}
    if root.is_dir():
        for path in root.rglob("*"):
            try:
                stat = path.lstat()
            except OSError:
                continue
            found[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return found


class Isolation:
    """The real home as it was, and the temporary home the session uses instead."""

    def __init__(self) -> None:
        self.real_home = Path.home()
        self.real_library = real_library_dir(self.real_home)
        self.before = fingerprint(self.real_library)
        self.home = Path(tempfile.mkdtemp(prefix="magpie-test-home-"))

    def apply(self) -> None:
        os.environ["HOME"] = str(self.home)
        for name in XDG_VARS:
            folder = self.home / name.lower()
            folder.mkdir(exist_ok=True)
            os.environ[name] = str(folder)
        runtime = self.home / "xdg_runtime_dir"
        runtime.mkdir(mode=0o700, exist_ok=True)  # Qt warns unless it is private
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        os.environ.pop("MAGPIE_LIBRARY", None)

    def real_library_changes(self) -> list[str]:
        after = fingerprint(self.real_library)
        return sorted(
            p for p in after.keys() | self.before.keys() if after.get(p) != self.before.get(p)
        )

    def traces_in_real_library(self, markers: list[str]) -> list[str]:
        """Changed files of the real library whose new bytes name this session's folders.

        Other processes on the machine (the user's app, other checkouts' test runs) may change
        the real library meanwhile; what this session wrote would name its own temporary
        folders (every library, photo and pack of a test lives under them).
        """
        found = []
        for name in self.real_library_changes():
            path = Path(name)
            old_size = self.before.get(name, (0, 0))[0]
            try:
                with path.open("rb") as fh:
                    fh.seek(old_size if path.stat().st_size >= old_size else 0)
                    new = fh.read()
            except OSError:
                continue
            if any(marker.encode() in new for marker in markers):
                found.append(name)
        return found


SESSION: Isolation | None = None


def isolate() -> Isolation:
    """Once per session (conftest, at import): move HOME and XDG into a temporary folder."""
    global SESSION
    if SESSION is None:
        SESSION = Isolation()
        SESSION.apply()
    return SESSION
