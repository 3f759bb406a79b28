"""EngineHost: runs the library engine off the GUI thread and reports through Qt signals.

One owner per thread. The writer lane owns the engine: only it opens, replaces and closes it,
and only it writes (scanning, indexing, watching, the int8 check). Queries run on their own
lane, as in Picard, so a search never waits behind indexing; they borrow the engine from
the writer, which waits until no query holds it before closing or replacing it. Widgets never
see the engine: they call the host, and results come back on the GUI thread through
magpie.gui.tasks. A new query makes older ones stale: skipped at start, dropped if late.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, SignalInstance

from magpie.core.engine import Engine, LibraryBusyError, SearchResult
from magpie.core.enrichment import EnrichProgress
from magpie.core.errors import MagpieError, ModelNotFoundError
from magpie.core.indexer import IndexControl, Progress
from magpie.core.int8 import Int8Check
from magpie.core.ocr import READER_ID
from magpie.core.records import PhotoDetails
from magpie.core.runtime import default_threads
from magpie.core.watcher import ChangedFolders, FolderWatcher
from magpie.gui.tasks import Failure, Tasks

log = logging.getLogger("magpie.gui.host")
T = TypeVar("T")

STATUS_EVERY_S = 0.5  # counts while indexing: often enough to follow...
STATUS_SHARE = 10  # ...but at most a tenth of the indexer's time (big catalogs)
# The text pass starts once nothing urgent has come for this long after indexing: the grid's
# refresh, thumbnails and the user's first searches go first.
ENRICH_GRACE_S = 2.0
WRITER_NICENESS = 5  # below the GUI thread; the indexer's decoders sit lower still (10)


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
    place: str | None = None  # only photos taken there (Places view, the place filter)

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


class _PassControl(IndexControl):
    """The text pass's view of the user's pause: it waits while paused, but gives the writer
    lane up when other work comes (a folder added while paused must still be added)."""

    def __init__(self, control: IndexControl, must_yield: Callable[[], bool]) -> None:
        super().__init__()
        self._control, self._must_yield = control, must_yield

    def wait_if_paused(self) -> bool:
        while self._control.paused:
            if self._control.cancelled.is_set() or self._must_yield():
                return False
            time.sleep(0.2)
        return not self._control.cancelled.is_set()


class _EngineSlot:
    """The engine as lent to the query lane; taken back only when no query holds it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._engine: Engine | None = None
        self._lent = 0

    @contextmanager
    def borrow(self) -> Iterator[Engine | None]:
        with self._cond:
            engine = self._engine
            self._lent += engine is not None
        try:
            yield engine
        finally:
            if engine is not None:
                with self._cond:
                    self._lent -= 1
                    self._cond.notify_all()

    def publish(self, engine: Engine) -> None:
        with self._cond:
            self._engine = engine

    def take(self) -> None:
        """Lend no more, and wait until the queries running with it are done (writer lane)."""
        with self._cond:
            self._engine = None
            self._cond.wait_for(lambda: self._lent == 0)


