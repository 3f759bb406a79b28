"""Model packs Magpie can download: Immich's whole CLIP catalogue on Hugging Face.

Data only (no torch, no network): the app reads it for `magpie models list/install` and the
first-run dialog. Names and families are those of Immich's machine-learning service
(immich_ml/models/constants.py); dimensions are the ones Immich's settings page lists; memory,
per-image time and recall are from Immich's own comparison (docs: Searching > CLIP models;
7800X3D, CPU, fp32; recall averaged over Crossmodal-3600, XTD-10 and Flickr30k, English).
Download sizes are estimates (parameters x 4 bytes of fp32 weights), for display; the real
sizes and checksums come from the server at download time.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ENDPOINT = "https://huggingface.co"
ENGLISH = ("en",)
MULTILINGUAL = ("multilingual",)


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    repo: str  # Hugging Face repository holding the pack layout
    summary: str  # when to pick it, in one line
    approx_size_mb: int
    revision: str = "main"
    default: bool = False  # the recommendation for a computer without a GPU
    dim: int = 0
    languages: tuple[str, ...] = ENGLISH
    family: str = ""
    recall_en: float | None = None  # Immich's English recall (%), None where not measured
    memory_mib: int | None = None  # Immich's peak memory for the model
    ms_per_image: float | None = None  # Immich's CPU time per image (7800X3D)

    @property
    def multilingual(self) -> bool:
        return self.languages != ENGLISH


# name, family, dim, approx MB, recall_en, memory MiB, ms, multilingual, when to pick it
# fmt: off
_Row = tuple[str, str, int, int, float | None, int | None, float | None, bool, str]
_CATALOGUE: tuple[_Row, ...] = (
    # OpenAI CLIP
    ("ViT-B-32__openai", "OpenAI CLIP", 512, 605, 69.9, 1004, 2.26, False,
     "Immich's default: small and fast anywhere; the LAION B/32 is better at the same cost"),
    ("ViT-B-16__openai", "OpenAI CLIP", 512, 600, 70.01, 985, 5.03, False,
     "little gain over B/32 for twice the time; prefer a SigLIP B/16"),
    ("ViT-L-14__openai", "OpenAI CLIP", 768, 1710, 72.99, 2212, 19.91, False,
     "the classic large CLIP; newer models beat it at the same cost"),
    ("ViT-L-14-336__openai", "OpenAI CLIP", 768, 1710, 72.76, 2616, 43.45, False,
     "L/14 at 336 px: slower, no better in Immich's tests"),
    ("RN50__openai", "OpenAI CLIP (ResNet)", 1024, 410, 69.02, 913, 2.39, False,
     "the smallest download; old ResNet, pick it only for very weak machines"),
    ("RN101__openai", "OpenAI CLIP (ResNet)", 512, 480, 69.3, 1111, 3.21, False,
     "old ResNet: no reason to prefer it over ViT-B-32"),
    ("RN50x4__openai", "OpenAI CLIP (ResNet)", 640, 710, 70.8, 1416, 5.85, False,
     "old ResNet at 288 px; superseded"),
    ("RN50x16__openai", "OpenAI CLIP (ResNet)", 768, 1160, 72.59, 2221, 15.87, False,
     "old ResNet at 384 px; superseded"),
    ("RN50x64__openai", "OpenAI CLIP (ResNet)", 1024, 2490, 73.34, 5079, 48.79, False,
     "old ResNet at 448 px: heavy for its quality"),
    ("RN50__cc12m", "OpenCLIP (ResNet)", 1024, 410, 64.59, 914, 2.37, False,
     "tiny and weak: only if memory is very tight"),
    ("RN50__yfcc15m", "OpenCLIP (ResNet)", 1024, 410, 53.63, 908, 2.34, False,
     "research baseline; weak search"),
    ("RN101__yfcc15m", "OpenCLIP (ResNet)", 512, 480, 55.21, 1111, 3.22, False,
     "research baseline; weak search"),
    # OpenCLIP LAION / DataComp / DFN
    ("ViT-B-32__laion2b-s34b-b79k", "OpenCLIP LAION", 512, 605, 77.62, 1001, 2.29, False,
     "best English search at B/32 speed: the pick for a CPU laptop"),
    ("ViT-B-32__laion2b_e16", "OpenCLIP LAION", 512, 605, 77.47, 1004, 2.38, False,
     "like laion2b-s34b-b79k, a shade weaker"),
    ("ViT-B-32__laion400m_e31", "OpenCLIP LAION", 512, 605, 73.83, 999, 2.28, False,
     "older LAION-400M B/32; prefer laion2b-s34b-b79k"),
    ("ViT-B-32__laion400m_e32", "OpenCLIP LAION", 512, 605, 73.62, 1003, 2.35, False,
     "older LAION-400M B/32; prefer laion2b-s34b-b79k"),
    ("ViT-B-16__laion400m_e31", "OpenCLIP LAION", 512, 600, 76.35, 991, 5.04, False,
     "B/16 on LAION-400M; a SigLIP B/16 is better at the same speed"),
    ("ViT-B-16__laion400m_e32", "OpenCLIP LAION", 512, 600, 76.43, 975, 4.98, False,
     "B/16 on LAION-400M; a SigLIP B/16 is better at the same speed"),
    ("ViT-B-16-plus-240__laion400m_e31", "OpenCLIP LAION", 640, 830, 78.06, 1263, 6.94, False,
     "B/16+ at 240 px; superseded by SigLIP"),
    ("ViT-B-16-plus-240__laion400m_e32", "OpenCLIP LAION", 640, 830, 78.06, 1246, 6.95, False,
     "B/16+ at 240 px; superseded by SigLIP"),
    ("ViT-L-14__laion400m_e31", "OpenCLIP LAION", 768, 1710, 78.64, 2183, 19.87, False,
     "large LAION-400M; superseded by DFN and SigLIP"),
    ("ViT-L-14__laion400m_e32", "OpenCLIP LAION", 768, 1710, 78.6, 2218, 19.73, False,
     "large LAION-400M; superseded by DFN and SigLIP"),
    ("ViT-L-14__laion2b-s32b-b82k", "OpenCLIP LAION", 768, 1710, 80.82, 2233, 20.56, False,
     "good large CLIP for a GPU; SigLIP L/16 is better"),
    ("ViT-H-14__laion2b-s32b-b79k", "OpenCLIP LAION", 1024, 3940, 82.36, 4676, 39.06, False,
     "huge LAION model (weights in external files); for a GPU"),
    ("ViT-g-14__laion2b-s12b-b42k", "OpenCLIP LAION", 1024, 5470, None, None, None, False,
     "giant LAION model (weights in external files); GPU with plenty of memory"),
    ("ViT-L-14-quickgelu__dfn2b", "OpenCLIP DFN", 768, 1710, 82.54, 2212, 20.49, False,
     "the best L/14 CLIP: strong English search on a GPU"),
    ("ViT-H-14-quickgelu__dfn5b", "OpenCLIP DFN", 1024, 3940, 85.09, 4701, 38.74, False,
     "top-quality CLIP at 224 px (external weights); for a GPU"),
    ("ViT-H-14-378-quickgelu__dfn5b", "OpenCLIP DFN", 1024, 3950, 85.78, 5049, 108.4, False,
     "H/14 at 378 px: near the top, very slow without a GPU"),
    # SigLIP
    ("ViT-B-16-SigLIP__webli", "SigLIP", 768, 810, 81.9, 1081, 5.77, False,
     "much better than CLIP B/32 at ~2.5x its cost: a strong CPU choice"),
    ("ViT-B-16-SigLIP-256__webli", "SigLIP", 768, 810, 81.9, 1102, 7.11, False,
     "like SigLIP B/16 at 256 px, slower for the same quality"),
    ("ViT-B-16-SigLIP-384__webli", "SigLIP", 768, 810, 83.19, 1128, 13.53, False,
     "SigLIP B/16 at 384 px: better on small details, a good GPU-less middle"),
    ("ViT-B-16-SigLIP-512__webli", "SigLIP", 768, 820, 83.28, 1828, 26.17, False,
     "SigLIP B/16 at 512 px: the most detail from a base model"),
    ("ViT-B-16-SigLIP-i18n-256__webli", "SigLIP", 768, 1480, 79.78, 3029, 6.87, True,
     "multilingual SigLIP B/16; SigLIP2 models are better for mixed languages"),
    ("ViT-L-16-SigLIP-256__webli", "SigLIP", 1024, 2610, 83.51, 3160, 23.84, False,
     "large SigLIP; the SigLIP2 L/16 is better"),
    ("ViT-L-16-SigLIP-384__webli", "SigLIP", 1024, 2610, 84.17, 3396, 47.6, False,
     "large SigLIP at 384 px; the SigLIP2 L/16 is better"),
    ("ViT-SO400M-14-SigLIP-384__webli", "SigLIP", 1152, 3510, 84.61, 4417, 72.19, False,
     "SigLIP so400m; superseded by its SigLIP2 version"),
    # SigLIP2 (multilingual tokenizer)
    ("ViT-B-32-SigLIP2-256__webli", "SigLIP2", 768, 1500, 82.28, 3061, 3.31, True,
     "fast and good in many languages; needs ~3 GB of memory for its vocabulary"),
    ("ViT-B-16-SigLIP2__webli", "SigLIP2", 768, 1500, 84.86, 3038, 5.81, True,
     "the best quality per second: mixed-language libraries on a CPU"),
    ("ViT-L-16-SigLIP2-256__webli", "SigLIP2", 1024, 3530, 85.03, 2830, 23.77, True,
     "large SigLIP2: top search in many languages with a GPU"),
    ("ViT-L-16-SigLIP2-384__webli", "SigLIP2", 1024, 3530, 85.47, 3057, 51.7, True,
     "large SigLIP2 at 384 px; more detail, twice the time"),
    ("ViT-L-16-SigLIP2-512__webli", "SigLIP2", 1024, 3530, 85.75, 3358, 92.59, True,
     "large SigLIP2 at 512 px; slow, for a GPU"),
    ("ViT-SO400M-14-SigLIP2__webli", "SigLIP2", 1152, 4540, 85.53, 3622, 27.63, True,
     "so400m SigLIP2 at 224 px: near-best quality at moderate cost on a GPU"),
    ("ViT-SO400M-14-SigLIP2-378__webli", "SigLIP2", 1152, 4540, 85.96, 3940, 72.25, True,
     "so400m/14 at 378 px; the /16 at 384 is as good and faster"),
    ("ViT-SO400M-16-SigLIP2-256__webli", "SigLIP2", 1152, 4540, 85.62, 3611, 27.84, True,
     "so400m/16 at 256 px: excellent and still reasonable on a GPU"),
    ("ViT-SO400M-16-SigLIP2-384__webli", "SigLIP2", 1152, 4540, 85.99, 3854, 56.57, True,
     "the best search Immich measured: the pick for a computer with a GPU"),
    ("ViT-SO400M-16-SigLIP2-512__webli", "SigLIP2", 1152, 4550, 85.93, 4050, 107.67, True,
     "so400m at 512 px: slower than 384 for no gain"),
    ("ViT-gopt-16-SigLIP2-256__webli", "SigLIP2", 1536, 7480, 85.48, 6475, 64.51, True,
     "the giant SigLIP2 (external weights): big GPU only, not better than so400m"),
    ("ViT-gopt-16-SigLIP2-384__webli", "SigLIP2", 1536, 7480, 85.96, 6585, 146.84, True,
     "the giant SigLIP2 at 384 px (external weights): big GPU only"),
    # multilingual text towers
    ("XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k", "OpenCLIP XLM-Roberta", 512, 1470, 76.91,
     3030, 3.2, True,
     "multilingual at B/32 speed: many languages on a CPU"),
    ("XLM-Roberta-Large-ViT-H-14__frozen_laion5b_s13b_b90k", "OpenCLIP XLM-Roberta", 1024,
     4770, 82.43, 4014, 39.14, True,
     "strong multilingual search (external weights); for a GPU"),
    ("nllb-clip-base-siglip__v1", "NLLB-CLIP", 768, 2000, 80.16, 4675, 15.17, True,
     "best for searching in one non-English language (set the language in Settings)"),
    ("nllb-clip-base-siglip__mrl", "NLLB-CLIP", 768, 2000, 80.65, 4696, 16.95, True,
     "NLLB-CLIP base, MRL-trained: same use as v1, slightly better"),
    ("nllb-clip-large-siglip__v1", "NLLB-CLIP", 1152, 4800, 83.24, 4226, 75.05, True,
     "the best for a non-English language on a GPU (external weights)"),
    ("nllb-clip-large-siglip__mrl", "NLLB-CLIP", 1152, 4800, 83.23, 4248, 75.44, True,
     "NLLB-CLIP large, MRL-trained; as v1"),
    ("XLM-Roberta-Large-Vit-B-32", "M-CLIP", 512, 2610, None, None, None, True,
     "M-CLIP: 50+ languages with a ViT-B/32 image tower; large text tower"),
    ("XLM-Roberta-Large-Vit-B-16Plus", "M-CLIP", 640, 2760, None, None, None, True,
     "M-CLIP with a B/16+ image tower"),
    ("XLM-Roberta-Large-Vit-L-14", "M-CLIP", 768, 3460, None, None, None, True,
     "M-CLIP with an L/14 image tower; for a GPU"),
    ("LABSE-Vit-L-14", "M-CLIP", 768, 3100, None, None, None, True,
     "M-CLIP with a LaBSE text tower (109 languages) and an L/14 image tower"),
)
# fmt: on

RECOMMENDED = {
    # (gpu, multilingual) -> name; see the one-line reasons in the catalogue
    (False, False): "ViT-B-32__laion2b-s34b-b79k",
    (False, True): "XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k",
    (True, False): "ViT-SO400M-16-SigLIP2-384__webli",
    (True, True): "ViT-SO400M-16-SigLIP2-384__webli",
}
DEFAULT_MODEL = RECOMMENDED[(False, False)]

REGISTRY: tuple[RegistryEntry, ...] = tuple(
    RegistryEntry(
        name=name,
        repo=f"immich-app/{name}",
        summary=summary,
        approx_size_mb=size,
        default=name == DEFAULT_MODEL,
        dim=dim,
        languages=MULTILINGUAL if multilingual else ENGLISH,
        family=family,
        recall_en=recall,
        memory_mib=memory,
        ms_per_image=ms,
    )
    for name, family, dim, size, recall, memory, ms, multilingual, summary in _CATALOGUE
)


def find_entry(name: str) -> RegistryEntry | None:
    return next((e for e in REGISTRY if e.name == name), None)


def likely_gpu() -> bool:
    """An NVIDIA driver is present (cheap: no onnxruntime import, safe on the GUI thread)."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def recommended(gpu: bool | None = None, multilingual: bool = False) -> RegistryEntry:
    """The pack to suggest for this hardware: quality per second on a CPU, quality on a GPU."""
    name = RECOMMENDED[(likely_gpu() if gpu is None else gpu, multilingual)]
    entry = find_entry(name)
    assert entry is not None
    return entry
