"""Test pictures whose orientation can be checked: four coloured quadrants."""

from __future__ import annotations

import numpy as np

RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 200, 40), (30, 40, 210), (230, 220, 40)


def quadrants(width: int = 80, height: int = 48) -> np.ndarray:
    """An asymmetric picture: red, green / blue, yellow quadrants (top-left is red)."""
    pixels = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    pixels[:h, :w], pixels[:h, w:], pixels[h:, :w], pixels[h:, w:] = RED, GREEN, BLUE, YELLOW
    return pixels


# what is stored for each EXIF orientation so that the displayed picture is `upright`
STORED = {
    1: lambda a: a,
    2: np.fliplr,
    3: lambda a: np.rot90(a, 2),
    4: np.flipud,
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, 1),
    7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
    8: lambda a: np.rot90(a, -1),
}
