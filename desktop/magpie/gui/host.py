"""EngineHost: runs the library engine off the GUI thread and reports through Qt signals.

Two lanes, as in Picard: a writer thread for slow work (opening the model, scanning,
indexing, watching) and a one-thread pool for user queries, so a search never waits behind
indexing. A new query makes older ones stale: they are skipped at start, and their results
dropped if they finish late. Workers emit plain data; widgets are never touched here.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from magpie.core.engine import Engine, LibraryBusyError, SearchResult
from magpie.core.errors import MagpieError, ModelNotFoundError
from magpie.core.indexer import IndexControl, Progress
from magpie.core.watcher import FolderWatcher, WatchedRoot

log = logging.getLogger("magpie.gui.host")

STATUS_EVERY_S = 0.5  # counts while indexing: often enough to follow...
STATUS_SHARE = 10  # ...but at most a tenth of the indexer's time (big catalogs)


@dataclass(frozen=True)
class Query:
    """What the grid shows: text, reference images, 'similar to', or the library."""

    text: str = ""
    images: tuple[tuple[str, str | bytes], ...] = ()  # (label, path or encoded image)
    similar_to: str | None = None
    folder: str | None = None
    similar_time: float | None = None  # similar_to is a video: its frame at this time
    text_weight: float = 0.5  # the text's share when images are given too
    order: str = "best"  # the matches by "best" match or by "date"

    @property
    def empty(self) -> bool:
        return not (self.text.strip() or self.images or self.similar_to)

    def with_folder(self, folder: str | None) -> Query:
        return replace(self, folder=folder)


@dataclass
class Page:
    generation: int
    results: list[SearchResult] = field(default_factory=list)
    offset: int = 0
    has_more: bool = False
    seconds: float = 0.0


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self.fn = fn

    def run(self) -> None:
        self.fn()


class EngineHost(QObject):
    opened = Signal(dict)  # engine status, once the model and index are ready
    modelMissing = Signal()
    readOnly = Signal(str)  # another process writes this library: why
    statusChanged = Signal(dict)  # folders, counts, failures after any change
    progress = Signal(object)  # magpie.core.indexer.Progress
    indexingChanged = Signal(str)  # "indexing" | "paused" | "idle"
    pageReady = Signal(object)  # Page
    error = Signal(str)
    watchFallback = Signal(str, str)  # folder, reason it is polled
    switchChanged = Signal(object)  # magpie.core.switching.SwitchStatus

    def __init__(
        self,
        library: str | Path | None = None,
        model: str | None = None,
        device: str | None = None,
    ) -> None:
        super().__init__()
        self.library_arg = library
        self.model_arg = model
        self.device_arg = device
        self.engine: Engine | None = None
        self.writer = False
        self.control = IndexControl()
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._writer_loop, name="magpie-writer", daemon=True)
        self._queries = QThreadPool()
        self._queries.setMaxThreadCount(1)
        self._latest = 0
        self._watcher: FolderWatcher | None = None
        self._dirty: set[str] = set()
        self._dirty_lock = threading.Lock()
        self._closed = False
        self.switch: Any = None  # a ModelSwitch in progress (magpie.core.switching)

    # --- writer lane ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._jobs.put(self._open)

    def _writer_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except MagpieError as exc:
                self.error.emit(str(exc))
            except Exception as exc:
                log.exception("background task failed")
                self.error.emit(f"Something went wrong: {type(exc).__name__}: {exc}")

    def _open(self) -> None:
        if self.switch is not None:  # reopening ends a switch in progress; its vectors stay
            self.switch.cancel()
            self.switch.wait(30)
            self.switch = None
        if self.engine is not None:
            self._stop_watching()
            self.engine.close()
            self.engine = None
        engine = Engine(self.library_arg, self.model_arg, self.device_arg)
        self.engine = engine
        try:
            engine.acquire_writer()
            self.writer = True
        except LibraryBusyError as exc:
            self.writer = False
            self.readOnly.emit(str(exc))
        try:
            clip = engine.clip
        except ModelNotFoundError:
            self.modelMissing.emit()
            self.statusChanged.emit(engine.status())
            return
        # the text tower and the index now, not on the first keystroke; the image tower loads
        # only when a photo needs encoding (or an image query comes), and is released when idle
        clip.text  # noqa: B018
        engine.index  # noqa: B018
        status = engine.status()
        self.opened.emit(status)
        self.statusChanged.emit(status)
        if self.writer:
            self._start_watching()  # first, so nothing that changes during the update is missed
            self._update()

    def reopen(self, model: str | None = None, device: str | None = None) -> None:
        """Open again (a model was installed or chosen, or the device changed)."""
        if model is not None:
            self.model_arg = model
        if device is not None:
            self.device_arg = device
        self._jobs.put(self._open)

    def switch_model(self, name: str, auto_switch: bool = True) -> None:
        """Index with `name` in the background; searches keep the current model meanwhile."""
        from magpie.core.switching import ModelSwitch

        def changed(status: Any) -> None:
            self.switchChanged.emit(status)
            if status.state == "switched" and self.engine is not None:
                self.statusChanged.emit(self.engine.status())
                self._jobs.put(self._update)  # photos the new model has not embedded yet

        def job() -> None:
            if self.engine is None or not self.writer:
                raise MagpieError("the library is not open for writing: cannot switch models")
            if self.switch is not None:
                self.switch.cancel()
            self.switch = ModelSwitch(self.engine, name, auto_switch, changed).start()

        self._jobs.put(job)

    def _update(self, only_under: list[str] | None = None, settle_s: float = 0.0) -> None:
        engine = self.engine
        if engine is None or not self.writer:
            return
        self.indexingChanged.emit("paused" if self.control.paused else "indexing")
        try:
            report = engine.update(
                progress=self._progress_after_counts(engine),
                control=self.control,
                only_under=only_under,
                settle_s=settle_s,
            )
        finally:
            self.indexingChanged.emit("idle")
        if self.control.cancelled.is_set():
            self.control = IndexControl()
        if report.deferred and self._watcher is not None:
            self._watcher.poke(set(only_under or []))
        self.statusChanged.emit(engine.status())

    def _progress_after_counts(self, engine: Engine) -> Callable[[Progress], None]:
        """Fresh counts go out before a progress report (at most twice a second, at most a
        tenth of the time, always at the end); the grid's live refresh waits for them, so the
        folder panel and the status bar never show fewer photos than the grid."""
        due = 0.0

        def report(progress: Progress) -> None:
            nonlocal due
            now = time.monotonic()
            if progress.done >= progress.total or now >= due:
                status = engine.status()
                took = time.monotonic() - now
                # on a big catalog the counts cost more: keep them under a tenth of the time
                due = now + max(STATUS_EVERY_S, STATUS_SHARE * took)
                self.statusChanged.emit(status)
            self.progress.emit(progress)

        return report

    def add_folder(self, path: str, watch_mode: str = "native") -> None:
        def job() -> None:
            assert self.engine is not None
            self.engine.add_folder(path, watch_mode)
            self.statusChanged.emit(self.engine.status())
            self._restart_watching()
            self._update()

        self._jobs.put(job)

    def remove_folder(self, path: str) -> None:
        def job() -> None:
            assert self.engine is not None
            if self.control.cancelled.is_set():  # the cancel was for a run now over
                self.control = IndexControl()
            self.engine.remove_folder(path)
            self.statusChanged.emit(self.engine.status())
            self._restart_watching()

        self.control.cancel()  # an index run over that folder stops at its next batch
        self._jobs.put(job)

    def set_watch_mode(self, path: str, mode: str) -> None:
        def job() -> None:
            assert self.engine is not None
            self.engine.set_watch_mode(path, mode)
            self._restart_watching()
            self.statusChanged.emit(self.engine.status())

        self._jobs.put(job)

    def reindex(self) -> None:
        self._jobs.put(self._update)

    def pause(self) -> None:
        self.control.pause()
        self.indexingChanged.emit("paused")

    def resume(self) -> None:
        self.control.resume()
        self.indexingChanged.emit("indexing")

    # --- watching ---------------------------------------------------------------------------

    def _start_watching(self) -> None:
        engine = self.engine
        if engine is None or not self.writer or self._closed:
            return
        roots = [
            WatchedRoot(f.path, f.watch_mode)
            for f in engine.catalog.folders()
            if Path(f.path).is_dir()
        ]
        if not roots:
            return
        self._watcher = FolderWatcher(roots, self._on_files_changed)
        self._watcher.start()
        for folder, reason in self._watcher.fallbacks.items():
            self.watchFallback.emit(folder, reason)

    def _stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def _restart_watching(self) -> None:
        self._stop_watching()
        self._start_watching()

    def _on_files_changed(self, dirs: set[str]) -> None:
        """Watcher thread: coalesce into one pending update on the writer lane."""
        with self._dirty_lock:
            first = not self._dirty
            self._dirty |= dirs
        if first:
            self._jobs.put(self._update_dirty)

    def _update_dirty(self) -> None:
        with self._dirty_lock:
            dirs, self._dirty = sorted(self._dirty), set()
        if dirs:
            self._update(only_under=dirs, settle_s=1.0)

    # --- query lane -------------------------------------------------------------------------

    def search(self, query: Query, offset: int = 0, limit: int = 200) -> int:
        """Start a query; returns its generation (pages of older ones are dropped)."""
        if offset == 0:
            self._latest += 1
        generation = self._latest

        def task() -> None:
            if generation != self._latest or self.engine is None:
                return  # a newer query came first
            try:
                page = self._run_query(generation, query, offset, limit)
            except MagpieError as exc:
                self.error.emit(str(exc))
                return
            except Exception as exc:
                log.exception("query failed")
                self.error.emit(f"The search failed: {exc}")
                return
            if generation == self._latest:
                self.pageReady.emit(page)

        self._queries.start(_Task(task))
        return generation

    def _run_query(self, generation: int, query: Query, offset: int, limit: int) -> Page:
        import time

        engine = self.engine
        assert engine is not None
        started = time.monotonic()
        settings = engine.library.load_settings()
        filters: dict[str, Any] = {
            "offset": offset,
            "folder": query.folder,
            "order": query.order,
            "sensitivity": settings.match_sensitivity,
        }
        if query.similar_to:
            results = engine.similar(query.similar_to, limit, time=query.similar_time, **filters)
        elif query.images:  # the typed text counts too, by the user's weight
            sources = [source for _label, source in query.images]
            results = engine.search_images(
                sources, limit, text=query.text, text_weight=query.text_weight, **filters
            )
        elif query.text.strip():
            results = engine.search(query.text, limit, **filters)
        else:
            results = engine.browse(offset, limit, query.folder)
        return Page(generation, results, offset, len(results) == limit, time.monotonic() - started)

    def run_in_background(self, fn: Callable[[], None]) -> None:
        """Small jobs for the widgets (reading details for the preview...)."""
        self._queries.start(_Task(fn))

    # --- shutdown ---------------------------------------------------------------------------

    def shutdown(self) -> None:
        self._closed = True
        self.control.cancel()
        if self.switch is not None:
            self.switch.cancel()
            self.switch.wait(30)
        self._stop_watching()
        self._jobs.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._queries.waitForDone(10_000)
        if self.engine is not None:
            self.engine.close()
            self.engine = None
