"""Folder watching: watchdog observers per root, debounced and coalesced into dirty folders.

A burst of thousands of events becomes one callback with the set of folders that changed,
once the folders have been quiet for `quiet_s`. Native watching (inotify, FSEvents,
ReadDirectoryChangesW) falls back to polling for a root where it cannot start (inotify limits
reached, network shares), and the fallback is reported so the user can be told.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

log = logging.getLogger("magpie.watcher")

WATCH_MODES = ("native", "polling")
# File systems whose changes made on other machines never reach local change notifications.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "afs",
        "ncpfs",
        "9p",
        "fuse.sshfs",
        "fuse.rclone",
        "davfs",
        "fuse.gvfsd-fuse",
    }
)


def _mounts() -> list[tuple[str, str]]:
    """(mount point, file system type) pairs, longest mount point first (Linux)."""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    pairs = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 3:
            point = fields[1].replace("\\040", " ")
            pairs.append((point, fields[2]))
    return sorted(pairs, key=lambda p: len(p[0]), reverse=True)


def network_filesystem(path: str) -> str | None:
    """The network file system type holding `path`, or None for a local one."""
    real = os.path.realpath(path)
    for point, kind in _mounts():
        if real == point or real.startswith(point.rstrip("/") + "/"):
            return kind if kind in NETWORK_FILESYSTEMS else None
    return None


@dataclass(frozen=True)
class WatchedRoot:
    path: str
    mode: str  # "native" or "polling"


class _Collector(FileSystemEventHandler):
    def __init__(self, watcher: FolderWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        dirs = set()
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = os.fsdecode(raw)
            dirs.add(path if event.is_directory else os.path.dirname(path))
            if event.is_directory:
                dirs.add(os.path.dirname(path))  # a folder renamed: its parent changed too
        self.watcher._touch(dirs)


class FolderWatcher:
    """Calls on_change(dirty_folders) after each quiet period following file events."""

    def __init__(
        self,
        roots: list[WatchedRoot],
        on_change: Callable[[set[str]], None],
        quiet_s: float = 1.0,
        polling_interval_s: float = 5.0,
    ) -> None:
        self.roots = roots
        self.on_change = on_change
        self.quiet_s = quiet_s
        self.polling_interval_s = polling_interval_s
        self.fallbacks: dict[str, str] = {}  # root -> why it is polled instead of watched
        self.modes: dict[str, str] = {}
        self._observers: list[object] = []
        self._dirty: set[str] = set()
        self._cond = threading.Condition()
        self._last_event = 0.0
        self._stopped = False
        self._thread = threading.Thread(target=self._debounce, name="magpie-watch", daemon=True)

    def start(self) -> None:
        handler = _Collector(self)
        for root in self.roots:
            mode = root.mode
            remote = network_filesystem(root.path) if mode == "native" else None
            if remote is not None:
                reason = f"it is on a network share ({remote}), where change events do not arrive"
                log.warning("%s: %s; checking for changes by polling instead", root.path, reason)
                self.fallbacks[root.path] = reason
                mode = "polling"
            if mode == "native":
                try:
                    observer = Observer()
                    observer.schedule(handler, root.path, recursive=True)
                    observer.start()
                except OSError as exc:
                    reason = (
                        "the system's limit on watched folders is reached (inotify)"
                        if exc.errno in (errno.ENOSPC, errno.EMFILE)
                        else f"native watching failed ({exc.strerror or exc})"
                    )
                    log.warning(
                        "%s: %s; checking for changes by polling instead", root.path, reason
                    )
                    self.fallbacks[root.path] = reason
                    mode = "polling"
                else:
                    self._observers.append(observer)
            if mode == "polling":
                observer = PollingObserver(timeout=self.polling_interval_s)
                observer.schedule(handler, root.path, recursive=True)
                observer.start()
                self._observers.append(observer)
            self.modes[root.path] = mode
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        for observer in self._observers:
            observer.stop()  # type: ignore[attr-defined]
        for observer in self._observers:
            observer.join(timeout=5)  # type: ignore[attr-defined]
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _touch(self, dirs: set[str]) -> None:
        with self._cond:
            self._dirty |= dirs
            self._last_event = _now()
            self._cond.notify_all()

    def _debounce(self) -> None:
        while True:
            with self._cond:
                while not self._dirty and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                quiet_for = _now() - self._last_event
                if quiet_for < self.quiet_s:
                    self._cond.wait(self.quiet_s - quiet_for)
                    continue
                dirty, self._dirty = self._dirty, set()
            try:
                self.on_change(dirty)
            except Exception:
                log.exception("updating the index after file changes failed")

    def poke(self, dirs: set[str]) -> None:
        """Ask for another look at these folders (files that were still being written)."""
        self._touch(dirs)


def _now() -> float:
    import time

    return time.monotonic()


class ChangedFolders:
    """Folders reported changed, coalesced until the next update takes them (any thread).

    The one watch rule shared by `magpie watch` (Engine.watch) and the app's host: changes
    pile up while an update runs, and the next update takes them all at once.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._dirs: set[str] = set()

    def add(self, dirs: set[str]) -> bool:
        """True if nothing was waiting before (the caller schedules one update)."""
        with self._cond:
            first = not self._dirs
            self._dirs |= dirs
            self._cond.notify_all()
            return first

    def waiting(self) -> bool:
        """Changes wait for an update (lower-priority work should yield to them)."""
        with self._cond:
            return bool(self._dirs)

    def take(self) -> list[str]:
        with self._cond:
            dirs = sorted(self._dirs)
            self._dirs.clear()
            return dirs

    def wait(self, stop: threading.Event, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: bool(self._dirs) or stop.is_set(), timeout=timeout)
