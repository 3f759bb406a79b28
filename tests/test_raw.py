"""RAW photos: the embedded preview when big enough, else developed; upright; date and camera
from the RAW; indexed and found like any photo; damaged ones reported.

The files are DNGs written by tests/helpers/media.py (a Bayer mosaic plus an optional JPEG
preview); LibRaw reads them through the same code path as a camera's CR2/NEF/ARW. To tell the
two paths apart, the preview and the sensor data are given different colours.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from magpie.core import imaging, raw
from magpie.core.engine import Engine
from magpie.core.errors import DecodeError
from PIL import Image

from tests.helpers.media import make_dng
from tests.helpers.packs import COLOURS

RED, BLUE, GREEN = COLOURS["red"], COLOURS["blue"], COLOURS["green"]


def mean_colour(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), np.float32).mean(axis=(0, 1))


def marked_preview(size: tuple[int, int], colour: tuple[int, int, int]) -> Image.Image:
    """A preview with a white top-left quarter, so orientation can be checked."""
    image = Image.new("RGB", size, colour)
    image.paste((255, 255, 255), (0, 0, size[0] // 2, size[1] // 2))
    return image


def test_large_preview_is_used(tmp_path: Path):
    path = make_dng(tmp_path / "a.dng", BLUE, preview=Image.new("RGB", (640, 480), RED))
    photo = imaging.decode_photo(path, 448)
    assert np.abs(mean_colour(photo.image) - RED).max() < 10  # the preview, not the mosaic
    assert (photo.info.width, photo.info.height) == (256, 192)  # the sensor's size
    assert photo.info.camera == "Magpie Test Camera"
    expected = datetime(2021, 6, 15, 10, 30, tzinfo=timezone.utc).timestamp()
    assert photo.info.taken_at == expected


def test_small_preview_means_developing(tmp_path: Path):
    path = make_dng(tmp_path / "b.dng", BLUE, preview=Image.new("RGB", (160, 120), RED))
    photo = imaging.decode_photo(path, 448)
    assert np.abs(mean_colour(photo.image) - BLUE).max() < 30  # developed from the mosaic
    no_preview = make_dng(tmp_path / "c.dng", GREEN)
    assert np.abs(mean_colour(imaging.decode_image(no_preview, 448)) - GREEN).max() < 30


@pytest.mark.parametrize("with_preview", [True, False])
def test_raw_is_upright(tmp_path: Path, with_preview: bool):
    preview = marked_preview((640, 480), RED) if with_preview else None
    path = make_dng(tmp_path / "r.dng", RED, preview=preview, orientation=6)
    photo = imaging.decode_photo(path, 100)
    assert photo.image.width < photo.image.height  # portrait, as the camera was held
    assert (photo.info.width, photo.info.height) == (192, 256)
    if with_preview:
        # rotated 90 degrees clockwise: the white quarter is now top-right
        pixels = np.asarray(photo.image)
        h, w = pixels.shape[:2]
        assert pixels[h // 4, 3 * w // 4].min() > 230
        assert pixels[h // 4, w // 4].min() < 100


def test_damaged_raw_files_are_reported(tmp_path: Path):
    junk = tmp_path / "junk.cr2"
    junk.write_bytes(np.random.default_rng(0).bytes(20_000))
    with pytest.raises(DecodeError, match=r"junk\.cr2"):
        imaging.decode_photo(junk, 448)
    whole = make_dng(tmp_path / "whole.dng", RED).read_bytes()
    cut = tmp_path / "cut.dng"
    cut.write_bytes(whole[:4000])
    with pytest.raises(DecodeError):
        imaging.decode_photo(cut, 448)
    with pytest.raises(DecodeError, match="not found"):
        raw.decode_raw(tmp_path / "missing.nef")


def test_raw_files_index_and_are_found(tmp_path: Path, colour_pack: Path):
    photos = tmp_path / "photos"
    make_dng(photos / "red.dng", RED, preview=marked_preview((640, 480), RED), orientation=6)
    make_dng(photos / "blue.dng", BLUE)  # no preview: developed
    (photos / "broken.nef").write_bytes(b"not a raw file" * 100)
    with Engine(tmp_path / "library", model=str(colour_pack), device="cpu", writer=True) as lib:
        lib.add_folder(photos)
        report = lib.update()
        assert (report.indexed, report.failed) == (2, 1)
        assert Path(lib.search("red", k=1)[0].path).name == "red.dng"
        assert Path(lib.search("blue", k=1)[0].path).name == "blue.dng"
        hit = lib.search("red", k=1)[0]
        with Image.open(lib.thumbnails.path_for(hit.fingerprint)) as thumb:
            assert thumb.height > thumb.width  # the grid shows it upright
        details = lib.catalog.details(hit.file_id)
        assert (details.width, details.height) == (192, 256)
        assert details.camera == "Magpie Test Camera"
        assert [Path(f.path).name for f in lib.status().failed] == ["broken.nef"]
