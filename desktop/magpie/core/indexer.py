"""The indexing pipeline: decode in a thread pool, encode in batches, commit per batch.

One decode of each photo gives both the model input and its thumbnail (cached under the
library, keyed by content), so no photo is decoded twice. Decoding runs ahead of the encoder
in a bounded window, so decode time hides behind inference. Every batch is one catalog
transaction: a crash loses at most the batch in flight, and the next run resumes. Newest
photos go first, so recent pictures are searchable soonest.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from magpie.core import imaging
from magpie.core.catalog import Catalog, Embedded, PendingFile
from magpie.core.encoders import ImageEncoder
from magpie.core.errors import DecodeError
from magpie.core.imaging import PhotoInfo
from magpie.core.scanner import fingerprint
from magpie.core.stores.base import VectorStore

log = logging.getLogger("magpie.indexer")

THUMBNAIL_SIZE = 320  # long side, pixels: sharp in the grid at 2x for 160-px cells


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    failed: int
    rate: float  # images per second
    eta_s: float | None
    current: str


@dataclass
class IndexRun:
    indexed: int = 0
    failed: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    waiting: int = 0  # another process's share of a shared store, not encoded yet


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
        self.cancelled.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_if_paused(self) -> bool:
        """Block while paused; True if the run should go on."""
        while not self._running.wait(0.2):
            pass
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


_niced = threading.local()


def _lower_thread_priority() -> None:
    """Decode threads yield the CPU to the encoder: they fill its idle gaps instead of
    stealing its cores (Linux: per-thread nice value)."""
    if getattr(_niced, "done", False):
        return
    _niced.done = True
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class Indexer:
    def __init__(
        self,
        catalog: Catalog,
        encoder: ImageEncoder,
        model_name: str,
        vectors: VectorStore,
        thumbnails: ThumbnailCache,
        workers: int | None = None,
    ) -> None:
        self.catalog = catalog
        self.encoder = encoder
        self.model_name = model_name
        self.vectors = vectors
        self.thumbnails = thumbnails
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))
        cfg = encoder.pack.preprocess
        self._decode_side = max(imaging.model_decode_size(cfg), THUMBNAIL_SIZE)

    def _decode(self, item: PendingFile) -> _Decoded:
        """Runs in the pool: one read gives tensor, thumbnail and metadata."""
        _lower_thread_priority()
        try:
            before = os.stat(item.path)
            print_ = fingerprint(item.path, before.st_size)
            if not self.vectors.owns(print_):  # another process's share: not even decoded
                return _Decoded(item, None, None, print_, before.st_size, before.st_mtime_ns)
            photo = imaging.decode_photo(item.path, self._decode_side)
            try:
                self.thumbnails.store(print_, photo.image)
            except OSError as exc:  # the library's disk, not the photo: the grid makes one later
                log.warning("thumbnail not cached (%s)", exc.strerror or exc)
            tensor = imaging.to_model_input(photo.image, self.encoder.pack.preprocess)
            return _Decoded(item, tensor, photo.info, print_, before.st_size, before.st_mtime_ns)
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
        pending = self.catalog.pending(self.model_name)
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
                    done = run.indexed + run.failed
                    elapsed = time.monotonic() - started
                    rate = done / elapsed if elapsed > 0 else 0.0
                    eta = (total - done) / rate if rate > 0 else None
                    progress(Progress(done, total, run.failed, rate, eta, batch[-1].item.path))
        run.seconds = time.monotonic() - started
        return run

    def _commit(self, batch: list[_Decoded], run: IndexRun) -> None:
        good = [d for d in batch if d.error is None and d.tensor is not None]
        run.waiting += sum(d.error is None and d.tensor is None for d in batch)
        failed = [(d.item.id, d.error or "") for d in batch if d.error is not None]
        done: list[Embedded] = []
        if good:
            # a shared store may hold some contents already (encoded by another machine):
            # those are adopted, so a content is encoded once
            known = self.vectors.known_vectors([d.fingerprint for d in good])
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
        self.catalog.commit_batch(self.model_name, done, failed)
        if done:
            self.vectors.add(
                np.array([e.file_id for e in done]), np.stack([e.vector for e in done])
            )
        run.indexed += len(done)
        run.failed += len(failed)
