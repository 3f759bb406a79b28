"""Encoder benchmark: image throughput, text latency, decode cost (run by hand, prints JSON).

    python tests/benchmarks/bench_encoders.py [--pack DIR] [--photos DIR]

Without --pack it exports a random-init CLIP ViT-B/32 (same compute as the real weights;
needs the export extra) into a cache folder. --photos defaults to ../shared/photos/large.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from magpie.core import imaging  # noqa: E402
from magpie.core.encoders import ImageEncoder, TextEncoder  # noqa: E402
from magpie.core.packs import load_pack  # noqa: E402

QUERIES = ["a dog on a bench", "sunset", "two people hiking in the mountains", "red car", "cat"]


def random_b32_pack() -> Path:
    cache = Path(tempfile.gettempdir()) / "magpie-bench" / "ViT-B-32-random"
    if not (cache / "config.json").is_file():
        from magpie_export.export import export_random

        export_random("ViT-B-32", cache, say=lambda m: print(m, file=sys.stderr))
    return cache


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", type=Path)
    parser.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "photos" / "large")
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    pack = load_pack(args.pack or random_b32_pack())
    cfg = pack.preprocess
    result: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "pack": pack.name,
        "batch": args.batch,
    }

    image = ImageEncoder(pack, "cpu", batch_size=args.batch)
    tensors = (
        np.random.default_rng(0)
        .standard_normal((args.batch * 4, 3, cfg.height, cfg.width))
        .astype(np.float32)
    )
    image.encode(tensors[: args.batch])  # warm-up
    runs = timed(lambda: image.encode(tensors), 3)
    result["encoder_ceiling_images_per_s"] = round(len(tensors) / min(runs), 2)

    text = TextEncoder(pack, "cpu")
    text.encode(QUERIES)
    short = [t for q in QUERIES for t in timed(lambda q=q: text.encode([q]), 6)]
    text._pad_to_context = True
    full = [t for q in QUERIES for t in timed(lambda q=q: text.encode([q]), 6)]
    text._pad_to_context = False
    result["text_latency_ms"] = {
        "real_tokens_p50": round(1000 * statistics.median(short), 2),
        "real_tokens_p95": round(1000 * percentile(short, 95), 2),
        "padded_to_context_p50": round(1000 * statistics.median(full), 2),
        "padded_to_context_p95": round(1000 * percentile(full, 95), 2),
    }

    photos = sorted(args.photos.glob("*.jpg")) if args.photos.is_dir() else []
    if photos:
        need = imaging.model_decode_size(cfg)
        fast = timed(
            lambda: [imaging.to_model_input(imaging.decode_image(p, need), cfg) for p in photos], 1
        )[0]
        full_decode = timed(
            lambda: [imaging.to_model_input(imaging.decode_image(p), cfg) for p in photos], 1
        )[0]
        result["photos"] = len(photos)
        result["decode_preprocess_ms_per_photo"] = {
            "dct_scaled": round(1000 * fast / len(photos), 1),
            "full_decode": round(1000 * full_decode / len(photos), 1),
            "speedup": round(full_decode / fast, 2),
        }
        start = time.perf_counter()
        image.encode_files(photos)
        serial = time.perf_counter() - start
        result["serial_decode_then_encode_images_per_s"] = round(len(photos) / serial, 2)

    print(json.dumps(result, indent=2))
    print("\n".join(f"{k:<42} {v}" for k, v in result.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
