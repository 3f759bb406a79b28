"""Duplicate finding: pair precision and recall on real photos, and time at 100k photos.

    MAGPIE_SHARED=../shared python tests/benchmarks/bench_duplicates.py \
        [--skip-eval] [--skip-scale] [--sizes 25000,50000,100000]

Evaluation: each of the 41 shared photos (../shared/photos/large) plus four derived copies
(re-saved at JPEG quality 60, resized to half as PNG, cropped 4-10%, edited: brightness,
contrast, colour) is one true group; distinct photos of the same subject are the left and right
halves of 12 of them (same scene, other framing) and the natural look-alikes among the shared
photos (two bridges, flowers, leaves...). Indexed with the shared bridge pack (an ImageNet
model: photos of one class get near-identical vectors, the hard case). Pairs in a found group
are compared with the true pairs; the same is done for a vector-only threshold (as Immich).

Scale: synthetic 512-d vectors (clustered, 5% planted near-duplicates with close hashes), the
time to find the groups, and the exact all-pairs k-NN (quadratic) beside it in the same run
(timed on 10,000 queries and scaled to n: its cost is linear in the queries).
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "desktop"))

from magpie.core import duplicates  # noqa: E402
from magpie.core.engine import Engine  # noqa: E402

from tests.helpers.duplicate_sets import derive, other_view, save  # noqa: E402

SHARED = Path(os.environ.get("MAGPIE_SHARED", REPO.parent / "shared"))
PACK = SHARED / "packs" / "bridge-effnetl0-minilm"
PHOTOS = SHARED / "photos" / "large"
KINDS = ("resaved", "resized", "cropped", "edited")


def build_set(root: Path) -> tuple[dict[str, str], list[str]]:
    """Files -> family (source name); the 'views' are families of their own."""
    family: dict[str, str] = {}
    views: list[str] = []
    sources = sorted(PHOTOS.glob("*.jpg"))
    rng = np.random.default_rng(0)
    for n, source in enumerate(sources):
        with Image.open(source) as opened:
            image = opened.convert("RGB")
        image.thumbnail((1600, 1600))
        name = source.stem
        out = save(image, root / name / "original.jpg", quality=92)
        family[str(out)] = name
        for kind in KINDS:
            derived = derive(image, kind)
            if kind == "cropped":  # vary the crop: 4-10% off each side
                w, h = image.size
                c = rng.uniform(0.04, 0.10, 4)
                derived = image.crop(
                    (int(w * c[0]), int(h * c[1]), int(w * (1 - c[2])), int(h * (1 - c[3])))
                )
            suffix = ".png" if kind == "resized" else ".jpg"
            path = save(derived, root / name / f"{kind}{suffix}", quality=60)
            family[str(path)] = name
        if n % 3 == 0:
            for which in (0, 1):
                view = save(other_view(image, which), root / "views" / f"{name}-{which}.jpg")
                family[str(view)] = f"{name}-view{which}"
                views.append(str(view))
    return family, views


def pair_scores(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    tp = len(found & truth)
    return {
        "pairs_found": len(found),
        "true_pairs": len(truth),
        "precision": round(tp / len(found), 4) if found else 1.0,
        "recall": round(tp / len(truth), 4) if truth else 1.0,
    }


def group_pairs(groups: list[list[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for g in groups for p in itertools.combinations(g, 2)}  # type: ignore[misc]


def vector_only_groups(paths: list[str], vectors: np.ndarray, cut: float) -> list[list[str]]:
    """Connected components of cosine >= cut (a fixed vector threshold, as Immich does)."""
    left, right, _ = duplicates.neighbour_pairs(vectors, k=20, floor=cut)
    parent = list(range(len(paths)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        parent[root(a)] = root(b)
    comps: dict[int, list[str]] = {}
    for i, p in enumerate(paths):
        comps.setdefault(root(i), []).append(p)
    return [c for c in comps.values() if len(c) > 1]


def evaluate() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "photos"
        family, views = build_set(root)
        truth = {
            tuple(sorted(p))
            for p in itertools.combinations(family, 2)
            if family[p[0]] == family[p[1]]
        }
        with Engine(Path(tmp) / "lib", str(PACK), "cpu", writer=True) as engine:
            engine.add_folder(root)
            started = time.monotonic()
            engine.update()
            index_s = time.monotonic() - started
            started = time.monotonic()
            finder = duplicates.find_duplicates(engine)
            find_s = time.monotonic() - started
            out: dict[str, object] = {
                "photos": len(family),
                "true_groups": len({f for f in family.values()}) - len(views),
                "distinct_same_subject_views": len(views),
                "index_seconds": round(index_s, 1),
                "find_seconds": round(find_s, 3),
            }
            for threshold in sorted({0.6, 0.65, 0.7, duplicates.DEFAULT_THRESHOLD, 0.8, 0.9}):
                groups = [[p.path for p in g.photos] for g in finder.groups(threshold)]
                scores = pair_scores(group_pairs(groups), truth)
                mixed = sum(1 for g in groups if len({family[p] for p in g}) > 1)
                scores["groups_mixing_distinct_photos"] = mixed
                by_kind = {}
                for kind in KINDS:
                    wanted = {t for t in truth if any(Path(x).stem == kind for x in t)}
                    by_kind[kind] = pair_scores(group_pairs(groups) & wanted, wanted)["recall"]
                scores["recall_by_kind"] = by_kind
                out[f"magpie@{threshold}"] = scores
            photos, vectors = duplicates.load_photos(
                engine.catalog, engine.model_name, engine.clip.dim
            )
            paths = [p.path for p in photos]
            for cut in (0.95, 0.98, 0.99):
                groups = vector_only_groups(paths, vectors, cut)
                scores = pair_scores(group_pairs(groups), truth)
                scores["groups_mixing_distinct_photos"] = sum(
                    1 for g in groups if len({family[p] for p in g}) > 1
                )
                out[f"vector_only@{cut}"] = scores
    return out


def synthetic(n: int, dim: int = 512, seed: int = 0) -> tuple[list[duplicates.Photo], np.ndarray]:
    """Clustered unit vectors; 5% of photos get a near-copy with a hash a few bits away."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(16, n // 200), dim)).astype(np.float32)
    base_n = n - n // 20
    vectors = centres[rng.integers(0, len(centres), base_n)] * 0.6
    vectors += rng.standard_normal((base_n, dim)).astype(np.float32)
    copies = rng.choice(base_n, n // 20, replace=False)
    near = vectors[copies] + 0.15 * rng.standard_normal((len(copies), dim)).astype(np.float32)
    vectors = np.concatenate([vectors, near])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    hashes = rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64)
    flips = rng.integers(0, 64, (len(copies), 3)).astype(np.uint64)
    mask = np.bitwise_or.reduce(np.left_shift(np.uint64(1), flips), axis=1)
    hashes[base_n:] = hashes[copies] ^ mask
    photos = [
        duplicates.Photo(i, f"/p/{i}.jpg", 1, 4000, 3000, None, float(i), None, None, int(h), 1.0)
        for i, h in enumerate(hashes.tolist())
    ]
    return photos, vectors


