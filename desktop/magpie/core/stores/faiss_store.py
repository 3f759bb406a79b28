"""The local store: the FAISS VectorIndex, as the engine has always used it (the default)."""

from __future__ import annotations

import numpy as np

from magpie.core.stores.base import RemotePlace, SearchFilters
from magpie.core.vectorindex import Hits, VectorIndex


class FaissStore(VectorIndex):
    """VectorIndex behind the VectorStore interface; the catalog turns filters into `allowed`."""

    pushes_filters = False

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        filters: SearchFilters | None = None,
    ) -> Hits:
        return super().search(query, k, allowed)

    def count(self, filters: SearchFilters | None) -> int:
        return len(self)

    def place_of(self, vector_id: int) -> RemotePlace | None:
        return None  # one library: every id is this library's

    def known_vectors(self, fingerprints: list[str]) -> dict[str, np.ndarray]:
        return {}  # one library, one writer: nothing is encoded elsewhere

    def owns(self, fingerprint: str) -> bool:
        return True
