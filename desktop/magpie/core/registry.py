"""Model packs Magpie can download: Immich's published CLIP exports on Hugging Face.

Data only (no torch, no network): the app reads it for `magpie models list/install` and the
first-run dialog. Sizes are approximate, for display; the real sizes and checksums come from
the server at download time.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_MODEL = "ViT-B-32__openai"


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    repo: str  # Hugging Face repository holding the pack layout
    summary: str
    approx_size_mb: int
    revision: str = "main"
    default: bool = False


REGISTRY: tuple[RegistryEntry, ...] = (
    RegistryEntry(
        name="ViT-B-32__openai",
        repo="immich-app/ViT-B-32__openai",
        summary="OpenAI CLIP ViT-B/32: fast on any CPU, good English search (default)",
        approx_size_mb=605,
        default=True,
    ),
    RegistryEntry(
        name="ViT-L-14__openai",
        repo="immich-app/ViT-L-14__openai",
        summary="OpenAI CLIP ViT-L/14: clearly better results, ~8x slower to index; for a GPU",
        approx_size_mb=1710,
    ),
    RegistryEntry(
        name="XLM-Roberta-Large-Vit-B-32",
        repo="immich-app/XLM-Roberta-Large-Vit-B-32",
        summary="Multilingual CLIP (M-CLIP): search in 50+ languages, ViT-B/32 image tower",
        approx_size_mb=2610,
    ),
)


def find_entry(name: str) -> RegistryEntry | None:
    return next((e for e in REGISTRY if e.name == name), None)
