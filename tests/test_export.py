"""The export tool: checkpoints (state_dict and TorchScript) to packs, checked against PyTorch."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the export extra (torch) is not installed")

from magpie.core.encoders import ClipModel, TextEncoder  # noqa: E402
from magpie.core.packs import load_pack  # noqa: E402
from magpie.launch import main as magpie  # noqa: E402
from magpie_export.clip_arch import CLIP, infer_arch, named_arch  # noqa: E402
from magpie_export.export import ExportError, export_checkpoint, export_model  # noqa: E402

pytestmark = pytest.mark.export
TINY = "ViT-W64-L2-P8-R32"


def tiny_model(name: str = TINY, seed: int = 1) -> CLIP:
    torch.manual_seed(seed)
    return CLIP(named_arch(name)).eval()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[CLIP, Path, Path]:
    """One tiny model saved as a plain state_dict and exported through the CLI."""
    root = tmp_path_factory.mktemp("export")
    model = tiny_model()
    checkpoint = root / "tiny.pt"
    torch.save(model.state_dict(), checkpoint)
    return model, checkpoint, root


def test_state_dict_round_trip(exported, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    model, checkpoint, _ = exported
    out = tmp_path / "pack"
    code = magpie(
        [
            "--library",
            str(tmp_path / "lib"),
            "models",
            "export",
            "--checkpoint",
            str(checkpoint),
            "--out",
            str(out),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert report["fp32_visual_cosine"] >= 0.9999 and report["fp32_text_cosine"] >= 0.9999
    assert "fp32 graphs match PyTorch" in captured.err
    assert report["arch"]["vision_patch_size"] == 8 and report["arch"]["image_resolution"] == 32

    # the pack works in the app and agrees with PyTorch on real tokenisation
    clip = ClipModel.from_path(out, "cpu")
    texts = ["a photo of a dog", "東京タワー", "🐶 " * 100]
    tokens = clip.text.tokenizer.encode(texts)
    with torch.no_grad():
        want = model.encode_text(torch.from_numpy(tokens.ids)).numpy()
        image = torch.randn(2, 3, 32, 32)
        want_image = model.encode_image(image).numpy()
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    want_image /= np.linalg.norm(want_image, axis=1, keepdims=True)
    assert np.sum(clip.embed_texts(texts) * want, axis=1).min() > 0.9999
    assert np.sum(clip.image.encode(image.numpy()) * want_image, axis=1).min() > 0.9999

    config = json.loads((out / "config.json").read_text())
    assert config["embed_dim"] == 64 and config["magpie"]["random_init"] is False
    assert (
        json.loads((out / "textual" / "tokenizer_config.json").read_text())["pad_token"]
        == "<|endoftext|>"
    )


def test_short_queries_run_only_their_tokens_with_identical_results(exported, tmp_path: Path):
    """Causal attention: the vector at end-of-text cannot see the padding after it."""
    _, checkpoint, _ = exported
    out = tmp_path / "pack"
    report = export_checkpoint(checkpoint, out, say=lambda _: None)
    assert report.short_vs_full_max_diff < 1e-5
    encoder = TextEncoder(load_pack(out))
    assert not encoder._pad_to_context  # dynamic sequence axis detected
    texts = ["a dog", "a red bicycle leaning on a wall", "雪の中の犬"]
    short = encoder.encode(texts)
    encoder._pad_to_context = True
    full = encoder.encode(texts)
    np.testing.assert_allclose(short, full, atol=1e-5)


def test_torchscript_archive(tmp_path: Path):
    """OpenAI's .pt files are TorchScript archives with a few non-weight entries."""
    model = tiny_model(seed=2)
    model.register_buffer("input_resolution", torch.tensor(32))
    model.register_buffer("context_length", torch.tensor(77))
    model.register_buffer("vocab_size", torch.tensor(49408))
    with warnings.catch_warnings():
        # making TorchScript archives is deprecated in torch; reading OpenAI's is what we test
        warnings.simplefilter("ignore")  # and its TracerWarnings about shapes
        scripted = torch.jit.trace_module(model, {"encode_image": torch.zeros(1, 3, 32, 32)})
    archive = tmp_path / "ViT-tiny.pt"
    scripted.save(str(archive))
    report = export_checkpoint(archive, tmp_path / "pack", say=lambda _: None)
    assert report.fp32_visual_cosine >= 0.9999
    assert load_pack(tmp_path / "pack").embed_dim == 64


