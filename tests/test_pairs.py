"""RAW+JPEG pairs and Live Photos show as one item with their companions, never doubled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from magpie.cli import main as cli_main
from magpie.core import pairs
from magpie.core.engine import Engine
from PIL import Image

from tests.helpers.media import make_dng, make_video
from tests.helpers.packs import COLOURS, solid_image

RED, GREEN, BLUE, YELLOW = COLOURS["red"], COLOURS["green"], COLOURS["blue"], COLOURS["yellow"]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    root = tmp_path / "shots"
    solid_image(root / "IMG_0001.JPG", RED)  # camera RAW+JPEG
    make_dng(root / "IMG_0001.dng", RED, preview=Image.new("RGB", (640, 480), RED))
    Image.new("RGB", (96, 64), GREEN).save(root / "IMG_0002.HEIC")  # iPhone Live Photo
    make_video(root / "IMG_0002.MOV", [(GREEN, 2)])
    make_dng(root / "lone.dng", BLUE, preview=Image.new("RGB", (640, 480), BLUE))  # no JPEG
    make_video(root / "clip.mov", [(YELLOW, 2)])  # a video that is not a Live Photo
    solid_image(root / "IMG_0001.edited.jpg", RED)  # another name: not part of the pair
    return root


@pytest.fixture
def engine(tmp_path: Path, colour_pack: Path, shots: Path):
    lib = Engine(tmp_path / "library", model=str(colour_pack), device="cpu", writer=True)
    lib.add_folder(shots)
    report = lib.update()
    assert (report.indexed, report.failed) == (7, 0)
    yield lib
    lib.close()


def view(results) -> list[tuple[str, tuple[str, ...], float | None]]:
    return [(Path(r.path).name, tuple(Path(c).name for c in r.companions), r.time) for r in results]


def test_raw_and_jpeg_are_one_result(engine: Engine):
    found = view(engine.search("red", k=10))
    red = [f for f in found if f[0].startswith("IMG_0001")]
    assert red == [("IMG_0001.JPG", ("IMG_0001.dng",), None), ("IMG_0001.edited.jpg", (), None)]
    assert sum(1 for f in found if f[0] == "IMG_0001.dng") == 0


def test_live_photo_is_one_result(engine: Engine):
    found = view(engine.search("green", k=10))
    assert found[0] == ("IMG_0002.HEIC", ("IMG_0002.MOV",), None)
    assert [f for f in found if "IMG_0002" in f[0]] == [found[0]]


def test_unpaired_raw_and_video_show_as_themselves(engine: Engine):
    assert view(engine.search("blue", k=1)) == [("lone.dng", (), None)]
    assert view(engine.search("yellow", k=1)) == [("clip.mov", (), 0.0)]


def test_pages_never_repeat_a_shot(engine: Engine):
    pages = [view(engine.search("red", k=1, offset=i)) for i in range(7)]
    names = [p[0][0] for p in pages if p]
    assert len(names) == len(set(names)) == 5  # 7 files, 5 items: two pairs folded
    browsed = view(engine.browse())
    assert len(browsed) == len({b[0] for b in browsed}) == 5
    assert ("IMG_0001.JPG", ("IMG_0001.dng",), None) in browsed
    assert ("IMG_0002.HEIC", ("IMG_0002.MOV",), None) in browsed


def test_similar_to_a_raw_skips_its_own_jpeg(engine: Engine, shots: Path):
    names = [Path(r.path).name for r in engine.similar(shots / "IMG_0001.dng", k=3)]
    assert "IMG_0001.JPG" not in names and names[0] == "IMG_0001.edited.jpg"


def test_a_pair_whose_jpeg_is_gone_shows_the_raw(engine: Engine, shots: Path):
    (shots / "IMG_0001.JPG").unlink()
    engine.update()
    found = view(engine.search("red", k=2))
    assert ("IMG_0001.dng", (), None) in found


def test_cli_lists_companions(
    shots: Path, colour_pack: Path, library_dir: Path, capsys: pytest.CaptureFixture[str]
):
    assert cli_main(["--model", str(colour_pack), "index", str(shots), "--json"]) == 0
    capsys.readouterr()
    assert cli_main(["--model", str(colour_pack), "search", "green", "-k", "1", "--json"]) == 0
    (hit,) = json.loads(capsys.readouterr().out)["results"]
    assert Path(hit["path"]).name == "IMG_0002.HEIC"
    assert [Path(c).name for c in hit["companions"]] == ["IMG_0002.MOV"]
    assert "time" not in hit


def test_badge_label():
    assert pairs.companion_label(["a/IMG.CR2"]) == "RAW"
    assert pairs.companion_label(["a/IMG.MOV"]) == "LIVE"
    assert pairs.companion_label(["a/IMG.nef", "a/IMG.mov"]) == "RAW+LIVE"
