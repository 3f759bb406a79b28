"""What the counts cost while indexing (run by hand, prints JSON).

    python tests/benchmarks/bench_status.py [--sizes 10000,100000]

The app now sends fresh counts (the catalog part of Engine.status: counts, folder_counts,
failures) at most twice a second while indexing, so the folder panel never trails the grid.
For each size a catalog with that many indexed photos (1 KiB fp16 vectors, 20 folders, 1% of
the files changed since they were indexed) is built once; measured in one run: the median time
of that status query set with the one "current vector" rule and its covering index, the
baseline (the queries before: a folder total that did not check the vector is current, no
index), their ratio, and the share of the indexer's time the counts take at two per second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from magpie.core.catalog import Catalog  # noqa: E402
from synthetic import SIZE, fill_catalog  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "magpie-bench-status"
MODEL = "bench"
FOLDERS = 20
OLD_FOLDER_COUNTS = (
    "SELECT f.folder_id, count(*) FROM embeddings e JOIN files f ON f.id = e.file_id "
    "WHERE e.model = ? GROUP BY f.folder_id"
)
INDEX = (
    "CREATE INDEX embeddings_current ON embeddings(file_id, model, source_size, source_mtime_ns)"
)


def make_catalog(n: int) -> Path:
    path = CACHE / f"catalog-{n}.sqlite"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"building a {n:,}-photo catalog (once)...", file=sys.stderr)
    catalog = Catalog(path)
    folders = [catalog.add_folder(Path(f"/synthetic/{i:02}")) for i in range(FOLDERS)]
    vector = np.random.default_rng(0).standard_normal(512).astype(np.float16).tobytes()
    now = time.time()
    fill_catalog(
        catalog,
        MODEL,
        n,
        folder_of=lambda i: folders[i % FOLDERS],
        path_of=lambda i: f"/synthetic/{i % FOLDERS:02}/IMG_{i:07}.jpg",
        vector=lambda i: vector,
        size=lambda i: SIZE + (1 if i % 100 == 0 else 0),  # 1% changed since indexed
        now=now,
    )
    catalog.close()
    return path


def median_ms(fn: object, repeats: int = 15) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(n: int) -> dict[str, object]:
    catalog = Catalog(make_catalog(n))
    try:

        def new() -> None:
            catalog.counts(MODEL)
            catalog.folder_counts(MODEL)
            catalog.failures()

        def old() -> None:  # the queries before this change, without the covering index
            catalog.counts(MODEL)
            catalog._query(OLD_FOLDER_COUNTS, (MODEL,))
            catalog.failures()

        new()  # warm the page cache
        new_ms = median_ms(new)
        catalog._query("DROP INDEX embeddings_current")
        old()
        old_ms = median_ms(old)
        catalog._query(INDEX)
        images = catalog.counts(MODEL).images
        folder_total = sum(catalog.folder_counts(MODEL).values())
        old_total = sum(dict(catalog._query(OLD_FOLDER_COUNTS, (MODEL,))).values())
    finally:
        catalog.close()
    return {
        "photos": n,
        "status_counts_ms": round(new_ms, 2),
        "baseline_old_queries_ms": round(old_ms, 2),
        "ratio_new_vs_old": round(new_ms / old_ms, 3),
        "indexing_time_share_at_2_per_s": round(new_ms / 500, 4),
        "images": images,
        "folder_total": folder_total,
        "old_folder_total": old_total,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    results = [measure(int(n)) for n in args.sizes.split(",")]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
