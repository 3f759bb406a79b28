"""Switching models without downtime.

The library keeps answering with the model in use while a second model embeds every photo in
the background (its vectors are stored under its own name in the catalog, so the two never
mix). When that is done, or earlier when the user says so, the engine adopts the new model and
its index in one step; photos it has not embedded yet are indexed by the next update. Until
then `compare()` shows both models' results for the same queries, side by side.

    switch = ModelSwitch(engine, "ViT-B-16-SigLIP__webli")
    switch.start()            # background thread; engine.search() keeps answering
    switch.compare(["a dog on a bench"])
    switch.switch_now()       # or wait: it switches by itself when done (auto_switch)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from magpie.core.encoders import ClipModel
from magpie.core.errors import MagpieError
from magpie.core.indexer import IndexControl, Indexer, Progress
from magpie.core.pack_store import resolve_model
from magpie.core.vectorindex import VectorIndex

if TYPE_CHECKING:
    from magpie.core.engine import Engine, SearchResult

log = logging.getLogger("magpie.switching")

MAX_PASSES = 5  # photos added while indexing are picked up by another pass, a few times


@dataclass(frozen=True)
class Comparison:
    query: str
    current: list[SearchResult]  # the model in use
    candidate: list[SearchResult]  # the model being switched to (so far)


@dataclass(frozen=True)
class SwitchStatus:
    state: str  # indexing | ready | switched | cancelled | failed
    current: str
    candidate: str
    done: int  # photos the candidate has embedded
    total: int  # photos in the library
    error: str | None = None


class ModelSwitch:
    """One switch from the engine's model to `target` (an installed pack name or folder)."""

    def __init__(
        self,
        engine: Engine,
        target: str,
        auto_switch: bool = True,
        on_change: Callable[[SwitchStatus], None] | None = None,
    ) -> None:
        engine.acquire_writer()  # the candidate's vectors go into the catalog
        self.engine = engine
        self.auto_switch = auto_switch
        self.on_change = on_change
        pack = resolve_model(engine.library, target)
        if pack.name == engine.model_name:
            raise MagpieError(f"{pack.name} is already the model in use")
        settings = engine.library.load_settings()
        device = engine._device or settings.device
        self.clip = ClipModel(pack, device, language=settings.language)
        self.index = VectorIndex(pack.embed_dim)
        self.control = IndexControl()
        self.state = "indexing"
        self.error: str | None = None
        self.progress: Progress | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.finished = threading.Event()

    @property
    def name(self) -> str:
        return self.clip.name

    # --- the background indexing --------------------------------------------------------------

    def start(self) -> ModelSwitch:
        self._thread = threading.Thread(target=self._run, name="magpie-switch", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            ids, vectors = self.engine.catalog.vectors(self.name, self.clip.dim)
            self.index.add(ids, vectors)  # resumes a switch an earlier run began
            self._notify()
            for _ in range(MAX_PASSES):
                if not self.engine.catalog.pending(self.name) or self.control.cancelled.is_set():
                    break
                indexer = Indexer(
                    self.engine.catalog,
                    self.clip.image,
                    self.name,
                    self.index,
                    self.engine.thumbnails,
                )
                indexer.run(progress=self._progress, control=self.control)
            with self._lock:
                if self.state == "indexing":
                    self.state = "cancelled" if self.control.cancelled.is_set() else "ready"
            self._notify()
            if self.state == "ready" and self.auto_switch:
                self.switch_now()
        except Exception as exc:  # reported to the user; the model in use is untouched
            log.exception("switching to %s failed", self.name)
            with self._lock:
                self.state, self.error = "failed", str(exc)
            self._notify()
        finally:
            self.finished.set()

    def _progress(self, progress: Progress) -> None:
        self.progress = progress
        self._notify()

    def _notify(self) -> None:
        if self.on_change is not None:
            self.on_change(self.status())

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    def cancel(self) -> None:
        """Stop indexing; the model in use stays. The vectors made so far are kept for later."""
        with self._lock:
            if self.state == "indexing":
                self.state = "cancelled"
        self.control.cancel()

    # --- what the user sees -------------------------------------------------------------------

    def status(self) -> SwitchStatus:
        counts = self.engine.catalog.counts(self.name)
        done = counts.images
        total = done + counts.pending
        current = self.engine.model_name if self.state != "switched" else self.name
        return SwitchStatus(self.state, current, self.name, done, total, self.error)

    def search(self, text: str, k: int = 20) -> list[SearchResult]:
        """The candidate's results, from the photos it has embedded so far."""
        query = self.clip.embed_texts([text])[0]
        return self.engine.search_vector(query, k, model=(self.clip, self.index))

    def compare(self, queries: Sequence[str], k: int = 12) -> list[Comparison]:
        """Both models' results for the same queries, for a side-by-side view."""
        return [
            Comparison(q, self.engine.search(q, k), self.search(q, k)) for q in queries if q.strip()
        ]

    # --- the switch ---------------------------------------------------------------------------

    def switch_now(self) -> None:
        """Make the candidate the model in use (even before it has embedded every photo: the
        next update indexes the rest), and remember it in the settings."""
        with self._lock:
            if self.state in ("switched", "failed"):
                return
            self.state = "switched"
        self.control.cancel()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        # a fresh index from the catalog drops photos deleted while the switch ran
        ids, vectors = self.engine.catalog.vectors(self.name, self.clip.dim)
        index = VectorIndex(self.clip.dim)
        if len(ids) >= index.approximate_from:
            index.build_approximate(ids, vectors)
        else:
            index.add(ids, vectors)
        self.index = index
        self.engine.adopt_model(self.clip, index)
        if (self.engine.library.models_dir / self.name).is_dir():  # installed, not a folder
            settings = self.engine.library.load_settings()
            settings.model = self.name
            self.engine.library.save_settings(settings)
        log.info("switched to %s (%d photos embedded)", self.name, len(index))
        self._notify()
