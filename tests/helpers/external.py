"""Packs whose weights sit beside the graphs (ONNX external data), as towers over 2 GiB ship."""

from __future__ import annotations

from pathlib import Path

import onnx
from magpie.core.packs import GRAPH_FILES


def externalise(pack: Path, layout: str) -> list[str]:
    """Move every tensor of both graphs out of model.onnx; return the new files, pack-relative.

    layout "per_tensor": one file per tensor (torch.onnx's way, Immich's big towers);
    "single": one model.onnx_data per graph.
    """
    before = {p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()}
    for relative in GRAPH_FILES:
        path = pack / relative
        model = onnx.load(str(path))
        onnx.save_model(
            model,
            str(path),
            save_as_external_data=True,
            all_tensors_to_one_file=layout == "single",
            location="model.onnx_data",
            size_threshold=64,  # weights out, small shape constants inline as torch does
        )
    after = {p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()}
    return sorted(after - before)
