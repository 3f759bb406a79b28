"""Test setup: Qt offscreen, tiny packs with known behaviour, the optional shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MAGPIE_SHARED", REPO.parent / "shared"))
BRIDGE_PACK = SHARED / "packs" / "bridge-effnetl0-minilm"
SHARED_PHOTOS = SHARED / "photos" / "large"


def shared_available() -> bool:
    return BRIDGE_PACK.is_dir() and SHARED_PHOTOS.is_dir()


requires_shared = pytest.mark.skipif(
    not shared_available(), reason="../shared (bridge pack and photos) is not present"
)


@pytest.fixture
def colour_pack(tmp_path: Path) -> Path:
    from tests.helpers.packs import make_colour_pack

    return make_colour_pack(tmp_path / "colour-pack")


@pytest.fixture
def library_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh library; MAGPIE_LIBRARY points at it so nothing touches the real one."""
    root = tmp_path / "library"
    monkeypatch.setenv("MAGPIE_LIBRARY", str(root))
    return root


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """One solid photo per colour of the colour pack, and a second blue one in a sub-folder."""
    from tests.helpers.packs import COLOURS, solid_image

    root = tmp_path / "photos"
    for name, rgb in COLOURS.items():
        solid_image(root / f"{name}.jpg", rgb)
    solid_image(root / "trip" / "blue-2.png", (40, 50, 200))
    return root