def scale(sizes: list[int]) -> dict[str, object]:
    import faiss

    out: dict[str, object] = {"threads": faiss.omp_get_max_threads()}
    for n in sizes:
        photos, vectors = synthetic(n)
        started = time.monotonic()
        finder = duplicates.DuplicateFinder(photos, vectors)
        groups = finder.groups()
        ours = time.monotonic() - started
        planted = n // 20
        base_n = n - planted
        grouped = {p.file_id for g in groups for p in g.photos}
        found = sum(1 for i in range(base_n, n) if i in grouped)
        # the quadratic baseline: exact k-NN of every photo. Its cost is linear in the number
        # of queries, so it is timed on at most 10,000 of them and scaled up
        sample = min(n, 10_000)
        started = time.monotonic()
        exact = faiss.IndexFlatIP(vectors.shape[1])
        exact.add(vectors)
        exact.search(vectors[:sample], duplicates.NEIGHBOURS + 1)
        quadratic = (time.monotonic() - started) * n / sample
        out[str(n)] = {
            "seconds": round(ours, 2),
            "groups": len(groups),
            "planted_copies_found": round(found / planted, 4),
            "exact_all_pairs_knn_seconds": round(quadratic, 2),
            "speedup_vs_exact": round(quadratic / ours, 2),
        }
        print(json.dumps({n: out[str(n)]}), file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-eval", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--sizes", default="25000,50000,100000")
    args = parser.parse_args()
    report: dict[str, object] = {}
    if not args.skip_eval:
        if not (PACK.is_dir() and PHOTOS.is_dir()):
            sys.exit(f"needs {PACK} and {PHOTOS}")
        report["evaluation"] = evaluate()
    if not args.skip_scale:
        report["scale"] = scale([int(s) for s in args.sizes.split(",")])
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
