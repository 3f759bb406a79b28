"""The library engine: the one object the CLI, the GUI and scripts talk to.

    from magpie.core.engine import open_library
    hits = open_library("~/Pictures").search("a dog on a bench")

One process writes a library at a time (a lock file the OS releases if it dies); any number
read it (SQLite WAL), so a CLI search works while the app indexes.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from magpie.core import imaging, runtime
from magpie.core.catalog import Catalog, Folder
from magpie.core.encoders import ClipModel
from magpie.core.errors import MagpieError, ModelNotFoundError
from magpie.core.indexer import IndexControl, Indexer, Progress, ThumbnailCache
from magpie.core.library import Library
from magpie.core.pack_store import resolve_model
from magpie.core.scanner import ScanReport, scan
from magpie.core.stores import StoreSpec, resolve_store_spec
from magpie.core.stores.base import SearchFilters, VectorStore
from magpie.core.stores.faiss_store import FaissStore
from magpie.core.watcher import WATCH_MODES, FolderWatcher, WatchedRoot

log = logging.getLogger("magpie.engine")


class LibraryBusyError(MagpieError):
    """Another process is already writing this library."""


@dataclass(frozen=True)
class SearchResult:
    path: str
    score: float
    file_id: int
    fingerprint: str | None = None  # the thumbnail cache key
    machine: str | None = None  # set when the photo lives on another machine (shared store)


@dataclass
class UpdateReport:
    indexed: int = 0
    unchanged: int = 0
    moved: int = 0
    removed: int = 0
    failed: int = 0
    seconds: float = 0.0
    deferred: int = 0
    offline: list[str] = field(default_factory=list)
    waiting: int = 0  # left to another shard of a shared store

    def to_json(self) -> dict[str, Any]:
        return {
            "indexed": self.indexed,
            "unchanged": self.unchanged,
            "moved": self.moved,
            "removed": self.removed,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
        }


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "model"


class Engine:
    def __init__(
        self,
        library: Library | str | Path | None = None,
        model: str | None = None,
        device: str | None = None,
        writer: bool = False,
        store: str | None = None,
    ) -> None:
        self.library = library if isinstance(library, Library) else Library(library)
        self.library.ensure()
        self.store_spec: StoreSpec | None = resolve_store_spec(store)  # None: local FAISS
        self.shard: tuple[int, int] | None = None  # with a shared store: this process's share
        self._model_spec = model
        self._device = device
        self._clip: ClipModel | None = None
        self._index: VectorStore | None = None
        self._state_lock = threading.RLock()
        self._writer_lock: Any = None
        self.initial_update: UpdateReport | None = None  # watch()'s catch-up run
        self.catalog = Catalog(self.library.root / "catalog.sqlite")
        self.thumbnails = ThumbnailCache(self.library.root / "thumbnails")
        if writer:
            self.acquire_writer()

    # --- lifecycle --------------------------------------------------------------------------

    def acquire_writer(self) -> None:
        from filelock import FileLock, Timeout

        if self._writer_lock is not None:
            return
        lock = FileLock(str(self.library.root / "writer.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise LibraryBusyError(
                f"another Magpie (the app or `magpie watch`) is updating {self.library.root}; "
                "searching works meanwhile, changes must wait until it stops"
            ) from None
        self._writer_lock = lock

    @property
    def is_writer(self) -> bool:
        return self._writer_lock is not None

    def close(self) -> None:
        if self._writer_lock is not None and self._index is not None:
            self._save_index()
        if hasattr(self._index, "close"):
            self._index.close()  # a shared store's connection
        self.catalog.close()
        if self._writer_lock is not None:
            self._writer_lock.release()
            self._writer_lock = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- model and index --------------------------------------------------------------------

    @property
    def clip(self) -> ClipModel:
        with self._state_lock:
            if self._clip is None:
                pack = resolve_model(self.library, self._model_spec)
                settings = self.library.load_settings()
                device = self._device or settings.device
                self._clip = ClipModel(pack, device, int8=settings.int8_images)
            return self._clip

    @property
    def model_name(self) -> str:
        return self.clip.name

    def _index_path(self) -> Path:
        return self.library.root / "index" / f"{_safe_name(self.model_name)}.faiss"

    @property
    def index(self) -> VectorStore:
        """The vector index, loaded if it matches the catalog, else rebuilt from it."""
        with self._state_lock:
            if self._index is None and self.store_spec is not None:
                self._index = self._open_shared_store(self.store_spec)
            if self._index is None:
                dim = self.clip.dim
                stamp = self.catalog.generation(self.model_name)
                loaded = FaissStore.load(self._index_path(), dim, stamp)
                if loaded is None:
                    loaded = self._rebuild_index(dim)
                self._index = loaded
            return self._index

    def _open_shared_store(self, spec: StoreSpec) -> VectorStore:
        from magpie.core.stores.milvus_store import MilvusStore

        store = MilvusStore(spec.uri, self.catalog, self.model_name, self.clip.dim)
        if self.is_writer:  # only the writer sends: a reader must not race its removals
            store.synchronise(self._index_path(), self.catalog.generation(self.model_name))
        return store

    def _rebuild_index(self, dim: int) -> FaissStore:
        started = time.monotonic()
        ids, vectors = self.catalog.vectors(self.model_name, dim)
        index = FaissStore(dim)
        if len(ids) >= index.approximate_from:
            index.build_approximate(ids, vectors)
        else:
            index.add(ids, vectors)
        log.info(
            "rebuilt the vector index from the catalog: %d photos in %.2f s",
            len(ids),
            time.monotonic() - started,
        )
        if self.is_writer:
            index.save(self._index_path(), self.catalog.generation(self.model_name))
        return index

    def _save_index(self) -> None:
        if self._index is None or self._clip is None:
            return
        try:
            self._index.save(self._index_path(), self.catalog.generation(self.model_name))
        except OSError as exc:
            log.warning("could not save the vector index (%s); it will be rebuilt next time", exc)

    # --- folders ----------------------------------------------------------------------------

    def add_folder(self, path: str | Path, watch_mode: str = "native") -> Folder:
        self.acquire_writer()
        if watch_mode not in WATCH_MODES:
            raise MagpieError(f"unknown watch mode {watch_mode!r} (use native or polling)")
        folder = Path(path).expanduser().resolve()
        if not folder.is_dir():
            raise MagpieError(f"{folder}: not a folder")
        library = self.library.root.resolve()
        if folder == library or library in folder.parents:
            raise MagpieError(f"{folder}: is inside Magpie's own library folder")
        for existing in self.catalog.folders():
            other = Path(existing.path)
            if other == folder:
                return existing
            if other in folder.parents:
                raise MagpieError(f"{folder}: already included in the watched folder {other}")
            if folder in other.parents:
                raise MagpieError(
                    f"{folder}: contains the watched folder {other}; remove that one first"
                )
        return self.catalog.add_folder(folder, watch_mode)

    def remove_folder(self, path: str | Path) -> int:
        """Forget a folder: its photos leave the catalog and the index, never the disk."""
        self.acquire_writer()
        folder = self.catalog.folder_by_path(Path(path).expanduser().resolve())
        if folder is None:
            raise MagpieError(f"{path}: not a watched folder")
        ids = self.catalog.ids_in_folder(folder.id)
        count = self.catalog.remove_folder(folder.id)
        if self._index is not None:
            self._index.remove(ids)
        return count

    def set_watch_mode(self, path: str | Path, mode: str) -> None:
        folder = self.catalog.folder_by_path(Path(path).expanduser().resolve())
        if folder is None or mode not in WATCH_MODES:
            raise MagpieError(f"{path}: not a watched folder, or unknown mode {mode!r}")
        self.catalog.set_watch_mode(folder.id, mode)

    # --- keeping the index true to the disk ---------------------------------------------------

    def update(
        self,
        progress: Callable[[Progress], None] | None = None,
        control: IndexControl | None = None,
        only_under: list[str] | None = None,
        settle_s: float = 0.0,
    ) -> UpdateReport:
        """Scan the folders, then embed what is new or changed. Needs the writer lock."""
        self.acquire_writer()
        started = time.monotonic()
        report = UpdateReport()
        scanned: ScanReport = scan(
            self.catalog, exclude=(self.library.root,), settle_s=settle_s, only_under=only_under
        )
        report.unchanged, report.moved, report.removed = (
            scanned.unchanged,
            scanned.moved,
            scanned.removed,
        )
        report.deferred, report.offline = scanned.deferred, scanned.offline
        index = self.index
        index.remove(np.array(scanned.removed_ids, dtype=np.int64))
        if hasattr(index, "shard"):
            index.shard = self.shard
        indexer = Indexer(self.catalog, self.clip.image, self.model_name, index, self.thumbnails)
        run = indexer.run(progress=progress, control=control)
        report.indexed, report.failed, report.waiting = run.indexed, run.failed, run.waiting
        if index.needs_approximate():
            ids, vectors = self.catalog.vectors(self.model_name, self.clip.dim)
            index.build_approximate(ids, vectors)
        self._save_index()
        report.seconds = time.monotonic() - started
        return report

    # --- search -----------------------------------------------------------------------------

    def search(
        self,
        text: str,
        k: int = 50,
        offset: int = 0,
        threshold: float | None = None,
        folder: str | Path | None = None,
        date_from: float | None = None,
        date_to: float | None = None,
    ) -> list[SearchResult]:
        query = self.clip.embed_texts([text])[0]
        return self.search_vector(query, k, offset, threshold, folder, date_from, date_to)

    def search_image(
        self, source: imaging.ImageSource, k: int = 50, **filters: Any
    ) -> list[SearchResult]:
        tensor = imaging.load_for_model(source, self.clip.pack.preprocess)
        return self.search_vector(self.clip.image.encode(tensor[None])[0], k, **filters)

    def search_images(
        self, sources: list[imaging.ImageSource], k: int = 50, **filters: Any
    ) -> list[SearchResult]:
        """Several reference images combined (their normalised mean)."""
        cfg = self.clip.pack.preprocess
        vectors = self.clip.image.encode(
            np.stack([imaging.load_for_model(s, cfg) for s in sources])
        )
        return self.search_vector(vectors.mean(axis=0), k, **filters)

    def similar(self, path: str | Path, k: int = 50, **filters: Any) -> list[SearchResult]:
        """Photos like this one: its stored vector if it is in the library, else it is encoded."""
        resolved = Path(path).expanduser().resolve()
        row = self.catalog.file_by_path(resolved)
        vector = self.catalog.vector(row.id, self.model_name) if row else None
        if vector is None:
            return self.search_image(resolved, k, **filters)
        results = self.search_vector(vector, k + 1, **filters)
        return [r for r in results if r.file_id != row.id][:k]  # type: ignore[union-attr]

    def search_vector(
        self,
        query: np.ndarray,
        k: int = 50,
        offset: int = 0,
        threshold: float | None = None,
        folder: str | Path | None = None,
        date_from: float | None = None,
        date_to: float | None = None,
    ) -> list[SearchResult]:
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        allowed = None
        filters = SearchFilters.of(folder, date_from, date_to)
        if filters is not None and not self.index.pushes_filters:
            allowed = self.catalog.ids_matching(filters.folder, filters.date_from, filters.date_to)
        hits = self.index.search(query, offset + k, allowed, filters)
        ids, scores = hits.ids[offset:], hits.scores[offset:]
        if threshold is None:
            threshold = self.library.load_settings().score_threshold or None
        if threshold is not None:
            keep = scores >= threshold
            ids, scores = ids[keep], scores[keep]
        known = self.catalog.describe(ids.tolist())
        remote = hits.places  # photos of other machines sharing the store
        return [
            SearchResult(known[i][0], float(s), int(i), known[i][1])
            if i in known
            else SearchResult(remote[i].path, float(s), -1, remote[i].fingerprint, remote[i].host)
            for i, s in zip(ids.tolist(), scores.tolist(), strict=True)
            if i in known or i in remote
        ]

    def browse(
        self, offset: int = 0, limit: int = 200, folder: str | Path | None = None
    ) -> list[SearchResult]:
        """The library without a query: newest photos first (score 0)."""
        where = Path(folder).expanduser().resolve() if folder is not None else None
        rows = self.catalog.newest(self.model_name, offset, limit, where)
        return [SearchResult(path, 0.0, file_id, print_) for file_id, path, print_ in rows]

    def check_int8(self, sample: int = 32) -> Any:
        """Make and check the int8 image tower on `sample` of the library's photos."""
        from magpie.core.quantize import prepare_int8

        rows = self.catalog._query(
            "SELECT path FROM files WHERE state = 'indexed' ORDER BY random() LIMIT ?", (sample,)
        )
        paths = [Path(os.fsdecode(r[0])) for r in rows]
        return prepare_int8(self.clip.pack, paths)

    # --- status -----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        try:
            model, device = self.model_name, self.clip.device
        except ModelNotFoundError:
            model, device = None, None
        counts = self.catalog.counts(model or "") if model else {"images": 0, "pending": 0}
        per_folder = self.catalog.folder_counts(model) if model else {}
        return {
            "images": counts["images"],
            "pending": counts["pending"],
            "folders": [
                {
                    "path": f.path,
                    "images": per_folder.get(f.id, 0),
                    "online": f.online,
                    "watch": f.watch_mode,
                }
                for f in self.catalog.folders()
            ],
            "model": model,
            "device": device,
            "device_note": runtime.cuda_note(),
            "failed": [{"path": p, "error": e} for p, e in self.catalog.failures()],
            "notices": self.notices(),
        }

    def notices(self) -> list[str]:
        """Things the user should be told once (a damaged catalog was rebuilt...)."""
        found = []
        if self.catalog.recovered_from is not None:
            found.append(
                "The catalog was damaged and has been rebuilt from what could be read; "
                f"the damaged copy is kept as {self.catalog.recovered_from.name}. "
                "Photos that were lost from it are indexed again."
            )
        return found

    # --- watching ---------------------------------------------------------------------------

    def watch(
        self,
        stop: threading.Event,
        on_update: Callable[[UpdateReport], None] | None = None,
        quiet_s: float = 1.0,
        polling_interval_s: float = 5.0,
        on_ready: Callable[[FolderWatcher], None] | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> FolderWatcher:
        """Keep the index current until `stop` is set (blocks). Returns the finished watcher.

        on_ready is called once the observers run (with the watcher, whose `fallbacks` say
        which folders are polled because native watching could not start).
        """
        self.acquire_writer()
        roots = [
            WatchedRoot(f.path, f.watch_mode)
            for f in self.catalog.folders()
            if os.path.isdir(f.path)
        ]
        work = threading.Condition()
        dirty: set[str] = set()

        def changed(dirs: set[str]) -> None:
            with work:
                dirty.update(dirs)
                work.notify_all()

        watcher = FolderWatcher(roots, changed, quiet_s, polling_interval_s)
        watcher.start()
        self.last_watcher = watcher
        # catch up only now that the observers run: nothing changed in between is missed
        self.initial_update = self.update(progress=progress)
        if on_ready is not None:
            on_ready(watcher)
        try:
            while not stop.is_set():
                with work:
                    work.wait_for(lambda: bool(dirty) or stop.is_set(), timeout=0.5)
                    batch = set(dirty)
                    dirty.clear()
                if not batch or stop.is_set():
                    continue
                report = self.update(only_under=sorted(batch), settle_s=quiet_s)
                if report.deferred:
                    watcher.poke(batch)  # files still being written: look again
                if on_update is not None:
                    on_update(report)
        finally:
            watcher.stop()
        return watcher


def open_library(
    *folders: str | Path,
    library: str | Path | None = None,
    model: str | None = None,
    device: str | None = None,
) -> Engine:
    """Open a library (adding and indexing `folders` if given): the two-line scripting API."""
    engine = Engine(library, model, device, writer=bool(folders))
    for folder in folders:
        engine.add_folder(folder)
    if folders:
        engine.update()
    return engine
