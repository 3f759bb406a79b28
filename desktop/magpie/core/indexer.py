"""The indexing pipeline: decode in a thread pool, encode in batches, commit per batch.

One decode of each photo gives both the model input and its thumbnail (cached under the
library, keyed by content), so no photo is decoded twice. Decoding runs ahead of the encoder
in a bounded window, so decode time hides behind inference. Every batch is one catalog
transaction: a crash loses at most the batch in flight, and the next run resumes. Newest
photos go first, so recent pictures are searchable soonest.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from magpie.core import imaging, runtime, signals
from magpie.core.catalog import Catalog, Embedded, PendingFile
from magpie.core.encoders import ImageEncoder
from magpie.core.errors import DecodeError
from magpie.core.exclusions import ExclusionStore, SizeLimits
from magpie.core.imaging import PhotoInfo
from magpie.core.scanner import fingerprint
from magpie.core.vectorindex import VectorIndex
from magpie.core.video import is_video

log = logging.getLogger("magpie.indexer")

THUMBNAIL_SIZE = 320  # long side, pixels: sharp in the grid at 2x for 160-px cells
DECODE_NICENESS = 10


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    failed: int
    rate: float  # images per second
    eta_s: float | None
    current: str
    unit: str = "photos"  # or "seconds" (of video: videos go after photos, by their length)


@dataclass
class IndexRun:
    indexed: int = 0
    failed: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    skipped: int = 0
    waiting: int = 0  # another process's share of a shared store, not encoded here


class IndexControl:
    """Pause, resume and cancel, checked between batches."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self.cancelled = threading.Event()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        """Stop the run at its next batch; a pause stays (it is the user's, not the run's)."""
        self.cancelled.set()

    def reset_cancel(self) -> None:
        """The cancel was for a run now over: the next run goes ahead."""
        self.cancelled.clear()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_if_paused(self) -> bool:
        """Block while paused; True if the run should go on."""
        while not self._running.wait(0.2):
            if self.cancelled.is_set():
                return False
        return not self.cancelled.is_set()


class ThumbnailCache:
    """JPEG thumbnails under <library>/thumbnails/, keyed by content fingerprint."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, fingerprint_: str) -> Path:
        return self.root / fingerprint_[:2] / f"{fingerprint_}.jpg"

    def store(self, fingerprint_: str, image: imaging.Image.Image) -> None:
        target = self.path_for(fingerprint_)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        imaging.make_thumbnail(image, THUMBNAIL_SIZE).save(tmp, "JPEG", quality=85)
        os.replace(tmp, target)


@dataclass(frozen=True)
class _Decoded:
    item: PendingFile
    tensor: np.ndarray | None = None
    info: PhotoInfo | None = None
    fingerprint: str = ""
    size: int = 0
    mtime_ns: int = 0
    error: str | None = None
    skipped: str | None = None  # outside the library's size limits: why
    signals: signals.Signals | None = None  # duplicate finding's hash and sharpness


