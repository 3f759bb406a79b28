"""The local store: the FAISS VectorIndex, as the engine has always used it (the default)."""

from __future__ import annotations

import numpy as np

from magpie.core.stores.base import SearchFilters
from magpie.core.vectorindex import Hits, VectorIndex


class FaissStore(VectorIndex):
    """VectorIndex behind the VectorStore interface; the catalog applies filters as `allowed`."""

    pushes_filters = False

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        filters: SearchFilters | None = None,
    ) -> Hits:
        return super().search(query, k, allowed)

    def known_vectors(self, fingerprints: list[str]) -> dict[str, np.ndarray]:
        return {}  # one library, one writer: nothing is encoded elsewhere

    def owns(self, fingerprint: str) -> bool:
        return True
