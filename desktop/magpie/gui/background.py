"""Organizing work (duplicates, albums, trash, copy and export) off the GUI thread.

It runs on the host's io lane, so none of it runs on the GUI thread, none of it makes a search
wait (searches have their own lane), and the host shuts it down with everything else. Work
returns plain data; the callback runs on the GUI thread, where widgets may be touched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal

if TYPE_CHECKING:
    from magpie.gui.host import EngineHost

log = logging.getLogger("magpie.gui.organize")

T = TypeVar("T")
_DROPPED = object()  # a job that did not run: nothing to deliver


class Background(QObject):
    """The organizer's jobs, on the host's io lane with the engine borrowed: results on the
    GUI thread, dropped once the window shuts down, never run on an engine being closed."""

    failed = Signal(str)  # a human message

    def __init__(self, host: EngineHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self._running = 0
        self._lock = threading.Lock()

    def run(self, work: Callable[[], T], then: Callable[[T], Any]) -> None:
        engine = self.host.engine  # the engine the job was planned with
        with self._lock:
            self._running += 1

        def job() -> T | object:
            try:
                with self.host.borrow_engine() as current:
                    if current is None or current is not engine:
                        log.info("organizing task dropped: the library was reopened")
                        return _DROPPED
                    return work()
            finally:
                with self._lock:
                    self._running -= 1

        def deliver(result: T | object) -> None:
            if result is not _DROPPED:  # a dropped job has nothing to say
                then(result)  # type: ignore[arg-type]

        self.host.tasks.run("io", job, deliver, lambda f: self.failed.emit(f.message))

    def wait(self, msecs: int = 30_000) -> bool:
        """Tests: until queued jobs ran and their results were delivered."""
        deadline = time.monotonic() + msecs / 1000
        while time.monotonic() < deadline:
            QCoreApplication.processEvents()
            with self._lock:
                idle = self._running == 0
            if idle:
                QCoreApplication.processEvents()
                return True
            time.sleep(0.01)
        return False
