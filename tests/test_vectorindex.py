"""The FAISS index: exact and approximate search, ids, filters, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from magpie.core.vectorindex import VectorIndex


def clustered(n: int, dim: int = 64, clusters: int = 200, seed: int = 0) -> np.ndarray:
    """Synthetic photo-like embeddings: tight-ish clusters on the unit sphere."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    points = centres[rng.integers(0, clusters, n)] + 0.35 * rng.standard_normal((n, dim)).astype(
        np.float32
    )
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def test_exact_search_ids_and_scores():
    vectors = clustered(500)
    index = VectorIndex(64)
    ids = np.arange(1000, 1500)
    index.add(ids, vectors)
    hits = index.search(vectors[7], 5)
    assert hits.ids[0] == 1007 and abs(hits.scores[0] - 1.0) < 1e-2
    index.add(np.array([1007]), vectors[8:9])  # replacing an id keeps one entry
    assert len(index) == 500
    index.remove(np.array([1008]))
    assert 1008 not in index.search(vectors[8], 10).ids
    allowed = np.array([1100, 1200])
    assert set(index.search(vectors[7], 10, allowed).ids) == {1100, 1200}


def test_approximate_index_recall_at_10():
    vectors = clustered(40_000)
    queries = clustered(200, seed=1)
    ids = np.arange(40_000)
    exact = VectorIndex(64)
    exact.add(ids, vectors)
    approx = VectorIndex(64, approximate_from=10_000)
    approx.add(ids, vectors)
    assert approx.needs_approximate()
    approx.build_approximate(ids, vectors)
    assert approx.kind == "approximate" and len(approx) == 40_000
    recall = np.mean(
        [len(set(exact.search(q, 10).ids) & set(approx.search(q, 10).ids)) / 10 for q in queries]
    )
    assert recall >= 0.95, recall
    # single adds and removes stay cheap and correct on the approximate index
    approx.remove(np.array([5]))
    assert 5 not in approx.search(vectors[5], 10).ids
    approx.add(np.array([99_999]), vectors[5:6])
    assert approx.search(vectors[5], 1).ids[0] == 99_999
    assert set(approx.search(queries[0], 10, np.array([1, 2, 3])).ids) <= {1, 2, 3}


@pytest.mark.logs_warnings
def test_save_and_load_with_stamp(tmp_path: Path):
    index = VectorIndex(64)
    index.add(np.arange(10), clustered(10))
    path = tmp_path / "index" / "m.faiss"
    index.save(path, "3.1")
    assert len(VectorIndex.load(path, 64, "3.1")) == 10
    assert VectorIndex.load(path, 64, "4.1") is None  # catalog moved on: rebuild
    assert VectorIndex.load(path, 32, "3.1") is None
    path.write_bytes(path.read_bytes()[:50])
    assert VectorIndex.load(path, 64, "3.1") is None  # truncated: rebuild
    assert VectorIndex.load(tmp_path / "missing.faiss", 64, "3.1") is None


def test_two_threads_saving_at_once_both_succeed(tmp_path: Path):
    """The writer lane and close() may save together: neither may lose its temp file."""
    import threading

    index = VectorIndex(64)
    index.add(np.arange(300), clustered(300))
    path = tmp_path / "index" / "pack.faiss"
    errors: list[BaseException] = []

    def save_many(stamp: str) -> None:
        try:
            for _ in range(25):
                index.save(path, stamp)
        except BaseException as exc:  # the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=save_many, args=(s,)) for s in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(p.name for p in path.parent.iterdir()) == ["pack.faiss", "pack.json"]
    assert VectorIndex.load(path, 64, "a") or VectorIndex.load(path, 64, "b")
