"""Photos with known duplicate structure: derived copies of one picture, and distinct photos
of the same subject.

Used by tests (on generated scenes) and by tests/benchmarks/bench_duplicates.py (on the
shared photos). A derived copy is what people keep by accident: re-saved at lower quality,
resized, cropped, edited (brightness, contrast, colour). "Same subject, distinct photo" is a
different framing of one scene (another part of the same picture, or a mirrored one shot from
the other side), or, for generated scenes, another layout with the very same mean colour, which
the colour pack cannot tell apart at all (cosine 1: the worst case for a vector threshold).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

DERIVED_KINDS = ("resaved", "resized", "cropped", "edited")


def centre_mean(image: Image.Image) -> np.ndarray:
    """Mean colour of the centre square: what a 'shortest'-resize model (the colour pack) sees."""
    w, h = image.size
    side = min(w, h)
    box = ((w - side) // 2, (h - side) // 2, (w + side) // 2, (h + side) // 2)
    return np.asarray(image.crop(box), np.float32).reshape(-1, 3).mean(axis=0)


def scene(
    seed: int, size: tuple[int, int] = (320, 240), mean: np.ndarray | None = None
) -> Image.Image:
    """A smooth random picture (blobs of colour) with some fine texture; with `mean`, shifted
    so its centre square has that mean colour."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((4, 5, 3)) * 255
    image = Image.fromarray(coarse.astype(np.uint8)).resize(size, Image.Resampling.BICUBIC)
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, 6, (size[1], size[0], 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    for _ in range(3 if mean is not None else 0):  # clipping moves the mean: converge on it
        pixels = np.asarray(image, np.float32) + (np.asarray(mean) - centre_mean(image))
        image = Image.fromarray(np.clip(np.round(pixels), 0, 255).astype(np.uint8))
    return image


def derive(image: Image.Image, kind: str) -> Image.Image:
    w, h = image.size
    if kind == "resaved":
        return image.copy()  # the caller saves it at a lower quality
    if kind == "resized":
        return image.resize((w // 2, h // 2), Image.Resampling.BICUBIC)
    if kind == "cropped":
        return image.crop((int(w * 0.03), int(h * 0.02), int(w * 0.97), int(h * 0.98)))
    if kind == "edited":
        image = ImageEnhance.Brightness(image).enhance(1.12)
        image = ImageEnhance.Contrast(image).enhance(1.1)
        return ImageEnhance.Color(image).enhance(1.15)
    raise ValueError(kind)


def other_view(image: Image.Image, which: int) -> Image.Image:
    """A distinct photo of the same subject: another framing of the scene."""
    w, h = image.size
    if which == 0:
        return image.crop((0, 0, w // 2, h)).resize((w, h), Image.Resampling.BICUBIC)
    if which == 1:
        return image.crop((w // 2, 0, w, h)).resize((w, h), Image.Resampling.BICUBIC)
    return ImageOps.mirror(image)


def save(
    image: Image.Image,
    path: Path,
    quality: int = 92,
    taken: datetime | None = None,
    camera: str | None = None,
) -> Path:
    """JPEG (or by suffix) with optional EXIF date taken and camera model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    if taken is not None:
        exif[0x0132] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if camera is not None:
        exif[0x010F] = camera.split()[0]
        exif[0x0110] = camera
    if path.suffix.lower() in (".jpg", ".jpeg"):
        image.save(path, quality=quality, exif=exif)
    else:
        image.save(path, exif=exif)
    return path


def burst(image: Image.Image, count: int, start: datetime, folder: Path, camera: str) -> list[Path]:
    """Shots a second apart with the subject drifting a few pixels."""
    paths = []
    for i in range(count):
        shifted = image.transform(image.size, Image.Transform.AFFINE, (1, 0, 3 * i, 0, 1, i))
        taken = start + timedelta(seconds=i)
        paths.append(save(shifted, folder / f"burst-{i}.jpg", taken=taken, camera=camera))
    return paths
