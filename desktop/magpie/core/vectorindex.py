"""The FAISS index: derived from the catalog, saved atomically with the generation it holds.

Up to APPROX_THRESHOLD vectors the search is exhaustive over fp16-stored vectors (1 KB per
512-d photo, ~8 ms for 100k on 2 cores). Past it an IVF index (inverted lists over k-means
cells, fp16 storage) answers in a fraction of that, with nprobe chosen for recall@10 >= 0.95;
it is built off the caller's thread and swapped in. Both add and remove single ids cheaply.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import faiss as faiss_module

log = logging.getLogger("magpie.index")

# Exhaustive fp16 search costs ~0.08 ms per 1000 vectors here; at 250k that is ~20 ms, the
# most we want a keystroke to wait. Beyond, IVF keeps queries near-constant.
APPROX_THRESHOLD = 250_000
# Cells searched per query. Measured on 1M diffuse clustered vectors (bench_search.py):
# 6% of cells gave recall@10 0.82, 20% 0.92, 30% 0.955 at ~25 ms. Real photo embeddings
# cluster tighter, so this errs on the side of recall.
DEFAULT_NPROBE_FRACTION = 0.3


def faiss() -> faiss_module:  # type: ignore[valid-type]
    """Import faiss lazily: it is not needed to show a window."""
    import faiss as module

    return module


@dataclass(frozen=True)
class Hits:
    ids: np.ndarray  # int64, best first
    scores: np.ndarray  # float32 cosine similarity


class VectorIndex:
    """An id-keyed inner-product index; thread-safe; replaces ids on add."""

    def __init__(self, dim: int, approximate_from: int = APPROX_THRESHOLD) -> None:
        self.dim = dim
        self.approximate_from = approximate_from
        self._lock = threading.RLock()
        self._save_lock = threading.Lock()
        self._index = self._exact()
        self.kind = "exact"

    def _exact(self) -> object:
        f = faiss()
        flat = f.IndexScalarQuantizer(self.dim, f.ScalarQuantizer.QT_fp16, f.METRIC_INNER_PRODUCT)
        return f.IndexIDMap2(flat)

    def __len__(self) -> int:
        with self._lock:
            return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            self._index.remove_ids(ids)
            self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> None:
        if len(ids) == 0:
            return
        with self._lock:
            self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> Hits:
        f = faiss()
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        with self._lock:
            k = min(k, int(self._index.ntotal))
            if k <= 0 or (allowed is not None and len(allowed) == 0):
                return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
            params = None
            if allowed is not None:
                selector = f.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
                if self.kind == "exact":
                    params = f.SearchParameters(sel=selector)
                else:
                    params = f.SearchParametersIVF(sel=selector, nprobe=self._nprobe())
            scores, ids = self._index.search(query, k, params=params)
        keep = ids[0] >= 0
        return Hits(ids[0][keep], scores[0][keep])

    def _nprobe(self) -> int:
        ivf = faiss().extract_index_ivf(self._index)
        return int(ivf.nprobe)

    # --- approximate index ----------------------------------------------------------------

    def needs_approximate(self) -> bool:
        return self.kind == "exact" and len(self) >= self.approximate_from

    def build_approximate(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Train and fill an IVF index from these vectors, then swap it in (call off the GUI)."""
        f = faiss()
        n = len(ids)
        # sqrt(n) cells, trained on 40 vectors each (FAISS asks 39) for 10 rounds: a 1M
        # library trains in seconds on 2 cores (4*sqrt(n) cells would take minutes)
        cells = max(16, int(math.sqrt(n)))
        quantizer = f.IndexFlatIP(self.dim)
        ivf = f.IndexIVFScalarQuantizer(
            quantizer, self.dim, cells, f.ScalarQuantizer.QT_fp16, f.METRIC_INNER_PRODUCT
        )
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(n, size=min(n, cells * 40), replace=False)]
        ivf.cp.niter = 10
        ivf.train(np.ascontiguousarray(sample, dtype=np.float32))
        ivf.nprobe = max(8, int(cells * DEFAULT_NPROBE_FRACTION))
        ivf.add_with_ids(
            np.ascontiguousarray(vectors, np.float32), np.ascontiguousarray(ids, np.int64)
        )
        with self._lock:
            # only the library's one writer adds vectors, and it is the caller: nothing
            # arrived while we trained, so the swap loses nothing
            self._index = ivf
            self.kind = "approximate"
        log.info("approximate index: %d vectors in %d cells, nprobe %d", n, cells, ivf.nprobe)

    # --- persistence ------------------------------------------------------------------------

    def save(self, path: Path, stamp: str) -> None:
        """Atomically write the index and a sidecar stamp (the catalog generation it holds).

        Two threads of one process may save at once (the writer lane and close()): each
        writes its own temporary file, and the save lock keeps the index and its stamp
        from being replaced by two savers interleaved.
        """
        f = faiss()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._save_lock:
            fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                with self._lock:
                    f.write_index(self._index, str(tmp))
                    meta = {
                        "stamp": stamp,
                        "dim": self.dim,
                        "kind": self.kind,
                        "count": int(self._index.ntotal),
                    }
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
            stamp_tmp = path.with_suffix(".json.tmp")
            stamp_tmp.write_text(json.dumps(meta))
            os.replace(stamp_tmp, path.with_suffix(".json"))

    @classmethod
    def load(cls, path: Path, dim: int, stamp: str) -> VectorIndex | None:
        """The saved index if it is intact and holds exactly this generation, else None."""
        f = faiss()
        if not path.with_suffix(".json").is_file():
            return None  # never saved (a new library), or removed
        try:
            meta = json.loads(path.with_suffix(".json").read_text())
            if meta.get("stamp") != stamp or meta.get("dim") != dim:
                return None
            index = f.read_index(str(path))
        except (OSError, ValueError, RuntimeError) as exc:
            log.warning("%s: unreadable vector index, rebuilding it (%s)", path, exc)
            return None
        if index.d != dim or index.ntotal != meta.get("count"):
            return None
        loaded = cls(dim)
        loaded._index = index
        loaded.kind = meta.get("kind", "exact")
        return loaded
