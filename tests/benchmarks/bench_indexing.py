"""Indexing benchmark: encoder ceiling, `magpie index` end to end, the tutorial baseline,
and reduced precision, all in one run on one photo set (run by hand, prints JSON).

    python tests/benchmarks/bench_indexing.py [--count 500] [--skip-precision]

Needs ../shared/photos (the set is derived from it) and the export extra (torch) to build the
random-init CLIP ViT-B/32 packs: the same compute as the real weights.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

from magpie.core import imaging  # noqa: E402
from magpie.core.encoders import ImageEncoder  # noqa: E402
from magpie.core.imaging import SUPPORTED_SUFFIXES  # noqa: E402
from magpie.core.indexer import THUMBNAIL_SIZE  # noqa: E402
from magpie.core.packs import load_pack  # noqa: E402
from magpie.core.scanner import fingerprint  # noqa: E402
from photoset import photo_set  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "magpie-bench"


def pack_for(precision: str) -> Path:
    path = CACHE / ("ViT-B-32-random" if precision == "fp32" else f"ViT-B-32-random-{precision}")
    if not (path / "config.json").is_file():
        from magpie_export.export import export_random

        export_random("ViT-B-32", path, precision, seed=0, say=lambda m: print(m, file=sys.stderr))
    return path


def ceiling(pack: Path, batch: int = 16, images: int = 64) -> float:
    """Images/s of the visual graph alone on preprocessed tensors."""
    encoder = ImageEncoder(load_pack(pack), "cpu", batch_size=batch)
    cfg = encoder.pack.preprocess
    tensors = (
        np.random.default_rng(0)
        .standard_normal((images, 3, cfg.height, cfg.width))
        .astype(np.float32)
    )
    encoder.encode(tensors[:batch])
    best = min(_timed(lambda: encoder.encode(tensors)) for _ in range(2))
    return images / best


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def magpie_index(pack: Path, photos: Path, count: int) -> dict[str, float]:
    """`magpie index` in a fresh library, as a separate process (CPU and peak RSS measured)."""
    library = Path(tempfile.mkdtemp(prefix="magpie-bench-lib-"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "magpie",
            "--library",
            str(library),
            "--model",
            str(pack),
            "index",
            str(photos),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(out.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "indexed": report["indexed"],
        "failed": report["failed"],
        "wall_s": round(wall, 1),
        "index_s": round(report["seconds"], 1),
        "images_per_s": round(report["indexed"] / report["seconds"], 2),
        "cpu_use_of_all_cores": round(cpu / wall / (os.cpu_count() or 1), 2),
        "peak_rss_mb": round(after.ru_maxrss / 1024, 0),
    }


def decode_cost(pack: Path, photos: list[Path]) -> dict[str, float]:
    """CPU-ms per photo of what the indexer's decode workers do, single-threaded."""
    cfg = load_pack(pack).preprocess
    side = max(imaging.model_decode_size(cfg), THUMBNAIL_SIZE)
    start = time.process_time()
    for path in photos:
        fingerprint(str(path))
        photo = imaging.decode_photo(path, side)
        imaging.make_thumbnail(photo.image, THUMBNAIL_SIZE)
        imaging.to_model_input(photo.image, cfg)
    ours = (time.process_time() - start) / len(photos)
    start = time.process_time()
    for path in photos:
        with imaging.Image.open(path) as opened:
            full = imaging.ImageOps.exif_transpose(opened).convert("RGB")
        imaging.to_model_input(full, cfg)
    full_decode = (time.process_time() - start) / len(photos)
    return {"magpie_ms": round(1000 * ours, 1), "full_decode_ms": round(1000 * full_decode, 1)}


