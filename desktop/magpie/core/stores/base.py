"""What the search planner and the indexer need from a vector store, whichever keeps the vectors.

Two implementations: the local FAISS index (faiss_store, the default) and a shared Milvus
collection (milvus_store). Ids are this library's vector ids (file ids, and video moments at
MOMENT_ID_BASE + moment id); a hit that lives in another library (another machine sharing the
store) comes back with a negative id, whose `RemotePlace` the store keeps (`place_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from magpie.core.errors import MagpieError
from magpie.core.vectorindex import Hits


class StoreUnavailableError(MagpieError):
    """The shared store cannot be reached (after retries); the local catalog is intact."""


class StoreMismatchError(MagpieError):
    """The store holds vectors of another model or dimension than the one in use."""


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions a search applies inside the store (never after its top-k)."""

    folder: Path | None = None  # under this folder, any depth
    date_from: float | None = None  # taken at or after (epoch seconds)
    date_to: float | None = None  # taken before
    place: str | None = None  # taken at a place of this name (city, region, country...)

    @classmethod
    def of(
        cls,
        folder: str | Path | None,
        date_from: float | None,
        date_to: float | None,
        place: str | None = None,
    ) -> SearchFilters | None:
        if folder is None and date_from is None and date_to is None and not place:
            return None
        where = Path(folder).expanduser().resolve() if folder is not None else None
        return cls(where, date_from, date_to, place or None)


@dataclass(frozen=True)
class RemotePlace:
    """Where a photo (or a video moment) indexed by another library lives."""

    host: str
    path: str
    fingerprint: str
    library: str
    taken: float
    seconds: float | None  # a moment of a video: where it starts


@runtime_checkable
class VectorStore(Protocol):
    dim: int
    # True: search() applies SearchFilters itself (a scalar filter inside the search) and
    # may return other libraries' photos; else the planner passes the catalog's ids as allowed
    pushes_filters: bool

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        filters: SearchFilters | None = None,
    ) -> Hits:
        """Best first. With `allowed`, exact scores of those ids only (the match rule's)."""
        ...

    def count(self, filters: SearchFilters | None) -> int:
        """How many vectors a search with these filters covers (the match rule's N)."""
        ...

    def place_of(self, vector_id: int) -> RemotePlace | None: ...

    def needs_approximate(self) -> bool: ...

    def build_approximate(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def save(self, path: Path, stamp: str) -> None: ...

    def known_vectors(self, fingerprints: list[str]) -> dict[str, np.ndarray]:
        """Vectors the store already holds for these contents (encoded elsewhere)."""
        ...

    def owns(self, fingerprint: str) -> bool:
        """Whether this process encodes this content (its shard), or leaves it to another."""
        ...