@pytest.mark.parametrize(
    ("name", "patch", "resolution", "layers"),
    [("ViT-W64-L1-P16-R48", 16, 48, 1), ("ViT-W128-L3-P14-R28", 14, 28, 3)],
)
def test_architecture_is_read_from_the_weights(name: str, patch: int, resolution: int, layers: int):
    arch = infer_arch(tiny_model(name).state_dict())
    assert (arch.vision_patch_size, arch.image_resolution, arch.vision_layers) == (
        patch,
        resolution,
        layers,
    )
    assert arch == named_arch(name)


def test_published_shapes_are_inferred():
    """ViT-B/32's real parameter shapes, without building its 150M weights."""
    b32 = named_arch("ViT-B-32")
    model_shapes = {
        k: torch.empty(0).new_empty(v.shape)
        for k, v in CLIP(named_arch("ViT-W64-L1-P32-R224")).state_dict().items()
    }
    assert infer_arch(model_shapes).image_resolution == 224
    assert b32.vision_width == 768 and b32.embed_dim == 512


@pytest.mark.logs_warnings
@pytest.mark.parametrize(("precision", "floor"), [("fp16", 0.999), ("int8", 0.98)])
def test_reduced_precision(tmp_path: Path, precision: str, floor: float):
    report = export_model(tiny_model(), tmp_path / precision, precision, say=lambda _: None)
    assert report.precision == precision
    assert report.visual_cosine >= floor and report.text_cosine >= floor
    clip = ClipModel.from_path(tmp_path / precision, "cpu")
    assert clip.embed_texts(["a dog"]).dtype == np.float32
    config = json.loads((tmp_path / precision / "config.json").read_text())
    assert config["magpie"]["precision"] == precision


def test_random_init_via_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "random"
    assert (
        magpie(
            ["models", "export", "--random-init", "ViT-W64-L1-P16-R32", "--out", str(out), "--json"]
        )
        == 0
    )
    config = json.loads((out / "config.json").read_text())
    assert config["magpie"]["random_init"] is True
    assert "random weights" in config["magpie"]["warning"]
    assert json.loads(capsys.readouterr().out)["arch"]["vision_layers"] == 1


def test_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    state = tiny_model().state_dict()
    resnet = {"visual.layer1.0.conv1.weight": torch.zeros(1)}
    torch.save(resnet, tmp_path / "rn50.pt")
    with pytest.raises(ExportError, match="ResNet CLIP checkpoints"):
        export_checkpoint(tmp_path / "rn50.pt", tmp_path / "x", say=lambda _: None)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("keep me")
    with pytest.raises(ExportError, match="exists and is not empty"):
        export_model(tiny_model(), tmp_path / "busy", say=lambda _: None)
    assert (tmp_path / "busy" / "file").read_text() == "keep me"
    from magpie_export.export import export_random

    with pytest.raises(ExportError, match="unknown architecture"):
        export_random("ViT-Q-99", tmp_path / "q", say=lambda _: None)
    assert (
        magpie(
            [
                "models",
                "export",
                "--checkpoint",
                str(tmp_path / "missing.pt"),
                "--out",
                str(tmp_path / "m"),
            ]
        )
        == 1
    )
    assert "checkpoint file not found" in capsys.readouterr().err
    assert "visual.proj" in state  # the tiny model uses OpenAI's parameter names
    assert not list(tmp_path.glob(".*partial*"))  # failed exports leave nothing behind
