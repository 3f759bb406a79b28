"""Packs whose weights sit in external data files: downloaded, imported, installed and loaded
with every file the graphs reference, and nothing outside the pack."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from magpie.core.download import install_pack
from magpie.core.encoders import ClipModel
from magpie.core.errors import DownloadError, MagpieError, PackError
from magpie.core.library import Library
from magpie.core.pack_store import import_pack, resolve_model
from magpie.core.packs import REQUIRED_FILES, external_data_files, load_pack, pack_files
from magpie.core.registry import RegistryEntry

from tests.helpers.external import externalise
from tests.helpers.hub import FakeHub
from tests.helpers.packs import make_colour_pack

ENTRY = RegistryEntry(name="big-test", repo="test-org/big-test", summary="", approx_size_mb=1)
LAYOUTS = ["per_tensor", "single"]


def _big_pack(root: Path, layout: str) -> tuple[Path, list[str]]:
    pack = make_colour_pack(root)
    return pack, externalise(pack, layout)


def _works(pack_dir: Path, photos: Path) -> None:
    """Loads from its own folder and still tells red from blue."""
    model = ClipModel(load_pack(pack_dir), device="cpu")
    images = model.embed_images([photos / "red.jpg", photos / "blue.jpg"])
    text = model.embed_texts(["red"])[0]
    assert images[0] @ text > images[1] @ text + 0.5


@pytest.mark.parametrize("layout", LAYOUTS)
def test_graph_references_are_found(tmp_path: Path, layout: str):
    pack, added = _big_pack(tmp_path / "pack", layout)
    assert added  # the helper really moved the weights out
    files = pack_files(pack)
    assert sorted(set(files) - set(REQUIRED_FILES)) == added
    if layout == "single":
        assert added == ["textual/model.onnx_data", "visual/model.onnx_data"]
    else:
        assert "visual/proj" in added and "textual/table" in added


@pytest.mark.parametrize("layout", LAYOUTS)
def test_install_from_the_hub_fetches_the_weights_and_loads(
    tmp_path: Path, layout: str, photos: Path
):
    pack, added = _big_pack(tmp_path / "served", layout)
    (pack / "visual" / "model.armnn").write_bytes(b"another runtime's export")  # not ours
    (pack / "README.md").write_text("a model card")
    library = Library(tmp_path / "lib")
    with FakeHub(pack, ENTRY.repo) as hub:
        installed = install_pack(library, ENTRY, hub.url)
        assert sorted(hub.requested) == sorted([*REQUIRED_FILES, *added])
    for relative in [*REQUIRED_FILES, *added]:
        assert (installed.path / relative).read_bytes() == (pack / relative).read_bytes()
    assert not (installed.path / "visual" / "model.armnn").exists()
    assert not (installed.path / "README.md").exists()
    _works(installed.path, photos)
    assert resolve_model(library).name == "big-test"


def test_hub_missing_a_weights_file_is_refused(tmp_path: Path):
    pack, added = _big_pack(tmp_path / "served", "per_tensor")
    library = Library(tmp_path / "lib")
    with FakeHub(pack, ENTRY.repo) as hub:
        del hub.files[added[0]]
        with pytest.raises(DownloadError, match=f"has no {added[0]}"):
            install_pack(library, ENTRY, hub.url)
    assert not (library.models_dir / "big-test").exists()


def test_corrupted_weights_file_is_caught(tmp_path: Path):
    pack, _ = _big_pack(tmp_path / "served", "single")
    library = Library(tmp_path / "lib")
    with FakeHub(pack, ENTRY.repo) as hub:
        hub.corrupt.add("visual/model.onnx_data")
        with pytest.raises(DownloadError, match=r"model\.onnx_data: checksum mismatch"):
            install_pack(library, ENTRY, hub.url)
        hub.corrupt.clear()
        install_pack(library, ENTRY, hub.url)  # the retry fetches only what is missing
    assert (library.models_dir / "big-test" / "visual" / "model.onnx_data").is_file()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_import_copies_the_weights_and_the_copy_loads(tmp_path: Path, layout: str, photos: Path):
    pack, added = _big_pack(tmp_path / "source", layout)
    (pack / "visual" / "notes.txt").write_text("not part of the pack")
    installed = import_pack(Library(tmp_path / "lib"), pack, "big")
    copied = {p.relative_to(installed.path).as_posix() for p in installed.path.rglob("*")}
    assert {p for p in copied if (installed.path / p).is_file()} == {*REQUIRED_FILES, *added}
    _works(installed.path, photos)


def test_import_of_a_pack_missing_its_weights_names_the_file(tmp_path: Path):
    pack, added = _big_pack(tmp_path / "source", "per_tensor")
    (pack / added[-1]).unlink()
    library = Library(tmp_path / "lib")
    with pytest.raises(PackError, match=f"{added[-1]}: file is missing"):
        import_pack(library, pack, "big")
    assert not library.models_dir.exists() or not list(library.models_dir.iterdir())


def test_a_graph_pointing_outside_the_pack_is_refused(tmp_path: Path):
    pack, _ = _big_pack(tmp_path / "source", "single")
    graph = pack / "visual" / "model.onnx"
    model = onnx.load(str(graph), load_external_data=False)
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = "../../secret.bin"
    onnx.save(model, str(graph))
    with pytest.raises(PackError, match="outside the model pack"):
        external_data_files(graph)
    with pytest.raises(MagpieError, match="outside the model pack"):
        import_pack(Library(tmp_path / "lib"), pack, "big")


def test_inline_pack_has_no_external_files(colour_pack: Path):
    assert pack_files(colour_pack) == list(REQUIRED_FILES)
    assert np.isfinite(ClipModel(load_pack(colour_pack), "cpu").embed_texts(["red"])).all()
