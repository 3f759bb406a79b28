"""OpenCLIP models to packs in Immich's layout, checked against the PyTorch model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the export extra (torch) is not installed")

from magpie.core.encoders import ClipModel  # noqa: E402
from magpie.core.packs import load_pack  # noqa: E402
from magpie.launch import main as magpie  # noqa: E402
from magpie_export import clip_arch  # noqa: E402
from magpie_export.clip_arch import CLIP, _openclip, openclip_arch  # noqa: E402
from magpie_export.openclip import ExportError, export_openclip  # noqa: E402

pytestmark = pytest.mark.export
# OpenCLIP's variations in miniature: GELU, a 32-wide vision head, an MLP ratio that is not 4
TINY = _openclip(32, 32, 2, 64, 8, 64, 2, 2, head_width=32, mlp_ratio=3.0)


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(clip_arch.OPENCLIP_ARCHS, "ViT-Tiny", TINY)
    return "ViT-Tiny"


def test_names_map_to_openclip_architectures():
    h14 = openclip_arch("ViT-H-14__laion2b-s32b-b79k")
    assert (h14.vision_heads, h14.transformer_heads, h14.quick_gelu) == (16, 16, False)
    assert openclip_arch("ViT-H-14-quickgelu").quick_gelu
    g14 = openclip_arch("ViT-g-14")
    assert g14.vision_mlp_width == 6144 and g14.vision_heads == 16
    assert openclip_arch("ViT-B-16-plus-240").image_resolution == 240
    with pytest.raises(ValueError, match="Hugging Face text tower"):
        openclip_arch("ViT-B-16-SigLIP")


def test_the_activation_is_the_models_own():
    torch.manual_seed(0)
    gelu = CLIP(TINY).eval()
    quick = CLIP(clip_arch.replace(TINY, quick_gelu=True)).eval()
    quick.load_state_dict(gelu.state_dict())
    image = torch.randn(1, 3, 32, 32)
    assert not torch.allclose(gelu.encode_image(image), quick.encode_image(image))


def test_random_init_export_matches_pytorch(tiny: str, tmp_path: Path, capsys):
    out = tmp_path / "pack"
    code = magpie(["models", "export", "--openclip", tiny, "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert report["fp32_visual_cosine"] >= 0.9999 and report["fp32_text_cosine"] >= 0.9999
    config = json.loads((out / "config.json").read_text())
    assert config["quick_gelu"] is False and config["vision_cfg"]["head_width"] == 32
    assert config["magpie"]["random_init"] is True
    pack = load_pack(out)  # Immich's layout, OpenAI's tokenizer and torchvision's arithmetic
    assert pack.text_clean == "openai" and pack.preprocess.arithmetic == "torchvision"
    vectors = ClipModel(pack, "cpu").embed_texts(["a dog", "a cat"])
    assert vectors.shape == (2, 32)


@pytest.mark.parametrize("suffix", [".safetensors", ".bin"])
def test_checkpoint_export_gives_the_checkpoints_vectors(tiny: str, tmp_path: Path, suffix: str):
    from safetensors.torch import save_file

    torch.manual_seed(3)
    model = CLIP(TINY).eval()
    checkpoint = tmp_path / f"open_clip_model{suffix}"
    weights = {k: v.contiguous() for k, v in model.state_dict().items()}
    if suffix == ".safetensors":
        save_file(weights, str(checkpoint))
    else:
        torch.save({"state_dict": weights}, checkpoint)
    report = export_openclip(tiny, tmp_path / "pack", checkpoint)
    assert min(report.fp32_visual_cosine, report.fp32_text_cosine) >= 0.9999
    clip = ClipModel(load_pack(tmp_path / "pack"), "cpu")
    image = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        want = model.encode_image(torch.from_numpy(image))
    want = (want / want.norm(dim=-1, keepdim=True)).numpy()
    np.testing.assert_allclose(clip.image.encode(image), want, atol=1e-4)


def test_a_checkpoint_of_another_architecture_is_refused(tiny: str, tmp_path: Path):
    other = CLIP(clip_arch.named_arch("ViT-W64-L1-P16-R32")).state_dict()
    checkpoint = tmp_path / "other.pt"
    torch.save(other, checkpoint)
    with pytest.raises(ExportError, match="not an OpenCLIP ViT-Tiny checkpoint"):
        export_openclip(tiny, tmp_path / "pack", checkpoint)
    assert not (tmp_path / "pack").exists()
