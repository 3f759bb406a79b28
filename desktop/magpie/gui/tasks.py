"""Background work for the GUI: lanes of worker threads, results delivered on the GUI thread.

The Anki QueryOp shape: `tasks.run(lane, work, done, failed)` runs `work()` on a lane's
thread; `done(result)` or `failed(Failure)` then runs on the GUI thread, unless the tasks were
shut down meanwhile (a window closing never receives late results). A lane is a FIFO with its
own threads, so a search never waits behind indexing (Picard's pools by urgency). Shut down
once (EngineHost.shutdown, from run_app), which joins the threads: none is left running
Python code while the interpreter finalises.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from magpie.core import runtime
from magpie.core.errors import MagpieError

log = logging.getLogger("magpie.gui.tasks")

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """Why a task failed: `message` is for the user; `expected` is False for a bug."""

    message: str
    expected: bool


def describe(exc: BaseException) -> Failure:
    if isinstance(exc, MagpieError):
        return Failure(str(exc), True)
    return Failure(f"Something went wrong: {type(exc).__name__}: {exc}", False)


@dataclass
class _Job(Generic[T]):
    work: Callable[[], T]
    done: Callable[[T], None] | None
    failed: Callable[[Failure], None] | None
    always: bool  # runs even after shutdown began (the engine's final close)
    cancel: threading.Event | None  # set at shutdown: the work stops early (a download)


class _Courier(QObject):
    """Lives on the GUI thread; a signal emitted by a worker runs the callback there."""

    deliver = Signal(object)


class Lane:
    """One FIFO of jobs served by `threads` worker threads."""

    def __init__(self, name: str, threads: int, tasks: Tasks, niceness: int = 0) -> None:
        self.name = name
        self.niceness = niceness
        self._tasks = tasks
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"magpie-{name}-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def put(self, job: _Job) -> None:
        self._jobs.put(job)

    def on_lane(self) -> bool:
        return threading.current_thread() in self._threads

    def waiting(self) -> int:
        """Jobs queued and not started (approximate: for yielding to them, not counting)."""
        return self._jobs.qsize()

    def _serve(self) -> None:
        if self.niceness:
            # background lanes give way to the GUI thread; what they start inherits it (the
            # encoder's compute threads are made on the writer lane when the model loads)
            runtime.lower_thread_priority(self.niceness)
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if self._tasks.closed and not job.always:
                continue  # queued before shutdown: nobody waits for it any more
            try:
                result = job.work()
            except Exception as exc:
                failure = describe(exc)
                if not failure.expected:
                    log.exception("background task failed (%s lane)", self.name)
                if job.failed is not None:
                    self._tasks.post(job.failed, failure)
                elif failure.expected:
                    log.info("%s", failure.message)
            else:
                if job.done is not None:
                    self._tasks.post(job.done, result)

    def stop(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)

    def join(self, deadline: float) -> bool:
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)


class Tasks:
    """The GUI's lanes; made on the GUI thread, shut down once, in one place."""

    def __init__(self, lanes: dict[str, int], niceness: dict[str, int] | None = None) -> None:
        """lanes: name -> threads; niceness: name -> how far below the GUI thread its
        threads run (Linux; 0 or absent: beside it)."""
        self.closed = False
        self._cancels: list[threading.Event] = []
        self._courier = _Courier()
        self._courier.deliver.connect(self._run_delivered)
        niceness = niceness or {}
        self._lanes = {
            name: Lane(name, threads, self, niceness.get(name, 0))
            for name, threads in lanes.items()
        }

    def run(
        self,
        lane: str,
        work: Callable[[], T],
        done: Callable[[T], None] | None = None,
        failed: Callable[[Failure], None] | None = None,
        always: bool = False,
        cancel: threading.Event | None = None,
    ) -> bool:
        """Queue `work` on a lane; False (and nothing runs) once shut down.

        `cancel`, if given, is set when the tasks shut down: long work watches it and stops.
        """
        if self.closed and not always:
            return False
        if cancel is not None:
            self._cancels.append(cancel)
        self._lanes[lane].put(_Job(work, done, failed, always, cancel))
        return True

    def on_lane(self, lane: str) -> bool:
        return self._lanes[lane].on_lane()

    def waiting(self, lane: str) -> int:
        """Jobs queued on `lane` that have not started yet."""
        return self._lanes[lane].waiting()

    def post(self, callback: Callable[[T], None], value: T) -> None:
        """From a worker: run callback(value) on the GUI thread (dropped after shutdown)."""
        if not self.closed:
            self._courier.deliver.emit(lambda: callback(value))

    def _run_delivered(self, call: Callable[[], None]) -> None:
        if not self.closed:
            call()

    def shutdown(self, timeout_s: float = 30.0) -> bool:
        """No more results; queued jobs are skipped; True if every thread ended in time."""
        self.closed = True
        for cancel in self._cancels:
            cancel.set()
        deadline = time.monotonic() + timeout_s
        for lane in self._lanes.values():
            lane.stop()
        finished = all([lane.join(deadline) for lane in self._lanes.values()])
        if not finished:
            log.warning("background work still running %.1f s after quitting", timeout_s)
        return finished
