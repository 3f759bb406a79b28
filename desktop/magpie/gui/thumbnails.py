"""Thumbnails for the grid: QImage made in worker threads, QPixmap made on the GUI thread.

Requests come from the view as it paints, so visible cells are asked for first; newer
requests get higher priority, so scrolling fast does not leave the screen waiting behind
cells already scrolled past. Pixmaps live in a byte-bounded LRU cache.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

from magpie.core import imaging, runtime, video
from magpie.core.errors import DecodeError
from magpie.core.indexer import THUMBNAIL_SIZE, ThumbnailCache

log = logging.getLogger("magpie.gui.thumbnails")

CACHE_BYTES = 96 * 1024 * 1024
LOADER_NICENESS = 5


def load_qimage(
    path: str,
    fingerprint: str | None,
    cache: ThumbnailCache | None,
    size: int,
    seconds: float | None = None,
) -> QImage:
    """The cached thumbnail if there is one, else a fresh decode; at most `size` on the long
    side (worker).

    Every resize here runs without the interpreter lock (QImageReader scales while decoding,
    Pillow releases it): QImage.scaled holds it, and two loaders calling it stalled the GUI
    thread while it painted. seconds: for a video, the moment whose frame is shown."""
    if fingerprint and cache is not None:
        cached = cache.path_for(fingerprint)
        if cached.is_file():
            image = read_scaled(cached, size)
            if not image.isNull():
                return image
    try:
        if video.is_video(path):
            decoded = video.frame_at(path, seconds or 0.0, min(size, THUMBNAIL_SIZE))
        else:
            # a short side of `size` leaves the long side >= size: sharp, never decoded
            # bigger than needed (a copy to the clipboard asks for 4096: near full size)
            decoded = imaging.decode_image(path, min_short_side=size)
    except DecodeError as exc:
        log.info("no thumbnail: %s", exc)
        return QImage()
    thumb = imaging.make_thumbnail(decoded, size)  # upright RGB
    data = thumb.tobytes("raw", "RGB")
    return QImage(
        data, thumb.width, thumb.height, 3 * thumb.width, QImage.Format.Format_RGB888
    ).copy()


def read_scaled(path: Path, size: int) -> QImage:
    """An image file decoded straight to at most `size` on the long side (a JPEG decodes at a
    fraction of its size, then is scaled smoothly), or a null image if it cannot be read."""
    reader = QImageReader(str(path))
    full = reader.size()
    if full.isValid() and max(full.width(), full.height()) > size:
        reader.setScaledSize(full.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()


class _Job(QRunnable):
    def __init__(
        self,
        loader: ThumbnailLoader,
        key: str,
        path: str,
        fingerprint: str | None,
        size: int,
        seconds: float | None = None,
    ) -> None:
        super().__init__()
        self.seconds = seconds
        self.loader, self.key, self.path, self.fingerprint, self.size = (
            loader,
            key,
            path,
            fingerprint,
            size,
        )

    def run(self) -> None:
        # the GUI thread paints what these load: on a busy 2-core machine it must get the
        # CPU first (the indexer's decoders sit lower still)
        runtime.lower_thread_priority(LOADER_NICENESS)
        if self.loader.wanted_size != self.size:
            self.loader.loaded.emit(self.key, QImage(), self.size)  # stale: the slider moved
            return
        self.loader.loaded.emit(
            self.key,
            load_qimage(self.path, self.fingerprint, self.loader.cache, self.size, self.seconds),
            self.size,
        )


class ThumbnailLoader(QObject):
    """Loads thumbnails by key (the photo's path); emits `ready(key)` on the GUI thread."""

    loaded = Signal(str, QImage, int)  # worker -> GUI thread (queued)
    ready = Signal(str)

    def __init__(self, cache_root: Path | None, size: int = 160, threads: int = 2) -> None:
        super().__init__()
        self.cache = ThumbnailCache(cache_root) if cache_root is not None else None
        self.wanted_size = size
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._bytes = 0
        self._in_flight: set[str] = set()
        self._failed: set[str] = set()
        self._priority = 0
        self.loaded.connect(self._on_loaded)

    def set_cache_root(self, root: Path | None) -> None:
        self.cache = ThumbnailCache(root) if root is not None else None

    def set_size(self, size: int) -> None:
        if size == self.wanted_size:
            return
        self.wanted_size = size
        self.clear()

    def clear(self) -> None:
        self._pool.clear()  # queued jobs: not started, not needed
        self._pixmaps.clear()
        self._bytes = 0
        self._in_flight.clear()
        self._failed.clear()

    def pixmap(
        self, key: str, path: str, fingerprint: str | None, seconds: float | None = None
    ) -> QPixmap | None:
        """The pixmap if cached; otherwise it is queued and None is returned."""
        found = self._pixmaps.get(key)
        if found is not None:
            self._pixmaps.move_to_end(key)
            return found
        if key not in self._in_flight and key not in self._failed:
            self._in_flight.add(key)
            self._priority += 1
            job = _Job(self, key, path, fingerprint, self.wanted_size, seconds)
            self._pool.start(job, self._priority)
        return None

    def failed(self, key: str) -> bool:
        return key in self._failed

    def _on_loaded(self, key: str, image: QImage, size: int) -> None:
        self._in_flight.discard(key)
        if size != self.wanted_size:
            return
        if image.isNull():
            self._failed.add(key)
            self.ready.emit(key)
            return
        pixmap = QPixmap.fromImage(image)  # GUI thread only
        self._pixmaps[key] = pixmap
        self._bytes += pixmap.width() * pixmap.height() * 4
        while self._bytes > CACHE_BYTES and len(self._pixmaps) > 1:
            _, old = self._pixmaps.popitem(last=False)
            self._bytes -= old.width() * old.height() * 4
        self.ready.emit(key)

    @property
    def cached_bytes(self) -> int:
        return self._bytes

    def wait(self, msecs: int = 10_000) -> None:
        self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Quitting: drop the queued loads, wait for those running (they emit on self)."""
        self._pool.clear()
        self._pool.waitForDone()
