"""Shared-store helpers: libraries on one Milvus Lite file, photo sets, an encode counter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from magpie.core.encoders import ImageEncoder
from magpie.core.engine import Engine

from tests.helpers.packs import solid_image


class EncodeCounter:
    """Counts images through the image encoder (to prove a content is encoded once)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.images = 0
        original = ImageEncoder.encode

        def counting(encoder: ImageEncoder, tensors: np.ndarray) -> np.ndarray:
            self.images += len(tensors)
            return original(encoder, tensors)

        monkeypatch.setattr(ImageEncoder, "encode", counting)


def random_photos(root: Path, count: int, seed: int) -> list[Path]:
    """Solid photos of distinct random colours (the colour pack ranks them by colour)."""
    rng = np.random.default_rng(seed)
    paths = []
    for i, rgb in enumerate(rng.integers(0, 256, size=(count, 3))):
        paths.append(solid_image(root / f"p{seed}-{i:03d}.jpg", tuple(int(c) for c in rgb)))
    return paths


def shared_library(root: Path, pack: Path, store: Path | str, *folders: Path) -> Engine:
    uri = store if isinstance(store, str) else f"milvus:{store}"
    engine = Engine(root, model=str(pack), device="cpu", writer=True, store=uri)
    for folder in folders:
        engine.add_folder(folder)
    return engine