class EngineHost(QObject):
    opened = Signal(object)  # Status, once the model and index are ready
    modelMissing = Signal()
    readOnly = Signal(str)  # another process writes this library: why
    statusChanged = Signal(object)  # Status: folders, counts, failures after any change
    progress = Signal(object)  # magpie.core.indexer.Progress
    indexingChanged = Signal(str)  # "indexing" | "paused" | "idle"
    pageReady = Signal(object)  # Page
    error = Signal(str)
    watchFallback = Signal(str, str)  # folder, reason it is polled
    switchChanged = Signal(object)  # magpie.core.switching.SwitchStatus
    textProgress = Signal(object)  # magpie.core.enrichment.EnrichProgress (the OCR pass)
    textChanged = Signal(str)  # the OCR pass: "reading" | "paused" | "idle"

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
        self.writer = False
        self.ready = False  # a model and its index are loaded (GUI thread's view)
        # never replaced: a pause is the user's and outlives runs, cancels and reopenings
        self.control = IndexControl()
        # the writer indexes, reads text and saves: below the window (and the encoder it
        # loads with it), so a 2-core laptop indexing at full speed still scrolls smoothly
        self.tasks = Tasks({"writer": 1, "query": 1, "io": 2}, niceness={"writer": WRITER_NICENESS})
        self._engine: Engine | None = None  # the writer lane's; queries borrow it from _slot
        self._slot = _EngineSlot()
        self._latest = 0
        self._watcher: FolderWatcher | None = None
        self._changed = ChangedFolders()
        self.switch: Any = None  # a ModelSwitch in progress (magpie.core.switching)
        self._enrich_queued = False  # one text/places pass waits on the writer lane at most
        self._user_active_at = 0.0  # monotonic time of the last keystroke or scroll
        self._text_off = threading.Event()  # Settings turned reading text off: stop the pass
        self.opened.connect(lambda _status: setattr(self, "ready", True))
        # what the lanes run, as the GUI thread last heard: Pause says which one it paused
        self.indexing_now = False
        self.reading_now = False
        self.indexingChanged.connect(lambda state: setattr(self, "indexing_now", state != "idle"))
        self.textChanged.connect(lambda state: setattr(self, "reading_now", state != "idle"))

    def _post(self, signal: SignalInstance, *args: object) -> None:
        """From a lane: emit on the GUI thread (nothing once shut down)."""
        self.tasks.post(lambda values: signal.emit(*values), args)

    def _writer_job(self, job: Callable[[], None]) -> None:
        self.tasks.run("writer", job, failed=self._failed)

    def _failed(self, failure: Failure) -> None:
        self.error.emit(failure.message)

    # --- writer lane ------------------------------------------------------------------------

    def start(self) -> None:
        self._writer_job(self._open)

    def _open(self) -> None:
        self._close_engine()
        engine = Engine(self.library_arg, self.model_arg, self.device_arg)
        engine.text_threads = max(1, default_threads() - 1)  # a core stays with the window
        self._engine = engine
        try:
            engine.acquire_writer()
            self.writer = True
        except LibraryBusyError as exc:
            self.writer = False
            self._post(self.readOnly, str(exc))
        try:
            clip = engine.clip
        except ModelNotFoundError:
            self._slot.publish(engine)
            self._post(self.modelMissing)
            self._post(self.statusChanged, engine.status())
            return
        # the text tower and the index now, not on the first keystroke; the image tower loads
        # only when a photo needs encoding (or an image query comes), and is released when idle
        clip.text  # noqa: B018
        engine.index  # noqa: B018
        self._slot.publish(engine)
        status = engine.status()
        self._post(self.opened, status)
        self._post(self.statusChanged, status)
        if self.writer:
            self._start_watching()  # first, so nothing that changes during the update is missed
            self._update()

    def _close_engine(self) -> None:
        """Writer lane: end a model switch (its vectors stay), stop watching, take the engine
        back from the queries, close it."""
        if self.switch is not None:
            self.switch.cancel()
            self.switch.wait(30)
            self.switch = None
        self._stop_watching()
        self._slot.take()
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def reopen(self, model: str | None = None, device: str | None = None) -> None:
        """Open again (a model was installed or chosen, or the device changed)."""
        if model is not None:
            self.model_arg = model
        if device is not None:
            self.device_arg = device
        self.ready = False
        self._writer_job(self._open)

    def switch_model(self, name: str, auto_switch: bool = True) -> None:
        """Index with `name` in the background; searches keep the current model meanwhile."""
        from magpie.core.switching import ModelSwitch

        def changed(status: Any) -> None:  # the switch's thread
            self._post(self.switchChanged, status)
            if status.state == "switched":
                self._writer_job(self._after_switch)

        def job() -> None:
            engine = self._writable()
            if self.switch is not None:
                self.switch.cancel()
            self.switch = ModelSwitch(engine, name, auto_switch, changed).start()

        self._writer_job(job)

    def _after_switch(self) -> None:
        if self._engine is not None:
            self._post(self.statusChanged, self._engine.status())
            self._update()  # photos the new model has not embedded yet

    def _update(self, only_under: list[str] | None = None, settle_s: float = 0.0) -> None:
        engine = self._engine
        if engine is None or not self.writer:
            return
        self._post(self.indexingChanged, "paused" if self.control.paused else "indexing")
        progress = self._progress_after_counts(engine)
        try:
            if only_under is None:
                engine.update(progress, self.control)
            else:
                engine.update_changed(only_under, self._watcher, settle_s, progress, self.control)
            # the counts first: "idle" makes the window query again, and its grid must not
            # show photos the folder panel does not count yet
            self._post(self.statusChanged, engine.status())
        finally:
            self._post(self.indexingChanged, "idle")
        if self.control.cancelled.is_set() and not self.tasks.closed:
            self.control.reset_cancel()  # that cancel was for this run
        else:
            self._schedule_enrich()  # the photos are searchable: now their words and places

    # --- the second pass: words in photos and places (writer lane, lowest priority) ----------

    def _schedule_enrich(self) -> None:
        """Queue the text/places pass behind whatever the writer lane already has."""
        if self._enrich_queued or self.tasks.closed or not self.writer:
            return
        self._enrich_queued = True
        self._writer_job(self._enrich)

    def _must_yield(self) -> bool:
        """More urgent work waits (new photos to embed, a folder to add), or we are stopping."""
        return (
            self.tasks.closed
            or self._text_off.is_set()
            or self._changed.waiting()
            or self.tasks.waiting("writer") > 0
        )

    def _enrich(self) -> None:
        self._enrich_queued = False
        engine = self._engine
        if engine is None or not self.writer or self.tasks.closed:
            return
        read_text = engine.library.load_settings().read_text and not self._text_off.is_set()
        pending = engine.catalog.text_counts(READER_ID)[1] if read_text else 0
        # always after a grace: its first batch loads the OCR models and the places data
        # (imports that hold the interpreter), which must not land under the user's typing
        if not self._quiet_for(ENRICH_GRACE_S):
            if not self.control.cancelled.is_set():
                self._schedule_enrich()  # more urgent work came first: after it
            return
        if pending:  # said at once, so the line and Pause show before the first batch ends
            self._post(self.textChanged, "reading")
            self._post(self.textProgress, EnrichProgress(0, pending, 0.0, ""))
        try:
            run = engine.enrich(
                lambda p: self._post(self.textProgress, p),
                _PassControl(self.control, self._must_yield),
                self._must_yield,
                read_text=read_text,
            )
            if run.places or run.texts:
                self._post(self.statusChanged, engine.status())
        finally:
            self._post(self.textChanged, "idle")
        # it gave way to more urgent work: go on after it (a quit or a cancel ends it here)
        if (
            run.stopped_early
            and not self._text_off.is_set()
            and not self.control.cancelled.is_set()
        ):
            self._schedule_enrich()

    def _quiet_for(self, seconds: float) -> bool:
        """Writer lane: wait until neither the writer nor the user (typing, scrolling) has
        done anything for `seconds`; False if more urgent work came meanwhile."""
        started = time.monotonic()
        while time.monotonic() - max(started, self._user_active_at) < seconds:
            if self._must_yield() or self.control.cancelled.is_set():
                return False
            time.sleep(0.05)
        return True

    def note_user_activity(self) -> None:
        """GUI thread: the user typed or scrolled; background passes that can wait, wait."""
        self._user_active_at = time.monotonic()

    def set_read_text(self, on: bool) -> None:
        """Settings changed: stop the text pass at its next batch, or start it."""
        if on:
            self._text_off.clear()
            self._schedule_enrich()
        else:
            self._text_off.set()

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
                self._post(self.statusChanged, status)
            self._post(self.progress, progress)

        return report

    def _writable(self) -> Engine:
        if self._engine is None:
            raise MagpieError("the library is still opening; try again in a moment")
        if not self.writer:
            raise MagpieError(
                "another Magpie is updating this library, so this window is read-only"
            )
        return self._engine

    def add_folder(self, path: str, watch_mode: str = "native") -> None:
        def job() -> None:
            engine = self._writable()
            engine.add_folder(path, watch_mode)
            self._post(self.statusChanged, engine.status())
            self._restart_watching()
            self._update()

        self._writer_job(job)

    def remove_folder(self, path: str) -> None:
        def job() -> None:
            engine = self._writable()
            self.control.reset_cancel()  # the cancel was for a run now over
            engine.remove_folder(path)
            self._post(self.statusChanged, engine.status())
            self._restart_watching()
            self._schedule_enrich()  # a text pass it cancelled goes on with the other photos

        self.control.cancel()  # an index run over that folder stops at its next batch
        self._writer_job(job)

    def set_watch_mode(self, path: str, mode: str) -> None:
        def job() -> None:
            engine = self._writable()
            engine.set_watch_mode(path, mode)
            self._restart_watching()
            self._post(self.statusChanged, engine.status())

        self._writer_job(job)

    def reindex(self) -> None:
        self._writer_job(self._update)

    def check_int8(
        self,
        sample: int,
        done: Callable[[Int8Check], None],
        failed: Callable[[Failure], None],
    ) -> None:
        """Make and check the int8 tower: on the writer lane, as it writes into the pack."""
        self.tasks.run("writer", lambda: self._writable().check_int8(sample), done, failed)

    @property
    def paused(self) -> bool:
        return self.control.paused

    def pause(self) -> None:
        self.control.pause()  # the text pass checks the same control between batches
        if self.reading_now and not self.indexing_now:
            self.textChanged.emit("paused")
        else:
            self.indexingChanged.emit("paused")

    def resume(self) -> None:
        self.control.resume()
        if self.reading_now and not self.indexing_now:
            self.textChanged.emit("reading")
        else:
            self.indexingChanged.emit("indexing")

    # --- watching (writer lane) -------------------------------------------------------------

    def _start_watching(self) -> None:
        engine = self._engine
        if engine is None or not self.writer or self.tasks.closed:
            return
        roots = engine.watched_roots()
        if not roots:
            return
        self._watcher = FolderWatcher(roots, self._on_files_changed)
        self._watcher.start()
        for folder, reason in self._watcher.fallbacks.items():
            self._post(self.watchFallback, folder, reason)

    def _stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def _restart_watching(self) -> None:
        self._stop_watching()
        self._start_watching()

    def _on_files_changed(self, dirs: set[str]) -> None:
        """Watcher thread: coalesce into one pending update on the writer lane."""
        if self._changed.add(dirs):
            self._writer_job(self._update_changed)

    def _update_changed(self) -> None:
        dirs = self._changed.take()
        if dirs:
            self._update(only_under=dirs, settle_s=1.0)

    # --- query lane -------------------------------------------------------------------------

    def search(self, query: Query, offset: int = 0, limit: int = 200) -> int:
        """Start a query; returns its generation (pages of older ones are dropped)."""
        if offset == 0:
            self._latest += 1
        generation = self._latest

        def work() -> Page | None:
            if generation != self._latest:
                return None  # a newer query came first
            with self._slot.borrow() as engine:
                if engine is None:
                    return None  # opening: the window asks again once opened
                return self._run_query(engine, generation, query, offset, limit)

        def done(page: Page | None) -> None:
            if page is not None and page.generation == self._latest:
                self.pageReady.emit(page)

        self.tasks.run("query", work, done, self._failed)
        return generation

    @staticmethod
    def _run_query(engine: Engine, generation: int, query: Query, offset: int, limit: int) -> Page:
        started = time.monotonic()
        settings = engine.library.load_settings()
        filters: dict[str, Any] = {
            "offset": offset,
            "folder": query.folder,
            "order": query.order,
            "sensitivity": settings.match_sensitivity,
            "place": query.place,
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
            results = engine.browse(offset, limit, query.folder, place=query.place)
        return Page(generation, results, offset, len(results) == limit, time.monotonic() - started)

    def details(self, file_id: int, done: Callable[[PhotoDetails], None]) -> None:
        """One photo's details from the catalog, for the preview (query lane)."""

        def work() -> PhotoDetails | None:
            with self._slot.borrow() as engine:
                return engine.details(file_id) if engine is not None else None

        def deliver(details: PhotoDetails | None) -> None:
            if details:
                done(details)

        self.tasks.run("query", work, deliver, self._failed)

    def timeline_outline(
        self, folder: str | None, done: Callable[[list[tuple[int, int, int]]], None]
    ) -> None:
        """Photos per month, newest first, for the timeline's date scrubber (query lane)."""

        def work() -> list[tuple[int, int, int]]:
            from magpie.core.timeline import month_counts

            with self._slot.borrow() as engine:
                if engine is None:
                    return []
                where = Path(folder).expanduser().resolve() if folder is not None else None
                return month_counts(engine.catalog, engine.model_name, where)

        self.tasks.run("query", work, done, self._failed)

    def ask(self, work: Callable[[Engine], T], done: Callable[[T], None]) -> None:
        """work(engine) on the query lane (a catalog read: places, known names); done(result)
        on the GUI thread. Nothing comes back while the library opens."""

        def run() -> tuple[T] | None:
            with self._slot.borrow() as engine:
                return (work(engine),) if engine is not None else None

        def deliver(value: tuple[T] | None) -> None:
            if value is not None:
                done(value[0])

        self.tasks.run("query", run, deliver, self._failed)

    def compare_models(
        self,
        text: str,
        k: int,
        work: Callable[[Any, Any], T],
        done: Callable[[T], None],
        failed: Callable[[Failure], None] | None = None,
    ) -> None:
        """Both models' results for `text` while a switch runs (query lane, engine borrowed);
        `work(comparison, thumbnails)` turns them into what the widget shows, off the GUI
        thread; `done` gets that on the GUI thread. Nothing happens when no switch runs."""
        switch = self.switch

        def run() -> T | None:
            with self._slot.borrow() as engine:
                if engine is None or switch is None:
                    return None
                (row,) = switch.compare([text], k)
                return work(row, engine.thumbnails)

        def deliver(value: T | None) -> None:
            if value is not None:
                done(value)

        self.tasks.run("query", run, deliver, failed or self._failed)

    def borrow_engine(self) -> AbstractContextManager[Engine | None]:
        """The open engine, kept open while the block runs (None while the library opens)."""
        return self._slot.borrow()

    @property
    def engine(self) -> Engine | None:
        """The open engine as the GUI thread last saw it: the organizer plans its jobs with
        it, and they run only if it is still the open one (Background, borrow_engine)."""
        return self._engine

    def run_with_engine(self, fn: Callable[[Engine | None], None]) -> None:
        """fn(engine) off the GUI thread, the engine borrowed as queries borrow it (None while
        the library opens): small edits that must not wait behind a long index run."""

        def work() -> None:
            with self._slot.borrow() as engine:
                fn(engine)

        self.tasks.run("io", work, failed=self._failed)

    def run_in_background(self, fn: Callable[[], None]) -> None:
        """Small jobs for the widgets that need no engine (decoding a preview, PNG-encoding)."""
        self.tasks.run("io", fn, failed=self._failed)

    # --- shutdown: the one place background work ends ----------------------------------------

    def shutdown(self, timeout_s: float = 30.0) -> bool:
        """Stop all lanes; the engine is closed by the writer lane itself, after its last job.

        True if everything ended in time. If a job is still running when the time is up, the
        engine stays open under it and is closed when that job ends, never beneath it.
        """
        if self.tasks.closed:
            return True
        self.control.cancel()
        if self.switch is not None:  # stops now; the writer lane waits for it when closing
            self.switch.cancel()
        self.tasks.run("writer", self._close_engine, always=True)
        return self.tasks.shutdown(timeout_s)
