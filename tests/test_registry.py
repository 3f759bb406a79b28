"""The download registry holds Immich's whole CLIP catalogue, with what a user needs to pick."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from magpie.core import registry
from magpie.core.registry import DEFAULT_MODEL, REGISTRY, find_entry, recommended
from magpie.launch import main as magpie

# Immich's machine-learning service, immich_ml/models/constants.py (_OPENCLIP_MODELS and
# _MCLIP_MODELS), less fg-clip2-base: its config is not public in a form checkable here.
IMMICH_CLIP = {
    *[
        "RN101__openai",
        "RN101__yfcc15m",
        "RN50__cc12m",
        "RN50__openai",
        "RN50__yfcc15m",
        "RN50x16__openai",
        "RN50x4__openai",
        "RN50x64__openai",
        "ViT-B-16-SigLIP-256__webli",
        "ViT-B-16-SigLIP-384__webli",
        "ViT-B-16-SigLIP-512__webli",
        "ViT-B-16-SigLIP-i18n-256__webli",
        "ViT-B-16-SigLIP__webli",
        "ViT-B-16-plus-240__laion400m_e31",
        "ViT-B-16-plus-240__laion400m_e32",
        "ViT-B-16__laion400m_e31",
        "ViT-B-16__laion400m_e32",
        "ViT-B-16__openai",
        "ViT-B-32__laion2b-s34b-b79k",
        "ViT-B-32__laion2b_e16",
        "ViT-B-32__laion400m_e31",
        "ViT-B-32__laion400m_e32",
        "ViT-B-32__openai",
        "ViT-H-14-378-quickgelu__dfn5b",
        "ViT-H-14-quickgelu__dfn5b",
        "ViT-H-14__laion2b-s32b-b79k",
        "ViT-L-14-336__openai",
        "ViT-L-14-quickgelu__dfn2b",
        "ViT-L-14__laion2b-s32b-b82k",
        "ViT-L-14__laion400m_e31",
        "ViT-L-14__laion400m_e32",
        "ViT-L-14__openai",
        "ViT-L-16-SigLIP-256__webli",
        "ViT-L-16-SigLIP-384__webli",
        "ViT-SO400M-14-SigLIP-384__webli",
        "ViT-g-14__laion2b-s12b-b42k",
        "XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k",
        "XLM-Roberta-Large-ViT-H-14__frozen_laion5b_s13b_b90k",
        "nllb-clip-base-siglip__mrl",
        "nllb-clip-base-siglip__v1",
        "nllb-clip-large-siglip__mrl",
        "nllb-clip-large-siglip__v1",
        "ViT-B-16-SigLIP2__webli",
        "ViT-B-32-SigLIP2-256__webli",
        "ViT-L-16-SigLIP2-256__webli",
        "ViT-L-16-SigLIP2-384__webli",
        "ViT-L-16-SigLIP2-512__webli",
        "ViT-SO400M-14-SigLIP2-378__webli",
        "ViT-SO400M-14-SigLIP2__webli",
        "ViT-SO400M-16-SigLIP2-256__webli",
        "ViT-SO400M-16-SigLIP2-384__webli",
        "ViT-SO400M-16-SigLIP2-512__webli",
        "ViT-gopt-16-SigLIP2-256__webli",
        "ViT-gopt-16-SigLIP2-384__webli",
        "LABSE-Vit-L-14",
        "XLM-Roberta-Large-Vit-B-16Plus",
        "XLM-Roberta-Large-Vit-B-32",
        "XLM-Roberta-Large-Vit-L-14",
    ]
}


def test_the_whole_catalogue_is_listed_once():
    names = [e.name for e in REGISTRY]
    assert len(names) == len(set(names))
    assert set(names) == IMMICH_CLIP
    for entry in REGISTRY:
        assert entry.repo == f"immich-app/{entry.name}"
        assert entry.dim in (512, 640, 768, 1024, 1152, 1536), entry.name
        assert entry.approx_size_mb > 100 and entry.summary and entry.family


@pytest.mark.parametrize(
    ("name", "dim", "multilingual"),
    [
        ("ViT-B-32__openai", 512, False),
        ("ViT-SO400M-16-SigLIP2-384__webli", 1152, True),
        ("ViT-gopt-16-SigLIP2-384__webli", 1536, True),
        ("nllb-clip-large-siglip__v1", 1152, True),
        ("XLM-Roberta-Large-Vit-B-32", 512, True),
        ("ViT-H-14-378-quickgelu__dfn5b", 1024, False),
    ],
)
def test_known_entries(name: str, dim: int, multilingual: bool):
    entry = find_entry(name)
    assert entry is not None and entry.dim == dim and entry.multilingual is multilingual


def test_a_recommendation_per_hardware():
    cpu, gpu = recommended(gpu=False), recommended(gpu=True)
    assert cpu.name == DEFAULT_MODEL and cpu.default
    assert [e.name for e in REGISTRY if e.default] == [DEFAULT_MODEL]
    assert cpu.ms_per_image is not None and gpu.ms_per_image is not None
    assert cpu.ms_per_image < 3 and gpu.recall_en == max(e.recall_en or 0 for e in REGISTRY)
    assert recommended(gpu=False, multilingual=True).multilingual


def test_models_list_shows_the_catalogue(
    library_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(registry, "likely_gpu", lambda: True)
    assert magpie(["models", "list", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["available"]) == len(REGISTRY)
    assert document["gpu_detected"] and document["recommended"] == recommended(gpu=True).name
    assert document["recommended_by_hardware"]["cpu"] == DEFAULT_MODEL
    nllb = next(a for a in document["available"] if a["name"] == "nllb-clip-base-siglip__v1")
    assert nllb["dim"] == 768 and nllb["languages"] == ["multilingual"]
    assert magpie(["models", "list"]) == 0
    text = capsys.readouterr().out
    assert f"+ {recommended(gpu=True).name}" in text and "Recommended:" in text
