"""What the engine needs from a vector store, whichever engine keeps the vectors.

Two implementations: the local FAISS index (faiss_store, the default) and a shared Milvus
collection (milvus_store). The engine talks to both through `VectorStore`; ids are this
library's file ids, and hits that live in another library (another machine sharing the
store) come back with a negative id and their `RemotePlace`.
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
    """Restrictions a search applies inside the store (not after its top-k)."""

    folder: Path | None = None  # under this folder of this library, any depth
    date_from: float | None = None  # taken at or after (epoch seconds)
    date_to: float | None = None  # taken before

    @classmethod
    def of(
        cls, folder: str | Path | None, date_from: float | None, date_to: float | None
    ) -> SearchFilters | None:
        if folder is None and date_from is None and date_to is None:
            return None
        where = Path(folder).expanduser().resolve() if folder is not None else None
        return cls(where, date_from, date_to)


@dataclass(frozen=True)
class RemotePlace:
    """Where a photo indexed by another library (machine) lives."""

    host: str
    path: str
    fingerprint: str
    library: str


@runtime_checkable
class VectorStore(Protocol):
    dim: int
    # True when search() applies SearchFilters itself; else the engine passes `allowed` ids
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
    ) -> Hits: ...

    def needs_approximate(self) -> bool: ...

    def build_approximate(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def save(self, path: Path, stamp: str) -> None: ...

    def known_vectors(self, fingerprints: list[str]) -> dict[str, np.ndarray]:
        """Vectors the store already holds for these contents (encoded elsewhere)."""
        ...

    def owns(self, fingerprint: str) -> bool:
        """Whether this process encodes this content (its shard), or waits for another."""
        ...
