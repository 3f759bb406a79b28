"""Preprocessing fidelity on real photos with a real pack (skipped without ../shared).

Magpie decodes JPEGs with DCT scaling and resizes with a reducing gap; the reference below
decodes in full and resizes plainly. The embeddings must agree (cosine >= 0.995 per photo).
"""

from __future__ import annotations

import numpy as np
import pytest
from magpie.core.encoders import ImageEncoder
from magpie.core.imaging import decode_image, model_decode_size, to_model_input
from magpie.core.packs import load_pack
from PIL import Image, ImageOps

from tests.helpers.shared import BRIDGE_PACK, SHARED_PHOTOS, requires_shared

pytestmark = [pytest.mark.shared, requires_shared]


def reference_tensor(path, cfg) -> np.ndarray:
    """Full decode, PIL bicubic to the short side, centre crop, normalise."""
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    width, height = image.size
    # the pack's (Immich's) arithmetic: int() of the long side and of the crop offset
    side = cfg.height
    size = (
        (side, int(height / width * side)) if width < height else (int(width / height * side), side)
    )
    image = image.resize(size, Image.Resampling.BICUBIC)
    left, top = int(size[0] / 2 - side / 2), int(size[1] / 2 - side / 2)
    image = image.crop((left, top, left + cfg.width, top + cfg.height))
    pixels = np.asarray(image, np.float32) / 255.0
    return ((pixels - np.array(cfg.mean, np.float32)) / np.array(cfg.std, np.float32)).transpose(
        2, 0, 1
    )


def test_fast_path_matches_full_decode_on_every_shared_photo():
    pack = load_pack(BRIDGE_PACK)
    encoder = ImageEncoder(pack)
    cfg = pack.preprocess
    photos = sorted(SHARED_PHOTOS.glob("*.jpg"))
    assert len(photos) >= 10
    ours = encoder.encode(
        np.stack([to_model_input(decode_image(p, model_decode_size(cfg)), cfg) for p in photos])
    )
    reference = encoder.encode(np.stack([reference_tensor(p, cfg) for p in photos]))
    cosines = np.sum(ours * reference, axis=1)
    worst = {p.name: round(float(c), 5) for p, c in zip(photos, cosines, strict=True) if c < 0.995}
    assert worst == {}, worst
    print(f"fidelity over {len(photos)} photos: min {cosines.min():.5f}, mean {cosines.mean():.5f}")
