"""Query latency, memory and cold start over big synthetic libraries (run by hand, prints JSON).

    python tests/benchmarks/bench_search.py [--sizes 10000,100000,1000000]

For each size a library is made once (cached in the temp folder): a real catalog with that
many photo rows and fp16 embeddings of clustered synthetic vectors, opened with the random-init
CLIP ViT-B/32 pack. Measured: text -> top-50 (text encoder + index + catalog), find-similar
(stored vector), recall@10 of the index against exact search, RSS idle with the model loaded,
bytes per photo, and a cold start (a new process opens the library and answers one query).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

from bench_encoders import random_b32_pack  # noqa: E402
from magpie.core.catalog import Catalog  # noqa: E402
from synthetic import fill_catalog, fp16  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "magpie-bench"
DIM = 512
QUERIES = [
    "a dog on a bench",
    "sunset over the sea",
    "birthday cake",
    "a red car",
    "snow",
    "my cat sleeping",
]


def clustered(n: int, seed: int, clusters: int = 2000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIM)).astype(np.float32)
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        block = centres[rng.integers(0, clusters, size)] + 0.6 * rng.standard_normal(
            (size, DIM)
        ).astype(np.float32)
        out[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def make_library(n: int, model: str) -> Path:
    root = CACHE / f"library-{n}"
    if (root / ".complete").exists():
        return root
    print(f"building a {n:,}-photo library (once)...", file=sys.stderr)
    root.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(root / "catalog.sqlite")
    folder = catalog.add_folder(Path("/synthetic/photos"))
    vectors = clustered(n, seed=0)
    now = time.time()
    fill_catalog(
        catalog,
        model,
        n,
        folder_of=lambda i: folder,
        path_of=lambda i: f"/synthetic/photos/{i // 1000:04}/IMG_{i:07}.jpg",
        vector=fp16(vectors),
        now=now,
    )
    with catalog.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, '1')", (f"generation:{model}",)
        )
    catalog.close()
    (root / ".complete").write_text("ok")
    return root


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(n: int, pack: Path) -> dict[str, object]:
    from magpie.core.engine import Engine

    model = pack.name
    root = make_library(n, model)
    out: dict[str, object] = {"photos": n}
    started = time.perf_counter()
    engine = Engine(root, model=str(pack), writer=True)
    engine.clip.text  # noqa: B018
    engine.clip.image  # noqa: B018
    index = engine.index  # first open of a size builds and saves the index
    out["open_s"] = round(time.perf_counter() - started, 2)
    out["index_kind"] = index.kind
    engine.search(QUERIES[0], 50)

    text_ms = []
    for _ in range(5):
        for query in QUERIES:
            t = time.perf_counter()
            engine.search(query, 50)
            text_ms.append(1000 * (time.perf_counter() - t))
    out["text_top50_ms"] = {
        "p50": round(statistics.median(text_ms), 1),
        "p95": round(float(np.percentile(text_ms, 95)), 1),
    }

    rng = np.random.default_rng(3)
    similar_ms = []
    for file_id in rng.integers(1, n + 1, 30):
        path = f"/synthetic/photos/{(file_id - 1) // 1000:04}/IMG_{file_id - 1:07}.jpg"
        t = time.perf_counter()
        engine.similar(path, 50)
        similar_ms.append(1000 * (time.perf_counter() - t))
    out["similar_top50_ms"] = {
        "p50": round(statistics.median(similar_ms), 1),
        "p95": round(float(np.percentile(similar_ms, 95)), 1),
    }

    # recall@10 of the index in use against exact search, on queries near the data
    vectors = clustered(n, seed=0)
    queries = vectors[rng.integers(0, n, 100)] + 0.3 * rng.standard_normal((100, DIM)).astype(
        np.float32
    )
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    stored = vectors.astype(np.float16).astype(np.float32)
    recall, identical = [], []
    for q in queries:
        exact = (np.argsort(-(stored @ q))[:10] + 1).tolist()
        full_precision = (np.argsort(-(vectors @ q))[:10] + 1).tolist()
        identical.append(exact == full_precision)
        got = set(index.search(q, 10).ids.tolist())
        recall.append(len(set(exact) & got) / 10)
    out["recall_at_10"] = round(float(np.mean(recall)), 3)
    # fp16 storage: is the exact top-10 the same list, in the same order, as with fp32?
    out["fp16_top10_identical_to_fp32"] = round(float(np.mean(identical)), 3)
    del vectors, stored

    out["rss_idle_mb_model_and_index"] = round(rss_mb(), 0)
    catalog_bytes = sum(p.stat().st_size for p in root.glob("catalog.sqlite*"))
    index_bytes = sum(p.stat().st_size for p in (root / "index").glob("*.faiss"))
    out["disk_bytes_per_photo"] = {
        "catalog": round(catalog_bytes / n),
        "index": round(index_bytes / n),
    }
    out["ram_bytes_per_photo_index"] = round(index_bytes / n)
    engine.close()

    # cold start: a new process opens the library (index loaded from disk) and answers
    script = (
        "import time, sys; t0 = time.perf_counter()\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from magpie.core.engine import Engine\n"
        f"e = Engine({str(root)!r}, model={str(pack)!r})\n"
        f"r = e.search({QUERIES[1]!r}, 50)\n"
        "print(time.perf_counter() - t0, e.index.kind)\n"
    )
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    out["cold_start_first_query_s"] = {
        "in_process": round(float(done.stdout.split()[0]), 2),
        "with_interpreter_start": round(time.perf_counter() - t, 2),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    pack = random_b32_pack()
    results = [measure(int(n), pack) for n in args.sizes.split(",")]
    print(json.dumps({"pack": "CLIP ViT-B/32 (random init)", "results": results}, indent=2))


if __name__ == "__main__":
    main()
