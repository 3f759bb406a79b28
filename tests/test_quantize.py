"""The int8 option: made from the pack, checked on the user's photos, used only if it passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from magpie.core.encoders import ClipModel
from magpie.core.engine import Engine
from magpie.core.errors import MagpieError
from magpie.core.int8 import int8_model, int8_ready, load_check
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.core.packs import load_pack
from magpie.core.quantize import prepare_int8
from magpie.launch import main as magpie


@pytest.fixture
def installed(tmp_path: Path, colour_pack: Path, photos: Path) -> tuple[Path, Path]:
    library = tmp_path / "lib"
    import_pack(Library(library), colour_pack)
    with Engine(library, writer=True) as lib:
        lib.add_folder(photos)
        lib.update()
    return library, library / "models" / "colour-pack"


@pytest.mark.logs_warnings
def test_check_passes_and_the_int8_tower_is_used(installed, photos: Path):
    _, pack_dir = installed
    pack = load_pack(pack_dir)
    check = prepare_int8(pack, sorted(photos.rglob("*.jpg")), min_speedup=0.0)
    assert check.passed and check.photos == 6 and check.cosine_min >= 0.98
    assert int8_model(pack).is_file() and int8_ready(pack)
    assert load_check(pack) == check
    clip = ClipModel(pack, "cpu", int8=True)
    assert clip.image.model == int8_model(pack)
    assert ClipModel(pack, "cpu", int8=False).image.model == pack.visual_model
    red = clip.embed_images([photos / "red.jpg"])[0]
    assert float(red @ ClipModel(pack, "cpu").embed_images([photos / "red.jpg"])[0]) > 0.98


@pytest.mark.logs_warnings
def test_a_failed_check_keeps_fp32(installed, photos: Path):
    _, pack_dir = installed
    pack = load_pack(pack_dir)
    check = prepare_int8(pack, sorted(photos.rglob("*.jpg")), min_speedup=1000.0)
    assert not check.passed and not int8_ready(pack)
    assert ClipModel(pack, "cpu", int8=True).image.model == pack.visual_model


@pytest.mark.logs_warnings
def test_cli_checks_on_library_photos_and_switches(installed, capsys, monkeypatch):
    import magpie.core.quantize as quantize

    library, pack_dir = installed
    monkeypatch.setattr(quantize, "MIN_SPEEDUP", 0.0)
    monkeypatch.setattr(quantize.prepare_int8, "__defaults__", (quantize.MIN_COSINE, 0.0))
    assert magpie(["--library", str(library), "models", "int8", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["enabled"] and document["photos"] == 7
    assert Library(library).load_settings().int8_images
    with Engine(library) as lib:
        assert lib.clip.image.model == pack_dir / "visual" / "model.int8.onnx"
        assert Path(lib.search("red", k=1)[0].path).name == "red.jpg"
    assert magpie(["--library", str(library), "models", "int8", "--off"]) == 0
    assert not Library(library).load_settings().int8_images


def test_needs_photos(colour_pack: Path, tmp_path: Path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"junk")
    with pytest.raises(MagpieError, match="at least 4 readable photos"):
        prepare_int8(load_pack(colour_pack), [broken] * 5)
