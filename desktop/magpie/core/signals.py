"""Per-photo signals for finding duplicates: a perceptual hash and a sharpness measure.

The indexer computes both from the decode it already does (no second read of the photo) and
stores them in the catalog table `photo_signals`, keyed by file id and tagged with the content
fingerprint they were computed from, so a changed photo is never judged by its old hash.
Photos indexed before this table existed get theirs from the cached thumbnail on first use.

The hash is the DCT pHash (Zauner 2010, as in the `imagehash` package, which the tests compare
against): 32x32 grey, 2-D DCT-II, the 8x8 lowest frequencies against their median. It is
written out here with numpy (a 32x32 matrix product) so the app does not ship SciPy for it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

# np.median imports numpy.ma on its first call: here, with this module, rather than on the
# decode threads in the middle of a first index (an import holds up every other thread)
import numpy.ma
from PIL import Image

from magpie.core import imaging
from magpie.core.catalog import Catalog
from magpie.core.errors import DecodeError, MagpieError

log = logging.getLogger("magpie.signals")

_HASH_SIDE = 32  # grey picture the DCT runs on
_HASH_LOW = 8  # low-frequency block kept: 64 bits
_SHARPNESS_SIDE = 256  # sharpness is compared at one scale, whatever the photo's size
# A cropped copy (4-10% off each side) looks like the centre of its original: comparing each
# photo's hash with the other's centre hash finds crops that the whole-frame hashes miss
# (bench_duplicates.py: crop pairs' 10th-percentile score 0.65 -> 0.82, look-alikes unchanged).
_INNER = 0.85


@dataclass(frozen=True)
class Signals:
    phash: int  # 64-bit unsigned
    sharpness: float  # variance of the Laplacian at 256 px: higher is sharper
    inner_phash: int  # the hash of the centre 85%: what a crop of the photo keeps


@cache
def _dct_matrix(n: int) -> np.ndarray:
    """Unnormalised DCT-II as a matrix (scipy.fftpack.dct's convention): D @ x."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))


def perceptual_hash(image: Image.Image) -> int:
    grey = image.convert("L").resize((_HASH_SIDE, _HASH_SIDE), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    d = _dct_matrix(_HASH_SIDE)
    low = (d @ pixels @ d.T)[:_HASH_LOW, :_HASH_LOW]
    bits = (low > np.median(low)).ravel()
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def sharpness(image: Image.Image) -> float:
    grey = image.convert("L")
    grey.thumbnail((_SHARPNESS_SIDE, _SHARPNESS_SIDE), Image.Resampling.BILINEAR)
    p = np.asarray(grey, dtype=np.float32)
    if p.shape[0] < 3 or p.shape[1] < 3:
        return 0.0
    lap = p[1:-1, :-2] + p[1:-1, 2:] + p[:-2, 1:-1] + p[2:, 1:-1] - 4.0 * p[1:-1, 1:-1]
    return float(lap.var())


def compute(image: Image.Image) -> Signals:
    w, h = image.size
    m = (1 - _INNER) / 2
    centre = image.crop((round(w * m), round(h * m), round(w * (1 - m)), round(h * (1 - m))))
    return Signals(perceptual_hash(image), sharpness(image), perceptual_hash(centre))


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bitwise distance of two arrays of 64-bit hashes (as uint64)."""
    x = np.bitwise_xor(a.astype(np.uint64), b.astype(np.uint64))
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def _to_sql(value: int) -> int:
    """SQLite integers are signed 64-bit: store the hash's bits as such."""
    return value - (1 << 64) if value >= 1 << 63 else value


def from_sql(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def store(catalog: Catalog, rows: Iterable[tuple[int, str, Signals]]) -> None:
    """(file id, content fingerprint, signals) into the catalog, replacing older ones."""
    values = [(i, _to_sql(s.phash), s.sharpness, f, _to_sql(s.inner_phash)) for i, f, s in rows]
    if not values:
        return
    with catalog.transaction() as db:
        db.executemany(
            "INSERT OR REPLACE INTO photo_signals"
            "(file_id, phash, sharpness, fingerprint, inner_phash) "
            "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM files WHERE id = ?)",
            [(*v, v[0]) for v in values],
        )


def backfill(catalog: Catalog, thumbnails_root: Path, ids: Iterable[int] | None = None) -> int:
    """Compute missing or stale signals from cached thumbnails (else the photo); returns count.

    For libraries indexed before signals existed. Unreadable photos are skipped (logged): they
    simply take part in duplicate finding by their vector only.
    """
    rows = catalog._query(
        "SELECT f.id, f.path, f.fingerprint FROM files f "
        "LEFT JOIN photo_signals s ON s.file_id = f.id "
        "WHERE f.state = 'indexed' AND f.fingerprint IS NOT NULL "
        "AND (s.file_id IS NULL OR s.fingerprint != f.fingerprint)"
    )
    wanted = None if ids is None else set(ids)
    done: list[tuple[int, str, Signals]] = []
    count = 0
    for file_id, raw_path, print_ in rows:
        if wanted is not None and file_id not in wanted:
            continue
        thumb = thumbnails_root / print_[:2] / f"{print_}.jpg"
        source = thumb if thumb.is_file() else Path(os.fsdecode(raw_path))
        try:
            image = imaging.decode_image(source, _SHARPNESS_SIDE)
        except (DecodeError, OSError) as exc:
            log.info("no duplicate signals for %s (%s)", source, exc)
            continue
        done.append((file_id, print_, compute(image)))
        count += 1
        if len(done) >= 500:
            _store_quietly(catalog, done)
            done.clear()
    _store_quietly(catalog, done)
    return count


def _store_quietly(catalog: Catalog, rows: list[tuple[int, str, Signals]]) -> None:
    """Backfill is a cache: a read-only or busy library still finds duplicates next time."""
    try:
        store(catalog, rows)
    except (sqlite3.Error, MagpieError) as exc:
        log.warning("could not save duplicate signals (%s)", exc)
