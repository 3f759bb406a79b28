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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from magpie.core import imaging, pairs, runtime, video
from magpie.core.catalog import Catalog, Folder
from magpie.core.encoders import ClipModel
from magpie.core.enrichment import EnrichProgress, EnrichRun, read_texts, update_places
from magpie.core.errors import MagpieError, ModelNotFoundError
from magpie.core.exclusions import ExclusionStore, SizeLimits, resolve_exclusion
from magpie.core.indexer import IndexControl, Indexer, Progress, ThumbnailCache
from magpie.core.int8 import Int8Check
from magpie.core.library import Library
from magpie.core.ocr import READER_ID, OcrUnavailableError, TextReader
from magpie.core.pack_store import resolve_model
from magpie.core.places import PLACES_VERSION
from magpie.core.records import Counts, FailedFile, FolderStatus, PhotoDetails, Status
from magpie.core.scanner import ScanReport, scan
from magpie.core.search import BackgroundSampler, Search, SearchRequest, SearchResult
from magpie.core.stores import StoreSpec, resolve_store_spec
from magpie.core.stores.faiss_store import FaissStore
from magpie.core.vectorindex import VectorIndex
from magpie.core.video import is_video
from magpie.core.video_indexer import VideoIndexer
from magpie.core.watcher import WATCH_MODES, ChangedFolders, FolderWatcher, WatchedRoot

log = logging.getLogger("magpie.engine")


