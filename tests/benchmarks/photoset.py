"""A camera-like photo set derived from ../shared/photos at benchmark time (never committed).

Each source photo is rescaled to 8-24 megapixels, cropped and tinted a little so no two files
are alike, and saved as a quality-90 JPEG with camera EXIF (date, make, model, some rotated);
a few become PNG, WebP and HEIC. Cached under the temp folder between runs.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageEnhance

# $MAGPIE_SHARED (as in tests/conftest.py) for checkouts that are not next to ../shared
SHARED = Path(os.environ.get("MAGPIE_SHARED", Path(__file__).resolve().parents[3] / "shared"))
SOURCES = SHARED / "photos" / "large"
CAMERAS = [
    ("Canon", "Canon EOS R6"),
    ("NIKON CORPORATION", "NIKON Z 6"),
    ("Apple", "iPhone 14 Pro"),
    ("SONY", "ILCE-7M3"),
]


def _make(job: tuple[Path, Path, int, str]) -> str:
    source, out, seed, kind = job
    rng = random.Random(seed)
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    w, h = image.size
    crop = rng.uniform(0.0, 0.08)
    image = image.crop(
        (int(w * crop), int(h * crop), int(w * (1 - crop / 2)), int(h * (1 - crop / 2)))
    )
    megapixels = rng.uniform(8, 24) if kind == "jpeg" else rng.uniform(3, 6)
    scale = (megapixels * 1e6 / (image.width * image.height)) ** 0.5
    image = image.resize(
        (round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR
    )
    image = ImageEnhance.Color(image).enhance(rng.uniform(0.8, 1.2))
    if kind == "jpeg":
        make, model = rng.choice(CAMERAS)
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = make, model
        exif[0x8769] = {
            0x9003: f"20{rng.randint(10, 24)}:{rng.randint(1, 12):02}:{rng.randint(1, 28):02} 12:00"
            ":00"
        }
        if rng.random() < 0.15:  # portrait shots stored sideways, as cameras do
            image = image.rotate(90, expand=True)
            exif[0x0112] = 6
        image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    elif kind == "png":
        image.save(out, "PNG", compress_level=1)
    elif kind == "webp":
        image.save(out, "WEBP", quality=85)
    else:
        import pillow_heif

        pillow_heif.register_heif_opener()
        image.save(out, "HEIF", quality=80)
    return out.name


def photo_set(count: int = 500, root: Path | None = None) -> Path:
    """The folder of `count` derived photos (made once, then reused)."""
    if not SOURCES.is_dir():
        sys.exit(f"{SOURCES} is missing: the benchmarks need ../shared/photos")
    root = root or Path(tempfile.gettempdir()) / "magpie-bench" / f"photos-{count}"
    done = root / ".complete"
    if done.exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    sources = sorted(SOURCES.glob("*.jpg"))
    kinds = ["png"] * 5 + ["webp"] * 5 + ["heic"] * 5
    kinds += ["jpeg"] * (count - len(kinds))
    jobs = []
    for i, kind in enumerate(kinds):
        suffix = {"jpeg": "jpg", "heic": "heic"}.get(kind, kind)
        jobs.append((sources[i % len(sources)], root / f"IMG_{i:05}.{suffix}", i, kind))
    print(f"deriving {count} photos into {root} (once)...", file=sys.stderr)
    with ProcessPoolExecutor() as pool:
        for _ in pool.map(_make, jobs, chunksize=4):
            pass
    done.write_text("ok")
    return root


if __name__ == "__main__":
    print(photo_set(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
