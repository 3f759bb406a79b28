"""Big synthetic libraries written straight into a catalog (benchmarks only).

Indexing 100,000 real photos takes hours on a laptop CPU; the benchmarks of search, status
and the window need the catalog rows and vectors such a library holds, not the pixels.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from magpie.core.catalog import Catalog, Folder, encode_path

MTIME_NS = 1_600_000_000 * 10**9  # every photo's modification time, plus its number
SIZE = 4_000_000  # bytes, as a typical camera JPEG


def fill_catalog(
    catalog: Catalog,
    model: str,
    n: int,
    folder_of: Callable[[int], Folder],
    path_of: Callable[[int], str],
    vector: Callable[[int], bytes],
    size: Callable[[int], int] = lambda i: SIZE,
    now: float = 0.0,
) -> None:
    """n indexed photos: photo i in folder_of(i) at path_of(i), its embedding vector(i)."""
    with catalog.transaction() as db:
        db.executemany(
            "INSERT INTO files(id, folder_id, path, name, size, mtime_ns, fingerprint, state, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'indexed', ?)",
            (
                (
                    i + 1,
                    folder_of(i).id,
                    encode_path(path_of(i)),
                    path_of(i).rsplit("/", 1)[-1],
                    size(i),
                    MTIME_NS + i,
                    f"{i:032x}",
                    now,
                )
                for i in range(n)
            ),
        )
        db.executemany(
            "INSERT INTO embeddings(file_id, model, vector, source_size, source_mtime_ns) "
            "VALUES (?, ?, ?, ?, ?)",
            ((i + 1, model, vector(i), SIZE, MTIME_NS + i) for i in range(n)),
        )


def fp16(vectors: np.ndarray) -> Callable[[int], bytes]:
    """Photo i's embedding: row i of the array, stored as the catalog stores it (fp16)."""
    return lambda i: vectors[i].astype(np.float16).tobytes()
