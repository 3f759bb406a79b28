"""The local FAISS store against Milvus Lite, and indexing with 1, 2, 4 processes sharing one
Milvus store (run by hand, prints JSON).

    python tests/benchmarks/bench_stores.py search [--sizes 100000,1000000] [--queries 200]
    python tests/benchmarks/bench_stores.py ef [--size 100000] [--widths 64,256,512]  (after search)
    python tests/benchmarks/bench_stores.py indexing [--photos 120] [--processes 1,2,4]
    (MAGPIE_SHARED=DIR if ../shared is elsewhere, as for the tests)

search: the same clustered 512-d unit vectors (bench_search.py's generator) go into the app's
FaissStore (exact fp16 up to 250k, IVF beyond, as the app builds it) and into a MilvusStore on
a Milvus Lite .db (the HNSW collection the app creates), through the stores' own add/search.
Measured: insert throughput, recall@10 against exact float32 search, p50/p95 latency of a
top-10 query, and the same with a date filter that keeps ~10% (pushed into the search).

indexing: a folder of camera-like photos (photoset.py, from ../shared/photos) indexed with
the real bridge pack (../shared/packs) by N `magpie index --shard I/N` processes, each its own
library, all sharing one Milvus Lite server (`milvus-lite server`: a .db file is one process
only). Measured: wall time until every share is encoded, then the adoption pass (each library
takes the others' vectors, encoding nothing), against one process on the local FAISS index.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

from bench_search import DIM, clustered  # noqa: E402
from magpie.core.catalog import Placement  # noqa: E402
from magpie.core.stores.base import SearchFilters  # noqa: E402
from magpie.core.stores.faiss_store import FaissStore  # noqa: E402
from magpie.core.stores.milvus_store import MilvusStore  # noqa: E402

WORK = Path(tempfile.gettempdir()) / "magpie-bench-stores"
SHARED = Path(os.environ.get("MAGPIE_SHARED", REPO.parent / "shared"))  # as in conftest.py
BRIDGE = SHARED / "packs" / "bridge-effnetl0-minilm"
DAY = 86_400.0


class SyntheticCatalog:
    """What MilvusStore asks of a catalog, for n synthetic photos (no SQLite of 1M rows)."""

    readonly = False

    def __init__(self, n: int) -> None:
        self.n = n

    def _query(self, sql: str, args: object = ()) -> list[tuple[str]]:
        return [("bench-library",)]  # the library id

    def placement(self, ids: list[int]) -> dict[int, Placement]:
        return {
            i: Placement(
                f"/photos/{i // 1000:04d}/IMG_{i:07d}.jpg", f"{i:032x}", i * DAY / 100, (), None
            )
            for i in ids
        }

    def ids_by_fingerprint(self, fingerprints: list[str]) -> dict[str, int]:
        return {}  # one library: every hit is its own

    def max_vector_id(self) -> int:
        return self.n


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def timed_queries(search, queries: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
    found, latencies = [], []
    for query in queries:
        started = time.perf_counter()
        hits = search(query)
        latencies.append((time.perf_counter() - started) * 1000)
        found.append(hits.ids)
    return found, latencies


def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    return float(
        np.mean(
            [
                len(set(f[:10].tolist()) & set(t.tolist())) / 10
                for f, t in zip(found, truth, strict=True)
            ]
        )
    )


def bench_search(n: int, query_count: int) -> dict[str, object]:
    vectors = clustered(n, seed=0)
    ids = np.arange(1, n + 1, dtype=np.int64)
    rng = np.random.default_rng(1)
    queries = vectors[rng.choice(n, query_count, replace=False)] + 0.3 * rng.standard_normal(
        (query_count, DIM)
    ).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    scores = queries @ vectors.T
    truth = ids[np.argsort(-scores, axis=1)[:, :10]]
    dates = ids * DAY / 100  # the synthetic catalog's dates
    cut = float(np.percentile(dates, 10))
    allowed_mask = dates < cut
    masked = np.where(allowed_mask[None, :], scores, -np.inf)
    truth_filtered = ids[np.argsort(-masked, axis=1)[:, :10]]
    del scores, masked
    out: dict[str, object] = {"vectors": n, "dim": DIM, "queries": query_count}

    # --- FAISS (the app's store) ---
    started = time.perf_counter()
    faiss_store = FaissStore(DIM)
    if n >= faiss_store.approximate_from:
        faiss_store.build_approximate(ids, vectors)
    else:
        for start in range(0, n, 10_000):
            faiss_store.add(ids[start : start + 10_000], vectors[start : start + 10_000])
    faiss_insert = time.perf_counter() - started
    found, lat = timed_queries(lambda q: faiss_store.search(q, 10), queries)
    allowed = ids[allowed_mask]
    found_f, lat_f = timed_queries(lambda q: faiss_store.search(q, 10, allowed), queries)
    out["faiss"] = {
        "kind": faiss_store.kind,
        "insert_per_s": round(n / faiss_insert),
        "recall_at_10": round(recall(found, truth), 4),
        "p50_ms": round(percentile(lat, 50), 2),
        "p95_ms": round(percentile(lat, 95), 2),
        "filtered_recall_at_10": round(recall(found_f, truth_filtered), 4),
        "filtered_p50_ms": round(percentile(lat_f, 50), 2),
        "filtered_p95_ms": round(percentile(lat_f, 95), 2),
    }
    print(json.dumps(out["faiss"]), file=sys.stderr)

    # --- Milvus Lite (the app's MilvusStore) ---
    db = WORK / f"search-{n}.db"
    shutil.rmtree(db, ignore_errors=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    store = MilvusStore(str(db), SyntheticCatalog(n), "bench-model", DIM)  # type: ignore[arg-type]
    started = time.perf_counter()
    for start in range(0, n, 5_000):
        store.add(ids[start : start + 5_000], vectors[start : start + 5_000])
        if start % 100_000 == 0:
            print(f"milvus: {start:,} inserted", file=sys.stderr)
    inserted = time.perf_counter() - started
    store.client.flush(store.collection)  # seal the segments: their HNSW indexes are built
    flushed = time.perf_counter() - started
    store.search(queries[0], 10)  # the first search loads the sealed segments
    found, lat = timed_queries(lambda q: store.search(q, 10), queries)
    date_filter = SearchFilters(date_to=cut)
    found_f, lat_f = timed_queries(lambda q: store.search(q, 10, filters=date_filter), queries)
    out["milvus_lite"] = {
        "insert_per_s": round(n / inserted),
        "insert_and_index_per_s": round(n / flushed),
        "recall_at_10": round(recall(found, truth), 4),
        "p50_ms": round(percentile(lat, 50), 2),
        "p95_ms": round(percentile(lat, 95), 2),
        "filtered_recall_at_10": round(recall(found_f, truth_filtered), 4),
        "filtered_p50_ms": round(percentile(lat_f, 50), 2),
        "filtered_p95_ms": round(percentile(lat_f, 95), 2),
    }
    store.close()
    f, m = out["faiss"], out["milvus_lite"]
    out["milvus_vs_faiss"] = {
        "p50_latency_ratio": round(m["p50_ms"] / f["p50_ms"], 1),  # type: ignore[index]
        "insert_throughput_ratio": round(m["insert_per_s"] / f["insert_per_s"], 3),  # type: ignore[index]
    }
    return out


def bench_ef(n: int, query_count: int, widths: list[int]) -> list[dict[str, object]]:
    """Recall and latency per HNSW search width, on the collection `search` left behind."""
    db = WORK / f"search-{n}.db"
    if not db.exists():
        sys.exit(f"{db} is missing: run `search --sizes {n}` first")
    vectors = clustered(n, seed=0)
    ids = np.arange(1, n + 1, dtype=np.int64)
    rng = np.random.default_rng(1)  # the same queries as `search` (its first query_count)
    queries = vectors[rng.choice(n, 200, replace=False)] + 0.3 * rng.standard_normal(
        (200, DIM)
    ).astype(np.float32)
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True))[:query_count]
    scores = queries @ vectors.T
    truth = ids[np.argsort(-scores, axis=1)[:, :10]]
    cut = float(np.percentile(ids * DAY / 100, 10))
    masked = np.where((ids * DAY / 100 < cut)[None, :], scores, -np.inf)
    truth_filtered = ids[np.argsort(-masked, axis=1)[:, :10]]
    store = MilvusStore(str(db), SyntheticCatalog(n), "bench-model", DIM)  # type: ignore[arg-type]
    out = []
    for ef in widths:
        for name, filters, expected in (
            ("plain", None, truth),
            ("date 10%", SearchFilters(date_to=cut), truth_filtered),
        ):
            found, latencies = [], []
            for query in queries:
                started = time.perf_counter()
                result = store.client.search(
                    store.collection,
                    data=[query.tolist()],
                    limit=10,
                    filter=store._expression(filters),
                    output_fields=["file_id"],
                    search_params={"metric_type": "IP", "params": {"ef": ef}},
                )
                latencies.append((time.perf_counter() - started) * 1000)
                found.append(np.array([hit["entity"]["file_id"] for hit in result[0]]))
            out.append(
                {
                    "ef": ef,
                    "search": name,
                    "recall_at_10": round(recall(found, expected), 3),
                    "p50_ms": round(percentile(latencies, 50), 1),
                }
            )
            print(json.dumps(out[-1]), file=sys.stderr)
    store.close()
    return out


# --- indexing with N processes ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def magpie(library: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "magpie", "--library", str(library), "--model", str(BRIDGE)]
    command += ["--device", "cpu", *args, "--json"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(processes: list[subprocess.Popen[str]]) -> list[dict[str, object]]:
    reports = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode != 0:
            sys.exit(f"magpie failed ({process.returncode}): {err.strip()[-2000:]}")
        reports.append(json.loads(out))
    return reports


def bench_indexing(photos: int, counts: list[int]) -> dict[str, object]:
    import photoset

    photoset.SOURCES = SHARED / "photos" / "large"

    if not BRIDGE.is_dir():
        sys.exit(f"{BRIDGE} is missing: the indexing benchmark needs ../shared/packs")
    folder = photoset.photo_set(photos)
    results: dict[str, object] = {"photos": photos, "pack": BRIDGE.name}
    base = WORK / "indexing"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    started = time.perf_counter()
    finish([magpie(base / "local", "index", str(folder))])
    seconds = time.perf_counter() - started
    results["local_faiss_1_process"] = {
        "seconds": round(seconds, 1),
        "photos_per_s": round(photos / seconds, 2),
    }
    print(json.dumps(results), file=sys.stderr)
    for count in counts:
        port = free_port()
        data = base / f"milvus-{count}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "milvus_lite",
                "server",
                "--data-dir",
                str(data),
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            store = ["--store", f"milvus:http://127.0.0.1:{port}"]
            deadline = time.time() + 60
            while time.time() < deadline:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.2)
            libraries = [base / f"n{count}-lib{i}" for i in range(count)]
            # the store's collection is made once, before the clock starts
            finish([magpie(base / "warm", *store, "status")])
            started = time.perf_counter()
            shards = finish(
                [
                    magpie(lib, *store, "index", str(folder), "--shard", f"{i}/{count}")
                    for i, lib in enumerate(libraries)
                ]
            )
            encoded = time.perf_counter() - started
            started = time.perf_counter()
            adopted = finish([magpie(lib, *store, "index") for lib in libraries])
            adoption = time.perf_counter() - started
            results[f"milvus_{count}_processes"] = {
                "encode_pass_seconds": round(encoded, 1),
                "photos_per_s": round(photos / encoded, 2),
                "speedup_vs_local_1_process": round(seconds / encoded, 2),
                "indexed_per_process": [r["indexed"] for r in shards],
                "adoption_pass_seconds": round(adoption, 1),
                "adopted_per_process": [r["indexed"] for r in adopted],
            }
            print(json.dumps(results[f"milvus_{count}_processes"]), file=sys.stderr)
        finally:
            server.terminate()
            server.wait(30)
    results["cpu_cores"] = os.cpu_count()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    search = sub.add_parser("search")
    search.add_argument("--sizes", default="100000")
    search.add_argument("--queries", type=int, default=200)
    widths = sub.add_parser("ef")
    widths.add_argument("--size", type=int, default=100_000)
    widths.add_argument("--queries", type=int, default=30)
    widths.add_argument("--widths", default="64,256,512")
    indexing = sub.add_parser("indexing")
    indexing.add_argument("--photos", type=int, default=120)
    indexing.add_argument("--processes", default="1,2,4")
    args = parser.parse_args()
    if args.what == "search":
        report = [bench_search(int(n), args.queries) for n in args.sizes.split(",")]
    elif args.what == "ef":
        report = bench_ef(args.size, args.queries, [int(w) for w in args.widths.split(",")])
    else:
        report = bench_indexing(args.photos, [int(c) for c in args.processes.split(",")])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
