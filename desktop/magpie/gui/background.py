"""One background lane for organizing work: duplicates, albums, trash, copy and export.

Its own single thread, so none of it runs on the GUI thread and none of it makes a search wait
(searches have their own lane in EngineHost). Work returns plain data; the callback runs on
the GUI thread (a queued signal), where widgets may be touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from magpie.core.errors import MagpieError

log = logging.getLogger("magpie.gui.organize")

T = TypeVar("T")


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self.fn = fn

    def run(self) -> None:
        self.fn()


class Background(QObject):
    failed = Signal(str)  # a human message
    _done = Signal(object, object)  # callback, result: delivered on the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._done.connect(self._deliver)

    def run(self, work: Callable[[], T], then: Callable[[T], Any]) -> None:
        def task() -> None:
            try:
                result = work()
            except MagpieError as exc:
                self.failed.emit(str(exc))
            except Exception as exc:
                log.exception("organizing task failed")
                self.failed.emit(f"Something went wrong: {type(exc).__name__}: {exc}")
            else:
                self._done.emit(then, result)

        self._pool.start(_Task(task))

    @staticmethod
    def _deliver(then: Callable[[Any], Any], result: object) -> None:
        then(result)

    def wait(self, msecs: int = 30_000) -> bool:
        return self._pool.waitForDone(msecs)