class Indexer:
    def __init__(
        self,
        catalog: Catalog,
        encoder: ImageEncoder,
        model_name: str,
        vectors: VectorIndex,
        thumbnails: ThumbnailCache,
        workers: int | None = None,
        limits: SizeLimits | None = None,
    ) -> None:
        self.catalog = catalog
        self.limits = limits or SizeLimits()
        self.encoder = encoder
        self.model_name = model_name
        self.vectors = vectors
        self.thumbnails = thumbnails
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))
        cfg = encoder.pack.preprocess
        self._decode_side = max(imaging.model_decode_size(cfg), THUMBNAIL_SIZE)
        self.videos_pending = 0  # seen by run(), left for the video indexer

    def _decode(self, item: PendingFile) -> _Decoded:
        """Runs in the pool: one read gives tensor, thumbnail and metadata."""
        # below the thumbnail loaders (5): decode threads fill the encoder's idle gaps
        # instead of stealing its cores, and never the window's
        runtime.lower_thread_priority(DECODE_NICENESS)
        try:
            before = os.stat(item.path)
            print_ = fingerprint(item.path, before.st_size)
            owns = getattr(self.vectors, "owns", None)  # a shared store's shard
            if owns is not None and not owns(print_):  # another's share: not even decoded
                return _Decoded(item, None, None, print_, before.st_size, before.st_mtime_ns)
            photo = imaging.decode_photo(item.path, self._decode_side)
            why = self.limits.reason(photo.info.width, photo.info.height)
            if why is not None:
                return _Decoded(item, info=photo.info, skipped=why)
            try:
                self.thumbnails.store(print_, photo.image)
            except OSError as exc:  # the library's disk, not the photo: the grid makes one later
                log.warning("thumbnail not cached (%s)", exc.strerror or exc)
            tensor = imaging.to_model_input(photo.image, self.encoder.pack.preprocess)
            # from this decode (no second read), at the thumbnail's size so that photos
            # indexed before signals existed get the same hash from their cached thumbnail
            found = signals.compute(imaging.make_thumbnail(photo.image, THUMBNAIL_SIZE))
            return _Decoded(
                item, tensor, photo.info, print_, before.st_size, before.st_mtime_ns, signals=found
            )
        except DecodeError as exc:
            return _Decoded(item, error=str(exc).replace(f"{item.path}: ", "", 1))
        except FileNotFoundError:
            return _Decoded(item, error="file disappeared before it could be read")
        except PermissionError:
            return _Decoded(item, error="permission denied")
        except OSError as exc:
            return _Decoded(item, error=f"cannot read file ({exc.strerror or exc})")

    def run(
        self,
        batch_size: int | None = None,
        progress: Callable[[Progress], None] | None = None,
        control: IndexControl | None = None,
    ) -> IndexRun:
        control = control or IndexControl()
        # videos are indexed after photos, by magpie.core.video_indexer
        everything = self.catalog.pending(self.model_name)
        pending = [p for p in everything if not is_video(p.path)]
        self.videos_pending = len(everything) - len(pending)
        run = IndexRun()
        total = len(pending)
        if not total:
            return run
        batch_size = batch_size or self.encoder.batch_size
        started = time.monotonic()
        window = max(2 * batch_size, 2 * self.workers)
        queue: deque[Future[_Decoded]] = deque()
        items = iter(pending)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="magpie-decode") as pool:

            def refill() -> None:
                while len(queue) < window:
                    item = next(items, None)
                    if item is None:
                        return
                    queue.append(pool.submit(self._decode, item))

            refill()
            while queue:
                if not control.wait_if_paused():
                    run.cancelled = True
                    for future in queue:
                        future.cancel()
                    break
                batch: list[_Decoded] = []
                while queue and len(batch) < batch_size:
                    batch.append(queue.popleft().result())
                    refill()
                self._commit(batch, run)
                if progress is not None:
                    done = run.indexed + run.failed + run.skipped
                    elapsed = time.monotonic() - started
                    rate = done / elapsed if elapsed > 0 else 0.0
                    eta = (total - done) / rate if rate > 0 else None
                    progress(Progress(done, total, run.failed, rate, eta, batch[-1].item.path))
        run.seconds = time.monotonic() - started
        return run

    def _commit(self, batch: list[_Decoded], run: IndexRun) -> None:
        skipped = [d for d in batch if d.skipped is not None]
        waiting = [d for d in batch if d.error is None and d.skipped is None and d.tensor is None]
        good = [d for d in batch if d.error is None and d.skipped is None and d.tensor is not None]
        failed = [(d.item.id, d.error or "") for d in batch if d.error is not None]
        done: list[Embedded] = []
        if good:
            # a shared store may hold some contents already (encoded by another machine):
            # those are adopted, so a content is encoded once
            known_vectors = getattr(self.vectors, "known_vectors", None)
            known = known_vectors([d.fingerprint for d in good]) if known_vectors else {}
            fresh = [d for d in good if d.fingerprint not in known]
            if fresh:
                encoded = self.encoder.encode(np.stack([d.tensor for d in fresh]))
                known.update((d.fingerprint, v) for d, v in zip(fresh, encoded, strict=True))
            done = [
                Embedded(d.item.id, known[d.fingerprint], d.size, d.mtime_ns, d.fingerprint, d.info)  # type: ignore[arg-type]
                for d in good
            ]
        for file_id, error in failed:
            log.info("could not index file %d: %s", file_id, error)
        for d in skipped:
            log.info("skipped %s: %s", d.item.path, d.skipped)
        ExclusionStore(self.catalog).mark_skipped(
            (d.item.id, d.info.width, d.info.height) for d in skipped if d.info is not None
        )
        self.catalog.commit_batch(self.model_name, done, failed)
        signals.store(
            self.catalog, [(d.item.id, d.fingerprint, d.signals) for d in good if d.signals]
        )
        if done:
            self.vectors.add(
                np.array([e.file_id for e in done]), np.stack([e.vector for e in done])
            )
        run.indexed += len(done)
        run.failed += len(failed)
        run.skipped += len(skipped)
        run.waiting += len(waiting)
