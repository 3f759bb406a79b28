"""Near-duplicates and bursts: which photos are copies of one picture, and which to keep.

One signal alone fails. A CLIP-like vector says "same subject", so a fixed threshold on it
groups five different goldfish photos (Immich issue 31487); a perceptual hash says "same
layout", so it misses crops and bursts. A pair is scored by both, with time taken and camera
relaxing the layout for bursts:

    score = (cosine + layout) / 2,    layout = 1 - hash distance / 32, clipped to [0, 1]

Two unrelated 64-bit hashes differ in ~32 bits (layout 0); a re-save or resize in 0-4 (layout
~1), an edit in 8-14. A crop (4-10% off each side) is compared by one photo's whole frame
against the other's centre 85% (core/signals.py). Distinct photos of one subject that the
vector cannot tell apart (cosine 0.97-1) still differ in 18 bits or more: at most ~0.70. At
the default 0.75 the evaluation (tests/benchmarks/bench_duplicates.py) found every group pure
(pair precision 1.0) at recall 0.99; the similarity control goes down to 0.60 for heavier
edits, at the cost of some look-alikes. Byte-identical content always groups.

Not quadratic: candidate pairs are each photo's k nearest neighbours in vector space (FAISS,
exact for small libraries, an inverted-file index past EXACT_UP_TO), kept above a cosine
floor; only those are scored. Groups are the connected pairs at or above the threshold, so a
similarity control recomputes only the cheap last step (`DuplicateFinder.groups`).
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from magpie.core import signals as photo_signals
from magpie.core.catalog import Catalog, decode_path

if TYPE_CHECKING:
    from magpie.core.engine import Engine

log = logging.getLogger("magpie.duplicates")

DEFAULT_THRESHOLD = 0.75
MIN_THRESHOLD = 0.60  # the similarity control's range
NEIGHBOURS = 8  # k nearest neighbours per photo: candidate pairs
COSINE_FLOOR = 0.70  # below this two photos never are copies of one picture
EXACT_UP_TO = 10_000  # above, candidates come from an IVF index (n^1.5, not n^2)
_PROJECTED_DIM = 64  # candidate search runs on a PCA projection: 8x less work than 512-d
_PROBES = 8
BURST_SECONDS = 10.0  # shots of one camera this close in time are a burst
_LAYOUT_BITS = 32.0  # hash distance at which layouts count as unrelated
_BURST_LAYOUT_BONUS = 0.25  # how much a burst relaxes the layout (moving subjects)
_SAME_SIZE = 0.05  # pixel counts within 5% are "the same size" when choosing a keeper
# formats that cameras and phones write; PNG, WebP, GIF... of a photo are usually exports
_ORIGINAL_FORMATS = frozenset({".jpg", ".jpeg", ".heic", ".heif", ".tif", ".tiff", ".dng"})


@dataclass(frozen=True)
class Photo:
    """What duplicate finding knows about one photo."""

    file_id: int
    path: str
    size: int  # bytes
    width: int
    height: int
    taken_at: float | None  # EXIF date taken
    mtime: float
    camera: str | None
    fingerprint: str | None
    phash: int | None
    sharpness: float | None
    inner_phash: int | None = None  # the hash of the centre 85% (a crop's whole frame)

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class DuplicateGroup:
    photos: list[Photo]  # the keeper first
    keep: Photo
    reason: str  # why the keeper, in words
    score: float  # the weakest link that holds the group together

    def to_json(self) -> dict[str, object]:
        return {
            "paths": [p.path for p in self.photos],
            "keep": self.keep.path,
            "reason": self.reason,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Pairs:
    """Scored candidate pairs (indices into the finder's photos)."""

    left: np.ndarray
    right: np.ndarray
    score: np.ndarray


def neighbour_pairs(
    vectors: np.ndarray, k: int = NEIGHBOURS, floor: float = COSINE_FLOOR
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique (i, j, cosine) with i < j among each row's k nearest neighbours above `floor`.

    Exact inner products up to EXACT_UP_TO vectors (as fast there). Past that, neighbours come
    from an IVF index over a 64-d PCA projection (2 sqrt(n) cells, 8 probed: near-duplicates
    sit in the same or adjacent cells), about n^1.5 work instead of n^2; the cosine of each
    candidate pair is then computed exactly from the full vectors.
    """
    import faiss

    n, dim = vectors.shape
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    if n < 2:
        return empty
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    k = min(k + 1, n)  # +1: each photo finds itself
    if n <= EXACT_UP_TO:
        index = faiss.IndexFlatIP(dim)
        index.add(data)
        _, ids = index.search(data, k)
    else:
        ids = _approximate_neighbours(faiss, data, k)
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    cols = ids.ravel()
    keep = (cols >= 0) & (cols != rows)
    rows, cols = rows[keep], cols[keep]
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    _, first = np.unique(low * n + high, return_index=True)
    low, high = low[first], high[first]
    cos = np.empty(len(low), np.float32)
    for start in range(0, len(low), 8192):  # exact cosines, in cache-sized chunks
        part = slice(start, start + 8192)
        cos[part] = np.einsum("ij,ij->i", data[low[part]], data[high[part]])
    keep = cos >= floor
    return low[keep], high[keep], cos[keep]


def _approximate_neighbours(faiss: Any, data: np.ndarray, k: int) -> np.ndarray:
    n, dim = data.shape
    rng = np.random.default_rng(0)
    reduced = min(dim, _PROJECTED_DIM)
    pca = faiss.PCAMatrix(dim, reduced)
    pca.train(data[np.sort(rng.choice(n, size=min(n, 5_000), replace=False))])
    low = pca.apply(data)
    low /= np.maximum(np.linalg.norm(low, axis=1, keepdims=True), 1e-12)
    cells = max(16, min(int(4 * math.sqrt(n)), n // 20))
    index = faiss.IndexIVFFlat(
        faiss.IndexFlatIP(reduced), reduced, cells, faiss.METRIC_INNER_PRODUCT
    )
    # a coarse partition is enough for neighbours this close: 20 points per cell, 8 rounds
    index.cp.niter = 8
    index.cp.min_points_per_centroid = 20
    index.train(low[np.sort(rng.choice(n, size=min(n, cells * 20), replace=False))])
    index.add(low)
    index.nprobe = _PROBES
    _, ids = index.search(low, k)
    return ids


def _codes(values: list[str | None]) -> np.ndarray:
    """Equal strings to equal integers (None to -1), for vectorised comparison."""
    table: dict[str, int] = {}
    return np.array(
        [-1 if v is None else table.setdefault(v, len(table)) for v in values], dtype=np.int64
    )


def score_pairs(
    photos: list[Photo], left: np.ndarray, right: np.ndarray, cosine: np.ndarray
) -> np.ndarray:
    """The combined similarity of each candidate pair, in [0, 1]."""
    if len(left) == 0:
        return np.zeros(0, np.float32)
    hashes = np.array([p.phash if p.phash is not None else 0 for p in photos], dtype=np.uint64)
    has_hash = np.array([p.phash is not None for p in photos])
    inner = np.array(
        [p.inner_phash if p.inner_phash is not None else p.phash or 0 for p in photos],
        dtype=np.uint64,
    )
    # whole frames, or one photo's whole frame against the other's centre (a crop)
    distance = np.minimum.reduce(
        [
            photo_signals.hamming(hashes[left], hashes[right]),
            photo_signals.hamming(inner[left], hashes[right]),
            photo_signals.hamming(hashes[left], inner[right]),
        ]
    ).astype(np.float32)
    layout = np.clip(1.0 - distance / _LAYOUT_BITS, 0.0, 1.0)
    # without a hash (an unreadable thumbnail) there is no layout evidence: never a duplicate
    # by vector alone, the very mistake this module exists to avoid
    layout[~(has_hash[left] & has_hash[right])] = 0.0
    taken = np.array([p.taken_at if p.taken_at is not None else np.nan for p in photos])
    gap = np.abs(taken[left] - taken[right])
    camera = _codes([p.camera for p in photos])
    same_camera = (camera[left] >= 0) & (camera[left] == camera[right])
    with np.errstate(invalid="ignore"):
        burst = same_camera & (gap <= BURST_SECONDS)
        closeness = np.where(burst, 1.0 - gap / BURST_SECONDS, 0.0)
    layout = np.minimum(1.0, layout + _BURST_LAYOUT_BONUS * closeness * (layout > 0))
    score = (cosine + layout) / 2.0
    content = _codes([p.fingerprint for p in photos])
    same_bytes = (content[left] >= 0) & (content[left] == content[right])
    score[same_bytes] = 1.0
    return np.clip(score, 0.0, 1.0).astype(np.float32)


def _is_original(photo: Photo) -> bool:
    return Path(photo.path).suffix.lower() in _ORIGINAL_FORMATS and photo.camera is not None


def choose_keeper(photos: list[Photo]) -> tuple[Photo, str]:
    """The one to keep and why: largest, then original format, then sharpest, then oldest."""
    pool, reasons = photos, []
    largest = max(p.pixels for p in pool)
    big = [p for p in pool if p.pixels >= largest * (1 - _SAME_SIZE)]
    if len(big) < len(pool):
        top = max(big, key=lambda p: p.pixels)
        pool, reasons = big, [f"largest ({top.width}x{top.height})"]
    originals = [p for p in pool if _is_original(p)]
    if originals and len(originals) < len(pool):
        pool = originals
        reasons.append("original format with camera data")
    rated = sorted((p.sharpness for p in pool if p.sharpness is not None), reverse=True)
    if len(rated) > 1 and rated[0] > 1.1 * rated[1]:  # a clear difference only, not noise
        pool = [p for p in pool if p.sharpness == rated[0]]
        reasons.append("sharpest")
    if len(pool) > 1 or not reasons:
        reasons.append("oldest")
    keeper = min(pool, key=lambda p: (p.taken_at or p.mtime, p.mtime, p.path))
    return keeper, ", ".join(reasons)


class DuplicateFinder:
    """Candidate pairs are found and scored once; `groups(threshold)` is then cheap."""

    def __init__(self, photos: list[Photo], vectors: np.ndarray) -> None:
        self.photos = photos
        left, right, cosine = neighbour_pairs(vectors)
        self.pairs = Pairs(left, right, score_pairs(photos, left, right, cosine))

    def groups(self, threshold: float = DEFAULT_THRESHOLD) -> list[DuplicateGroup]:
        keep = self.pairs.score >= threshold
        left, right = self.pairs.left[keep], self.pairs.right[keep]
        scores = self.pairs.score[keep]
        parent = list(range(len(self.photos)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        pairs = list(zip(left.tolist(), right.tolist(), scores.tolist(), strict=True))
        for a, b, _ in pairs:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        members: dict[int, set[int]] = {}
        weakest: dict[int, float] = {}
        for a, b, score in pairs:
            r = root(a)
            members.setdefault(r, set()).update((a, b))
            weakest[r] = min(weakest.get(r, 1.0), score)
        found = []
        for r, indices in members.items():
            photos = [self.photos[i] for i in sorted(indices)]
            keeper, reason = choose_keeper(photos)
            ordered = [keeper, *[p for p in photos if p is not keeper]]
            found.append(DuplicateGroup(ordered, keeper, reason, weakest[r]))
        # most photos first, then by path: a stable order for people and scripts
        found.sort(key=lambda g: (-len(g.photos), g.keep.path))
        return found


def load_photos(
    catalog: Catalog, model: str, dim: int, folder: str | Path | None = None
) -> tuple[list[Photo], np.ndarray]:
    """Indexed photos (optionally under a folder) with their signals and vectors."""
    where, args = "", [model]
    if folder is not None:
        prefix = os.fsencode(os.path.join(os.fspath(folder), ""))
        where = " AND f.path >= ? AND f.path < ?"
        args += [prefix, prefix[:-1] + bytes([prefix[-1] + 1])]
    rows = catalog._query(
        "SELECT f.id, f.path, f.size, f.width, f.height, f.taken_at, f.mtime_ns, f.camera,"
        " f.fingerprint, s.phash, s.sharpness, e.vector, s.inner_phash FROM files f"
        " JOIN embeddings e ON e.file_id = f.id AND e.model = ?"
        " LEFT JOIN photo_signals s ON s.file_id = f.id AND s.fingerprint = f.fingerprint"
        f" WHERE f.state = 'indexed'{where} ORDER BY f.id",
        args,
    )
    photos = [
        Photo(
            r[0],
            decode_path(r[1]),
            r[2],
            r[3] or 0,
            r[4] or 0,
            r[5],
            r[6] / 1e9,
            r[7],
            r[8],
            photo_signals.from_sql(r[9]) if r[9] is not None else None,
            r[10],
            photo_signals.from_sql(r[12]) if r[12] is not None else None,
        )
        for r in rows
    ]
    vectors = np.empty((len(rows), dim), dtype=np.float32)
    for i, r in enumerate(rows):
        vectors[i] = np.frombuffer(r[11], dtype=np.float16)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return photos, vectors / np.maximum(norms, 1e-12)


def find_duplicates(engine: Engine, folder: str | Path | None = None) -> DuplicateFinder:
    """Fill in missing signals (libraries indexed before them), then find candidate pairs."""
    photo_signals.backfill(engine.catalog, engine.thumbnails.root)
    where = Path(folder).expanduser().resolve() if folder is not None else None
    photos, vectors = load_photos(engine.catalog, engine.model_name, engine.clip.dim, where)
    return DuplicateFinder(photos, vectors)
