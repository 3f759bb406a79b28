"""Encoders with the colour pack (known behaviour) and the compute-device choice."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from magpie.core import runtime
from magpie.core.encoders import ClipModel, ImageEncoder
from magpie.core.errors import DeviceError
from magpie.core.packs import load_pack

from tests.helpers import packs
from tests.helpers.packs import COLOURS, solid_image


@pytest.fixture
def photo_files(tmp_path: Path) -> dict[str, Path]:
    return {
        name: solid_image(tmp_path / "photos" / f"{name}.jpg", rgb) for name, rgb in COLOURS.items()
    }


def test_red_finds_the_red_photo(colour_pack: Path, photo_files: dict[str, Path]):
    model = ClipModel.from_path(colour_pack, "cpu")
    names = list(photo_files)
    image_vectors = model.embed_images(photo_files.values())
    queries = ["red", "a photo of a green car", "the BLUE sky", "yellow"]
    scores = model.embed_texts(queries) @ image_vectors.T
    assert [names[i] for i in scores.argmax(axis=1)] == ["red", "green", "blue", "yellow"]
    assert scores.max(axis=1).min() > 0.99


def test_embeddings_are_unit_float32(colour_pack: Path, photo_files: dict[str, Path]):
    model = ClipModel.from_path(colour_pack, "cpu")
    for vectors in (
        model.embed_images(photo_files.values()),
        model.embed_texts(["red", "blue sky"]),
    ):
        assert vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batches_give_the_same_vectors_as_singles(colour_pack: Path, photo_files: dict[str, Path]):
    pack = load_pack(colour_pack)
    batched = ImageEncoder(pack, batch_size=4).encode_files(list(photo_files.values()))
    single = np.concatenate(
        [ImageEncoder(pack, batch_size=1).encode_files([p]) for p in photo_files.values()]
    )
    np.testing.assert_allclose(batched, single, atol=1e-6)


def test_static_batch_graph_is_padded(tmp_path: Path, photo_files: dict[str, Path]):
    pack_dir = packs.make_colour_pack(tmp_path / "p")
    packs._save(packs.visual_graph(8, 16, batch=4), pack_dir / "visual" / "model.onnx")
    encoder = ImageEncoder(load_pack(pack_dir))
    assert encoder.batch_size == 4
    vectors = encoder.encode_files(
        list(photo_files.values())
    )  # 6 photo_files: a full and a padded batch
    assert vectors.shape == (6, 8)
    np.testing.assert_allclose(vectors[0], packs.colour_vector(COLOURS["red"], 8), atol=0.02)


def test_empty_inputs(colour_pack: Path):
    model = ClipModel.from_path(colour_pack, "cpu")
    assert model.embed_texts([]).shape == (0, 8)
    assert model.embed_images([]).shape == (0, 8)


def test_auto_falls_back_to_cpu_with_one_log_line(
    colour_pack: Path, caplog: pytest.LogCaptureFixture
):
    """No CUDA on the test machines: 'auto' must choose the CPU and say why, once."""
    runtime.reset_probe()
    with caplog.at_level(logging.INFO, logger="magpie"):
        model = ClipModel.from_path(colour_pack, "auto")
        assert model.device == "cpu"
        model.embed_texts(["red"])
    lines = [r.getMessage() for r in caplog.records if "CUDA unavailable" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith("using the CPU: CUDA unavailable (")
    assert model.image.session.get_providers() == ["CPUExecutionProvider"]


def test_cuda_that_cannot_start_is_a_clear_error(colour_pack: Path):
    runtime.reset_probe()
    model = ClipModel.from_path(colour_pack, "cuda")
    with pytest.raises(DeviceError, match="CUDA was requested but cannot be used: "):
        _ = model.device


def test_cuda_provider_listed_but_libraries_missing(
    colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    """onnxruntime-gpu lists CUDA even where its libraries are absent: the real session decides."""
    runtime.reset_probe()
    monkeypatch.setattr(runtime, "_driver_present", lambda: True)
    ort = runtime.ort()
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("this onnxruntime build has no CUDA provider to list")
    probe = runtime.probe_cuda(load_pack(colour_pack).visual_model)
    runtime.reset_probe()
    if probe.available:
        pytest.skip("a working CUDA is present on this machine")
    assert "CUDA" in probe.reason


def test_unknown_device(colour_pack: Path):
    with pytest.raises(DeviceError, match="unknown device 'tpu'"):
        runtime.resolve_device("tpu", load_pack(colour_pack).visual_model)
