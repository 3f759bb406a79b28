"""Counting the images that go through the image encoder (proves what costs no re-encode)."""

from __future__ import annotations

import numpy as np
import pytest
from magpie.core.encoders import ImageEncoder


class EncodeCounter:
    """Counts images through ImageEncoder.encode for as long as the monkeypatch holds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.images = 0
        original = ImageEncoder.encode

        def counting(encoder: ImageEncoder, tensors: np.ndarray) -> np.ndarray:
            self.images += len(tensors)
            return original(encoder, tensors)

        monkeypatch.setattr(ImageEncoder, "encode", counting)
