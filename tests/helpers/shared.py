"""The optional shared data (a real pack and real photos): tests using it skip without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("MAGPIE_SHARED", REPO.parent / "shared"))
BRIDGE_PACK = SHARED / "packs" / "bridge-effnetl0-minilm"
SHARED_PHOTOS = SHARED / "photos" / "large"


def shared_available() -> bool:
    return BRIDGE_PACK.is_dir() and SHARED_PHOTOS.is_dir()


requires_shared = pytest.mark.skipif(
    not shared_available(), reason="../shared (bridge pack and photos) is not present"
)
