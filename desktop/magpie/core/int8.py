"""The int8 image tower's files and the verdict of its check (no quantising here).

The encoders read this to pick the int8 graph; magpie.core.quantize makes and checks it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from magpie.core.packs import ModelPack

INT8_FILE = "model.int8.onnx"
CHECK_FILE = "int8_check.json"
# the int8 tower is used only if, on the user's own photos, it is this close and this fast
MIN_COSINE = 0.98
MIN_SPEEDUP = 1.4
REQUIREMENT = f"cosine >= {MIN_COSINE} and {MIN_SPEEDUP}x faster"


@dataclass(frozen=True)
class Int8Check:
    cosine_min: float
    cosine_mean: float
    speedup: float
    photos: int
    passed: bool


def int8_model(pack: ModelPack) -> Path:
    return pack.path / "visual" / INT8_FILE


def load_check(pack: ModelPack) -> Int8Check | None:
    try:
        data = json.loads((pack.path / "visual" / CHECK_FILE).read_text())
        return Int8Check(**data)
    except (OSError, ValueError, TypeError):
        return None


def int8_ready(pack: ModelPack) -> bool:
    check = load_check(pack)
    return check is not None and check.passed and int8_model(pack).is_file()


def allowed(check: Int8Check | None, wanted: bool) -> bool:
    """The int8 setting to store: on only if wanted and a passing check exists."""
    return wanted and check is not None and check.passed