def tutorial_baseline(pack: Path, photos: list[Path]) -> float:
    """The seed tutorials' loop: full decode, preprocess, one encoder call per photo, flat index."""
    import faiss
    import onnxruntime as ort
    from PIL import Image

    p = load_pack(pack)
    session = ort.InferenceSession(str(p.visual_model), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    mean, std = np.array(p.preprocess.mean, np.float32), np.array(p.preprocess.std, np.float32)
    index = faiss.IndexFlatIP(p.embed_dim)
    start = time.perf_counter()
    for path in photos:
        image = Image.open(path).convert("RGB")
        w, h = image.size
        s = 224 / min(w, h)
        image = image.resize((round(w * s), round(h * s)), Image.Resampling.BICUBIC)
        left, top = (image.width - 224) // 2, (image.height - 224) // 2
        image = image.crop((left, top, left + 224, top + 224))
        x = ((np.asarray(image, np.float32) / 255 - mean) / std).transpose(2, 0, 1)[None]
        v = session.run(None, {name: x})[0]
        index.add(v / np.linalg.norm(v, axis=1, keepdims=True))
    return len(photos) / (time.perf_counter() - start)


def precision(photos: list[Path]) -> dict[str, dict[str, float]]:
    """int8 / fp16 graphs from the same random weights: speed and cosine vs fp32."""
    base = load_pack(pack_for("fp32"))
    cfg = base.preprocess
    tensors = np.stack([imaging.load_for_model(p, cfg) for p in photos])
    reference = ImageEncoder(base, "cpu").encode(tensors)
    fp32_speed = ceiling(pack_for("fp32"))
    out: dict[str, dict[str, float]] = {"fp32": {"images_per_s": round(fp32_speed, 2)}}
    for name in ("int8", "fp16"):
        pack = pack_for(name)
        vectors = ImageEncoder(load_pack(pack), "cpu").encode(tensors)
        cosines = np.sum(vectors * reference, axis=1)
        speed = ceiling(pack)
        out[name] = {
            "images_per_s": round(speed, 2),
            "speedup_vs_fp32": round(speed / fp32_speed, 2),
            "cosine_min": round(float(cosines.min()), 4),
            "cosine_mean": round(float(cosines.mean()), 4),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument(
        "--baseline-photos", type=int, default=120, help="the slow loop runs on a subset"
    )
    parser.add_argument("--skip-precision", action="store_true")
    args = parser.parse_args()
    photos_dir = photo_set(args.count)
    photos = sorted(p for p in photos_dir.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)
    pack = pack_for("fp32")
    result: dict[str, object] = {
        "machine": f"{os.cpu_count()} cores, CPU",
        "photos": len(photos),
        "pack": "CLIP ViT-B/32 (random init), fp32",
    }
    print("magpie index...", file=sys.stderr)
    result["magpie_index"] = magpie_index(pack, photos_dir, len(photos))
    print("encoder ceiling...", file=sys.stderr)
    result["encoder_ceiling_images_per_s"] = round(ceiling(pack), 2)
    rng = np.random.default_rng(1)
    sample = [
        photos[i] for i in sorted(rng.choice(len(photos), size=min(60, len(photos)), replace=False))
    ]
    result["decode_cpu_ms_per_photo"] = decode_cost(pack, sample)
    print("tutorial baseline...", file=sys.stderr)
    subset = [
        photos[i]
        for i in sorted(
            rng.choice(len(photos), size=min(args.baseline_photos, len(photos)), replace=False)
        )
    ]
    result["baseline_images_per_s"] = round(tutorial_baseline(pack, subset), 2)
    indexed = result["magpie_index"]["images_per_s"]  # type: ignore[index]
    result["ratios"] = {
        "index_vs_ceiling": round(indexed / result["encoder_ceiling_images_per_s"], 2),  # type: ignore[operator]
        "index_vs_baseline": round(indexed / result["baseline_images_per_s"], 2),  # type: ignore[operator]
        "targets": {"index_vs_ceiling": 0.75, "index_vs_baseline": 3.0},
    }
    if not args.skip_precision:
        print("reduced precision...", file=sys.stderr)
        result["precision"] = precision(sample[:48])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
