"""Indexing videos: their moments embedded like photos, one video committed at a time.

Runs after the photos, under the same IndexControl (pause and cancel are honoured between
frames, so a long video never holds them up), with progress in seconds of footage. A video
that cannot be read is recorded as failed with the reason; one damaged part-way is indexed up
to the damage and the reason kept in its details. Cancelling mid-video leaves it pending.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

import numpy as np

from magpie.core import imaging
from magpie.core.catalog import Catalog, Embedded, PendingFile
from magpie.core.encoders import ImageEncoder
from magpie.core.errors import DecodeError
from magpie.core.imaging import PhotoInfo
from magpie.core.indexer import THUMBNAIL_SIZE, IndexControl, IndexRun, Progress, ThumbnailCache
from magpie.core.scanner import fingerprint
from magpie.core.vectorindex import VectorIndex
from magpie.core.video import MomentReader, is_video, moment_key, probe

log = logging.getLogger("magpie.video_indexer")


class _Cancelled(Exception):
    pass


class VideoIndexer:
    def __init__(
        self,
        catalog: Catalog,
        encoder: ImageEncoder,
        model_name: str,
        vectors: VectorIndex,
        thumbnails: ThumbnailCache,
    ) -> None:
        self.catalog = catalog
        self.encoder = encoder
        self.model_name = model_name
        self.vectors = vectors
        self.thumbnails = thumbnails
        cfg = encoder.pack.preprocess
        self._decode_side = max(imaging.model_decode_size(cfg), THUMBNAIL_SIZE)

    def run(
        self,
        progress: Callable[[Progress], None] | None = None,
        control: IndexControl | None = None,
    ) -> IndexRun:
        control = control or IndexControl()
        pending = [p for p in self.catalog.pending(self.model_name) if is_video(p.path)]
        run = IndexRun()
        if not pending:
            return run
        started = time.monotonic()
        lengths = {item.id: self._length(item.path) for item in pending}
        total = sum(lengths.values())
        finished = 0.0  # seconds of footage in videos already done

        def report(current: str, seconds: float) -> None:
            if progress is None:
                return
            done = finished + seconds
            elapsed = time.monotonic() - started
            rate = done / elapsed if elapsed > 0 else 0.0
            eta = (total - done) / rate if rate > 0 else None
            progress(Progress(round(done), round(total), run.failed, rate, eta, current, "seconds"))

        for item in pending:
            if not control.wait_if_paused():
                run.cancelled = True
                break
            try:
                self._index_one(item, control, report)
                run.indexed += 1
            except _Cancelled:
                run.cancelled = True
                break
            except DecodeError as exc:
                self._fail(item, str(exc).replace(f"{item.path}: ", "", 1), run)
            except FileNotFoundError:
                self._fail(item, "file disappeared before it could be read", run)
            except PermissionError:
                self._fail(item, "permission denied", run)
            except MemoryError:
                self._fail(item, "not enough memory to decode this video", run)
            except OSError as exc:
                self._fail(item, f"cannot read file ({exc.strerror or exc})", run)
            except Exception as exc:  # FFmpeg through PyAV: one odd file must not stop the rest
                log.warning("%s: unexpected error while indexing", item.path, exc_info=True)
                self._fail(item, f"cannot read this video ({exc})", run)
            finished += lengths[item.id]
            report(item.path, 0.0)
        run.seconds = time.monotonic() - started
        return run

    @staticmethod
    def _length(path: str) -> float:
        try:
            return probe(path).duration
        except DecodeError:
            return 0.0

    def _fail(self, item: PendingFile, error: str, run: IndexRun) -> None:
        log.info("could not index video %s: %s", item.path, error)
        self.catalog.commit_batch(self.model_name, [], [(item.id, error)])
        run.failed += 1

    def _index_one(
        self, item: PendingFile, control: IndexControl, report: Callable[[str, float], None]
    ) -> None:
        before = os.stat(item.path)
        print_ = fingerprint(item.path, before.st_size)
        cancelled = False

        def should_stop() -> bool:
            nonlocal cancelled
            cancelled = not control.wait_if_paused()
            return cancelled

        reader = MomentReader(
            item.path,
            short_side=self._decode_side,
            on_time=lambda seconds: report(item.path, seconds),
            should_stop=should_stop,
        )
        times: list[float] = []
        tensors: list[np.ndarray] = []
        vectors: list[np.ndarray] = []
        batch = self.encoder.batch_size
        cfg = self.encoder.pack.preprocess
        for moment in reader:
            self._thumbnail(moment_key(print_, moment.seconds), moment.image)
            if not times:
                self._thumbnail(print_, moment.image)  # the video's own thumbnail
            times.append(moment.seconds)
            tensors.append(imaging.to_model_input(moment.image, cfg))
            if len(tensors) == batch:  # encode as we go: memory stays a batch of frames
                vectors.extend(self.encoder.encode(np.stack(tensors)))
                tensors.clear()
        if cancelled:
            raise _Cancelled
        if tensors:
            vectors.extend(self.encoder.encode(np.stack(tensors)))
        info = reader.info
        assert info is not None and vectors
        if reader.warning:
            log.warning("%s: %s", item.path, reader.warning)
        embedded = Embedded(
            item.id,
            vectors[0],
            before.st_size,
            before.st_mtime_ns,
            print_,
            PhotoInfo(info.width, info.height, info.taken_at),
        )
        old, new = self.catalog.commit_video(
            self.model_name,
            embedded,
            list(zip(times, vectors, strict=True)),
            info.duration or reader.seconds_read,
            info.codec,
            info.fps,
            note=reader.warning,
        )
        self.vectors.remove(old)
        self.vectors.add(new, np.stack(vectors))

    def _thumbnail(self, key: str, image: imaging.Image.Image) -> None:
        try:
            self.thumbnails.store(key, image)
        except OSError as exc:  # the library's disk, not the video: the grid makes one later
            log.warning("thumbnail not cached (%s)", exc.strerror or exc)
