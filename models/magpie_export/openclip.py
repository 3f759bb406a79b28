"""OpenCLIP models (LAION, DataComp, DFN, CommonPool... checkpoints) to packs in Immich's layout.

    magpie models export --openclip ViT-B-16 --pretrained datacomp_xl_s13b_b90k.bin --out DIR
    magpie models export --openclip ViT-H-14-quickgelu --out DIR      # random weights

open_clip_torch itself is not used: its torchvision dependency has no CPU build for the torch
Magpie's export pins, and the CUDA one will not import beside it. These models are CLIP's
architecture with OpenCLIP's variations (GELU or QuickGELU, vision head width, MLP ratio), read
from OpenCLIP's model configs (clip_arch.OPENCLIP_ARCHS); checkpoints use OpenCLIP's parameter
names, which are OpenAI's, and must fit the named architecture tensor for tensor. The export is
then checked against this PyTorch model like any other (cosine >= 0.9999 at fp32).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from magpie_export.export import ExportError, ExportReport, export_model, load_checkpoint

log = logging.getLogger("magpie.export")


def _load_weights(path: Path) -> dict:
    """open_clip checkpoints: a torch file (.bin/.pt, maybe {"state_dict": ...}) or safetensors."""
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise ExportError("reading .safetensors needs the safetensors package") from None
        try:
            return load_file(str(path))
        except Exception as exc:  # safetensors raises its own error types
            raise ExportError(f"{path}: cannot read checkpoint ({exc})") from None
    return load_checkpoint(path)


def export_openclip(
    name: str,
    out: Path,
    pretrained: Path | None = None,
    precision: str = "fp32",
    seed: int = 0,
    say: Callable[[str], None] = log.info,
) -> ExportReport:
    import torch

    from magpie_export.clip_arch import CLIP, build_from_state_dict, openclip_arch

    try:
        arch = openclip_arch(name)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    if pretrained is None:
        torch.manual_seed(seed)
        model = CLIP(arch).eval()
        source = f"random-init OpenCLIP {name}"
    else:
        say(f"reading {pretrained}")
        if not pretrained.is_file():
            raise ExportError(f"{pretrained}: checkpoint file not found")
        try:
            model = build_from_state_dict(_load_weights(pretrained), arch)
        except (ValueError, KeyError) as exc:
            raise ExportError(f"{pretrained}: not an OpenCLIP {name} checkpoint ({exc})") from None
        source = f"OpenCLIP {name} from {pretrained.name}"
    return export_model(
        model, out, precision, source=source, random_init=pretrained is None, say=say
    )