class LibraryBusyError(MagpieError):
    """Another process is already writing this library."""


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
    skipped: int = 0  # outside the size limits
    waiting: int = 0  # a shared store's other shards' photos, adopted by a later run

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
    # seconds the image tower stays loaded after its last use (indexing, image queries)
    image_idle_s: float | None = 120.0

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
        self._index: VectorIndex | None = None
        self._samplers: dict[str, BackgroundSampler] = {}
        self._saved_stamp: str | None = None  # the generation the index file on disk holds
        self._text_reader: TextReader | None = None
        self._text_unavailable = False
        # OCR's threads (None: one per core); the app leaves a core to the window's own work
        self.text_threads: int | None = None
        self._state_lock = threading.RLock()
        self._writer_lock: Any = None
        self.initial_update: UpdateReport | None = None  # watch()'s catch-up run
        self.thumbnails = ThumbnailCache(self.library.thumbnails_dir)
        if writer:
            self.acquire_writer()
        else:  # a reader: a read-only connection, and no repairs (the writer makes them)
            self.catalog = Catalog(self.library.catalog_file, readonly=True)

    # --- lifecycle --------------------------------------------------------------------------

    def acquire_writer(self) -> None:
        from filelock import FileLock, Timeout

        if self._writer_lock is not None:
            return
        lock = FileLock(str(self.library.writer_lock_file))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise LibraryBusyError(
                f"another Magpie (the app or `magpie watch`) is updating {self.library.root}; "
                "searching works meanwhile, changes must wait until it stops"
            ) from None
        self._writer_lock = lock
        # only now, holding the lock, may the catalog be created, migrated or repaired
        reader: Catalog | None = getattr(self, "catalog", None)
        if reader is not None:
            reader.close()
        self.catalog = Catalog(self.library.catalog_file)

    @property
    def is_writer(self) -> bool:
        return self._writer_lock is not None

    def close(self) -> None:
        if self._writer_lock is not None and self._index is not None:
            self._save_index()
        if self._clip is not None:
            self._clip.close()
        if self.store_spec is not None and self._index is not None:
            self._index.close()  # type: ignore[attr-defined]  # the shared store's connection
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
                self._clip = ClipModel(
                    pack,
                    device,
                    int8=settings.int8_images,
                    language=settings.language,
                    image_idle_s=self.image_idle_s,
                )
            return self._clip

    @property
    def model_name(self) -> str:
        return self.clip.name

    def current_model(self) -> tuple[ClipModel, VectorIndex]:
        """The model and its index as one pair: a search never mixes two models' vectors,
        even while a model switch (magpie.core.switching) swaps them."""
        with self._state_lock:
            return self.clip, self.index

    def adopt_model(self, clip: ClipModel, index: VectorIndex) -> None:
        """Answer from now on with `clip` and its index (built by a ModelSwitch)."""
        with self._state_lock:
            self._save_index()
            if self.store_spec is not None:  # the new model's collection in the shared store
                if self._index is not None:
                    self._index.close()  # type: ignore[attr-defined]
                self._clip, self._index, self._model_spec = clip, None, clip.name
                self._saved_stamp = None
                self.index  # noqa: B018  (opened and brought up to date from the catalog)
                return
            self._clip, self._index, self._model_spec = clip, index, clip.name
            self._save_index()

    def _index_path(self) -> Path:
        return self.library.index_dir / f"{_safe_name(self.model_name)}.faiss"

    @property
    def index(self) -> VectorIndex:
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
                else:
                    self._saved_stamp = stamp
                self._index = loaded
            return self._index

    def _open_shared_store(self, spec: StoreSpec) -> VectorIndex:
        from magpie.core.stores.milvus_store import MilvusStore

        store = MilvusStore(spec.uri, self.catalog, self.model_name, self.clip.dim)
        if self.is_writer:  # only the writer sends: a reader must not race its removals
            stamp = self.catalog.generation(self.model_name)
            store.synchronise(self._index_path(), stamp)
            self._saved_stamp = stamp
        return store  # type: ignore[return-value]  # a VectorStore, as the planner uses it

    def _rebuild_index(self, dim: int) -> VectorIndex:
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
            stamp = self.catalog.generation(self.model_name)
            index.save(self._index_path(), stamp)
            self._saved_stamp = stamp
        return index

    def _save_index(self) -> None:
        if self._index is None or self._clip is None:
            return
        stamp = self.catalog.generation(self.model_name)
        if stamp == self._saved_stamp:
            return  # nothing changed: a no-op update writes nothing
        try:
            self._index.save(self._index_path(), stamp)
            self._saved_stamp = stamp
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
        gone_moments = self.catalog.drop_orphan_moments()
        if self._index is not None:
            self._index.remove(ids)
            self._index.remove(gone_moments)
        return count

    def set_watch_mode(self, path: str | Path, mode: str) -> None:
        folder = self.catalog.folder_by_path(Path(path).expanduser().resolve())
        if folder is None or mode not in WATCH_MODES:
            raise MagpieError(f"{path}: not a watched folder, or unknown mode {mode!r}")
        self.catalog.set_watch_mode(folder.id, mode)

    # --- exclusions: what the user keeps out ------------------------------------------------

    @property
    def exclusions(self) -> ExclusionStore:
        return ExclusionStore(self.catalog)

    def exclude(self, pattern: str, folder: str | Path | None = None) -> int:
        """Keep a pattern (or an absolute sub-folder) out; its photos leave the results now,
        their vectors stay until purge_excluded(). Returns how many photos were hidden."""
        self.acquire_writer()
        scope = os.fspath(folder) if folder is not None else None
        self.exclusions.add(resolve_exclusion(pattern, scope, self.catalog.folders()))
        return self._apply_exclusions()[0]

    def include(self, pattern: str, folder: str | Path | None = None) -> int:
        """Drop an exclusion; its photos are back at once (no re-encode). Returns how many."""
        self.acquire_writer()
        scope = os.fspath(folder) if folder is not None else None
        item = resolve_exclusion(pattern, scope, self.catalog.folders())
        if not self.exclusions.remove(item):
            where = item.folder or "every folder"
            raise MagpieError(f"{item.pattern!r} is not excluded in {where}")
        return self._apply_exclusions()[1]

    def set_size_limits(self, min_side: int = 0, max_megapixels: float = 0.0) -> tuple[int, int]:
        """The library's size limits (0: none). Returns (photos hidden, photos shown again)."""
        self.acquire_writer()
        self.exclusions.set_limits(SizeLimits(min_side, max_megapixels))
        return self._apply_exclusions()

    def purge_excluded(self) -> int:
        """Delete the vectors (and for patterns, the catalog rows) of excluded photos; the
        user confirmed. Files on disk are never touched."""
        self.acquire_writer()
        count = self.exclusions.purge()
        self._save_index()
        return count

    def _apply_exclusions(self) -> tuple[int, int]:
        hide, show = self.exclusions.sync()
        # a shared store at once: the other machines must stop seeing them too
        if self._index is not None or self.store_spec is not None:
            self.index.remove(np.array(hide, dtype=np.int64))
            ids, vectors = self.exclusions.vectors_of(show, self.model_name, self.clip.dim)
            self.index.add(ids, vectors)
            self._save_index()
        return len(hide), len(show)

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
        exclusions = ExclusionStore(self.catalog)
        scanned: ScanReport = scan(
            self.catalog,
            exclude=(self.library.root,),
            settle_s=settle_s,
            only_under=only_under,
            rules=exclusions.matcher(),
        )
        report.unchanged, report.moved, report.removed = (
            scanned.unchanged,
            scanned.moved,
            scanned.removed,
        )
        report.deferred, report.offline = scanned.deferred, scanned.offline
        pending = self.catalog.pending_count(self.model_name)
        orphans = self.catalog.drop_orphan_moments()
        # a shared store is opened every time: opening repairs what an outage left behind
        shared = self.store_spec is not None
        if not (
            pending or scanned.removed_ids or len(orphans) or self._index is not None or shared
        ):
            report.seconds = time.monotonic() - started
            return report  # nothing to embed or drop: neither a model nor the index is loaded
        clip, index = self.current_model()
        index.remove(np.array(scanned.removed_ids, dtype=np.int64))
        index.remove(orphans)
        if self.store_spec is not None:
            index.shard = self.shard  # type: ignore[attr-defined]
        if pending:
            with clip.using_image() as encoder:
                indexer = Indexer(
                    self.catalog,
                    encoder,
                    clip.name,
                    index,
                    self.thumbnails,
                    limits=exclusions.limits(),
                )
                run = indexer.run(progress=progress, control=control)
                report.indexed, report.failed = run.indexed, run.failed
                report.waiting = run.waiting
                report.skipped = run.skipped
                if indexer.videos_pending and not run.cancelled:  # videos after photos
                    videos = VideoIndexer(
                        self.catalog, encoder, clip.name, index, self.thumbnails
                    ).run(progress=progress, control=control)
                    report.indexed += videos.indexed
                    report.failed += videos.failed
        if index.needs_approximate():
            ids, vectors = self.catalog.vectors(clip.name, clip.dim)
            index.build_approximate(ids, vectors)
        self._save_index()
        report.seconds = time.monotonic() - started
        return report

    # --- the second pass: words in photos and places ------------------------------------------

    @property
    def text_reader(self) -> TextReader:
        with self._state_lock:
            if self._text_reader is None:
                self._text_reader = TextReader(self.clip.device, self.text_threads)
            return self._text_reader

    def enrich(
        self,
        progress: Callable[[EnrichProgress], None] | None = None,
        control: IndexControl | None = None,
        should_yield: Callable[[], bool] | None = None,
        read_text: bool | None = None,
    ) -> EnrichRun:
        """Places for new GPS positions, then (if on) the text of photos not yet read.

        Call after update(): it works on indexed photos only. Needs the writer lock.
        """
        self.acquire_writer()
        started = time.monotonic()
        shared = self.store_spec is not None and self._index is not None
        renamed = [r[0] for r in self.catalog.places_pending(PLACES_VERSION)] if shared else []
        placed = update_places(self.catalog)
        if placed and shared:  # the store's rows carry the place names its filter tests
            self._index.refresh(renamed)  # type: ignore[union-attr]
        if read_text is None:
            read_text = self.library.load_settings().read_text
        run = EnrichRun()
        if read_text and not self._text_unavailable:
            try:
                run = read_texts(self.catalog, self.text_reader, progress, control, should_yield)
            except OcrUnavailableError as exc:  # said once; photos and search work on
                log.warning("%s; photos are searchable, the words in them are not", exc)
                self._text_unavailable = True
        run.places = placed
        run.seconds = time.monotonic() - started
        return run

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
        **options: Any,
    ) -> list[SearchResult]:
        """Best first; the matches (result.match) come first. Options: see SearchRequest."""
        return self.query(
            SearchRequest(
                text,
                k=k,
                offset=offset,
                threshold=threshold,
                folder=folder,
                date_from=date_from,
                date_to=date_to,
                **options,
            )
        )

    def search_image(
        self, source: imaging.ImageSource, k: int = 50, **filters: Any
    ) -> list[SearchResult]:
        return self.search_images([source], k, **filters)

    def search_images(
        self, sources: list[imaging.ImageSource], k: int = 50, text: str = "", **filters: Any
    ) -> list[SearchResult]:
        """Several reference images combined (their normalised mean), and text if given."""
        return self.query(SearchRequest(text, images=tuple(sources), k=k, **filters))

    def similar(
        self, path: str | Path, k: int = 50, time: float | None = None, **filters: Any
    ) -> list[SearchResult]:
        """Photos like this one: its stored vector if it is in the library, else it is encoded.

        time: a moment of a video (its frame there); the other moments of it stay in the results.
        """
        resolved = Path(path).expanduser().resolve()
        row = self.catalog.file_by_path(resolved)
        clip, _index = self.current_model()
        if row is not None and time is not None:
            found = self.catalog.moment_vector(row.id, clip.name, time)
            if found is not None:
                query_id, vector = found
                return self.query(
                    SearchRequest(vectors=(vector,), k=k, skip=frozenset({query_id}), **filters)
                )
        vector = self.catalog.vector(row.id, clip.name) if row else None
        if vector is None:
            if is_video(resolved):
                frame = video.frame_at(resolved, time or 0.0, self._decode_side())
                return self.search_vector(self._encode_image(frame), k, **filters)
            return self.search_image(resolved, k, **filters)
        assert row is not None
        results = self.query(
            SearchRequest(vectors=(vector,), k=k + 1, skip=frozenset({row.id}), **filters)
        )
        return [r for r in results if row.path not in r.companions][:k]

    def _decode_side(self) -> int:
        return imaging.model_decode_size(self.clip.pack.preprocess)

    def _encode_image(self, image: imaging.Image.Image) -> np.ndarray:
        tensor = imaging.to_model_input(image, self.clip.pack.preprocess)
        return self.clip.image.encode(tensor[None])[0]

    def search_vector(
        self,
        query: np.ndarray,
        k: int = 50,
        model: tuple[ClipModel, VectorIndex] | None = None,
        **filters: Any,
    ) -> list[SearchResult]:
        """Search by a vector; `model`: a (clip, index) pair other than the one in use (a
        model being switched to)."""
        return self.query(SearchRequest(vectors=(query,), k=k, **filters), model)

    def query(
        self, request: SearchRequest, model: tuple[ClipModel, VectorIndex] | None = None
    ) -> list[SearchResult]:
        """Any search: text, images, both (weighted), exclusions; matches judged per query."""
        # one model and its vectors, even mid-switch
        clip, index = model if model is not None else self.current_model()
        if request.vectors and request.vectors[0].shape[-1] != index.dim:
            raise MagpieError(
                f"a {request.vectors[0].shape[-1]}-d query cannot search {index.dim}-d vectors"
            )
        with self._state_lock:
            sampler = self._samplers.get(clip.name)
            if sampler is None:
                sampler = self._samplers[clip.name] = BackgroundSampler(
                    self.catalog, clip.name, clip.dim
                )
        cfg = clip.pack.preprocess

        def embed_images(sources: Any) -> np.ndarray:
            tensors = np.stack([imaging.load_for_model(s, cfg) for s in sources])
            with clip.using_image() as encoder:  # loaded on demand, released when idle
                return encoder.encode(tensors)

        search = Search(
            self.catalog,
            clip.name,
            index,
            sampler,
            lambda text: clip.embed_texts([text])[0],
            embed_images,
            self._group,
        )
        return search.run(request)

    def _group(self, results: list[SearchResult]) -> list[SearchResult]:
        """A shot's companions folded into one item; other machines' photos stay apart."""
        remote = {r.path for r in results if r.machine}
        return pairs.group(
            results, lambda paths: self.catalog.siblings([p for p in paths if p not in remote])
        )

    def browse(
        self,
        offset: int = 0,
        limit: int = 200,
        folder: str | Path | None = None,
        place: str | None = None,
    ) -> list[SearchResult]:
        """The library without a query: newest photos first (score 0); `place`: only those
        taken there (as SearchRequest.place)."""
        where = Path(folder).expanduser().resolve() if folder is not None else None
        rows = self.catalog.newest(self.model_name, offset, limit, where, place)
        results = [
            SearchResult(path, 0.0, file_id, print_, taken=taken, aspect=aspect)
            for file_id, path, print_, taken, aspect in rows
        ]
        return pairs.group(results, self.catalog.siblings, map_companions=False)

    def details(self, file_id: int) -> PhotoDetails | None:
        """What the preview shows: the catalog's record, and the lens read from the file's
        own header (cheap: no pixels are decoded, and no re-index is needed to show it)."""
        found = self.catalog.details(file_id)
        if found is None or is_video(found.path):
            return found
        return replace(found, lens=imaging.read_lens(found.path) or "")

    def check_int8(self, sample: int = 32) -> Int8Check:
        """Make and check the int8 image tower on `sample` of the library's photos.

        It writes the int8 graph and the verdict into the pack: only the writer does that.
        """
        from magpie.core.quantize import prepare_int8

        self.acquire_writer()
        rows = self.catalog._query(
            "SELECT path FROM files WHERE state = 'indexed' ORDER BY random() LIMIT ?", (sample,)
        )
        paths = [Path(os.fsdecode(r[0])) for r in rows]
        return prepare_int8(self.clip.pack, paths)

    # --- status -----------------------------------------------------------------------------

    def status(self) -> Status:
        try:
            model, device = self.model_name, self.clip.device
        except ModelNotFoundError:
            model, device = None, None
        counts = self.catalog.counts(model) if model else Counts()
        per_folder = self.catalog.folder_counts(model) if model else {}
        return Status(
            images=counts.images,
            pending=counts.pending,
            folders=[
                FolderStatus(f.path, per_folder.get(f.id, 0), f.online, f.watch_mode)
                for f in self.catalog.folders()
            ],
            model=model,
            device=device,
            device_note=runtime.cuda_note(),
            failed=[FailedFile(p, e) for p, e in self.catalog.failures()],
            notices=self.notices(),
            text=self._text_status(),
        )

    def _text_status(self) -> dict[str, Any]:
        """The OCR pass's own progress (status shows it apart from indexing)."""
        read, pending = self.catalog.text_counts(READER_ID)
        enabled = self.library.load_settings().read_text
        return {"enabled": enabled, "read": read, "pending": pending if enabled else 0}

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

    def watched_roots(self) -> list[WatchedRoot]:
        """The folders to watch: those that are there now (an unplugged one is not)."""
        return [
            WatchedRoot(f.path, f.watch_mode)
            for f in self.catalog.folders()
            if os.path.isdir(f.path)
        ]

    def update_changed(
        self,
        dirs: list[str],
        watcher: FolderWatcher | None,
        settle_s: float,
        progress: Callable[[Progress], None] | None = None,
        control: IndexControl | None = None,
    ) -> UpdateReport:
        """One watch step: update under the changed folders; files still being written are
        looked at again later (the watcher is poked)."""
        report = self.update(progress, control, only_under=dirs, settle_s=settle_s)
        if report.deferred and watcher is not None:
            watcher.poke(set(dirs))
        return report

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
        changed = ChangedFolders()
        watcher = FolderWatcher(self.watched_roots(), changed.add, quiet_s, polling_interval_s)
        watcher.start()
        self.last_watcher = watcher
        # catch up only now that the observers run: nothing changed in between is missed
        self.initial_update = self.update(progress=progress)
        if on_ready is not None:
            on_ready(watcher)
        enrich_due = True  # the text/places pass runs whenever nothing more urgent waits
        try:
            while not stop.is_set():
                if enrich_due and not changed.waiting():
                    run = self.enrich(should_yield=lambda: changed.waiting() or stop.is_set())
                    enrich_due = run.stopped_early
                changed.wait(stop, timeout=0.5)
                batch = changed.take()
                if not batch or stop.is_set():
                    continue
                enrich_due = True
                report = self.update_changed(batch, watcher, quiet_s)
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
