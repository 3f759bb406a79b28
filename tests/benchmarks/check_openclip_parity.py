"""By hand: Magpie's OpenCLIP architectures against open_clip's own model code (prints JSON).

    python tests/benchmarks/check_openclip_parity.py /path/to/unpacked/open_clip_torch-wheel

open_clip_torch cannot be installed beside the CPU torch the export extra uses (its
torchvision has no matching CPU build), so this loads open_clip's model code from an unpacked
wheel with torchvision stubbed out (only its image transforms use it; the models do not).
Each architecture is built randomly by open_clip, its weights copied into Magpie's
clip_arch.CLIP, and both asked for the same image and text embeddings.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import torch


def _stub_torchvision() -> None:
    class Meta(type):
        def __getattr__(cls, name: str) -> object:
            return Anything

    class Anything(metaclass=Meta):
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def __getattr__(self, name: str) -> object:
            return Anything()

        def __call__(self, *args: object, **kwargs: object) -> object:
            return Anything()

    for name in ("torchvision", "torchvision.transforms", "torchvision.transforms.functional",
                 "torchvision.ops", "torchvision.ops.misc"):  # fmt: skip
        module = types.ModuleType(name)
        module.__getattr__ = lambda attr: Anything  # type: ignore[method-assign]
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)


TINY = {  # OpenCLIP's variations in small: GELU, 32-wide heads, MLP ratio 3
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "head_width": 32,
                   "mlp_ratio": 3.0, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}  # fmt: skip


def main() -> None:
    sys.path.insert(0, sys.argv[1])
    _stub_torchvision()
    import open_clip
    from magpie_export import clip_arch
    from magpie_export.clip_arch import CLIP, build_from_state_dict, openclip_arch

    config_dir = Path("/tmp/magpie-openclip-configs")
    config_dir.mkdir(exist_ok=True)
    (config_dir / "Magpie-Tiny.json").write_text(json.dumps(TINY))
    open_clip.add_model_config(config_dir)
    clip_arch.OPENCLIP_ARCHS["Magpie-Tiny"] = clip_arch._openclip(
        32, 32, 2, 64, 8, 64, 2, 2, head_width=32, mlp_ratio=3.0
    )
    names = sys.argv[2:] or ["Magpie-Tiny", "ViT-B-32", "ViT-B-32-quickgelu", "ViT-B-16-plus-240"]
    report = {}
    for name in names:
        torch.manual_seed(0)
        theirs = open_clip.create_model(name, pretrained=None).eval()
        ours: CLIP = build_from_state_dict(theirs.state_dict(), openclip_arch(name))
        size = ours.arch.image_resolution
        image = torch.randn(2, 3, size, size)
        text = torch.randint(1, 49406, (2, 77))
        text[:, 0], text[0, 9], text[1, 30] = 49406, 49407, 49407
        text[0, 10:], text[1, 31:] = 0, 0  # open_clip pads with 0
        with torch.no_grad():
            pairs = {
                "image": (theirs.encode_image(image), ours.encode_image(image)),
                "text": (theirs.encode_text(text), ours.encode_text(text)),
            }
        report[name] = {
            kind: {
                "min_cosine": float(torch.nn.functional.cosine_similarity(a, b).min()),
                "max_abs_diff": float((a - b).abs().max()),
            }
            for kind, (a, b) in pairs.items()
        }
    # a control, to show the comparison can fail: the right weights in the wrong activation
    torch.manual_seed(0)
    theirs = open_clip.create_model("ViT-B-32", pretrained=None).eval()
    wrong = build_from_state_dict(theirs.state_dict(), openclip_arch("ViT-B-32-quickgelu"))
    image = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        a, b = theirs.encode_image(image), wrong.encode_image(image)
    report["control: ViT-B-32 weights run with QuickGELU"] = {
        "image": {
            "min_cosine": float(torch.nn.functional.cosine_similarity(a, b).min()),
            "max_abs_diff": float((a - b).abs().max()),
        }
    }
    print(json.dumps({"open_clip": open_clip.__version__, "models": report}, indent=2))


if __name__ == "__main__":
    main()
