"""Export an OpenAI CLIP checkpoint (or a random-init architecture) to a Magpie model pack.

    magpie models export --checkpoint ViT-B-32.pt --out DIR [--precision fp32|fp16|int8]
    magpie models export --random-init ViT-B-32 --out DIR

Both graphs get a dynamic batch axis; the text graph also a dynamic sequence axis, so a
short query runs only its real tokens. Every export is checked against the PyTorch model
(cosine >= 0.9999 at fp32) before the pack is moved into place.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger("magpie.export")

PRECISIONS = ("fp32", "fp16", "int8")
FP32_MIN_COSINE = 0.9999
OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_STD = [0.26862954, 0.26130258, 0.27577711]
OPSET = 18
VERIFY_TEXTS = [
    "a photo of a dog",
    "a red bicycle leaning on a wall at sunset",
    "東京の夜景",
    "🐶",
    "",
    " ".join(["word"] * 90),  # longer than the context: truncated
]


class ExportError(Exception):
    """The export could not produce a faithful pack."""


@dataclass
class ExportReport:
    out: Path
    arch: dict[str, int]
    precision: str
    visual_cosine: float = 0.0  # min over the check batch, exported graph vs PyTorch
    text_cosine: float = 0.0
    fp32_visual_cosine: float = 0.0
    fp32_text_cosine: float = 0.0
    short_vs_full_max_diff: float = 0.0  # text graph: real tokens only vs 77-token padding
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


def load_checkpoint(path: Path) -> dict:
    """An OpenAI TorchScript archive (ViT-B-32.pt) or a plain state_dict file -> state_dict."""
    import torch

    if not path.is_file():
        raise ExportError(f"{path}: checkpoint file not found")
    is_torchscript = False
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            is_torchscript = any(
                n.endswith("constants.pkl") or "/code/" in n for n in archive.namelist()
            )
    try:
        if is_torchscript:
            # OpenAI published CLIP as TorchScript; torch deprecates the format, and
            # torch.jit.load is still the only reader for it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return torch.jit.load(str(path), map_location="cpu").state_dict()
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ExportError(f"{path}: cannot read checkpoint ({exc})") from None


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum(a * b, axis=1)


def _wrappers(model: object) -> tuple[object, object]:
    import torch
    from torch import nn

    class VisualTower(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.clip = model

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            x = self.clip.encode_image(image)
            return x / x.norm(dim=-1, keepdim=True)

    class TextTower(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.clip = model

        def forward(self, text: torch.Tensor) -> torch.Tensor:
            x = self.clip.encode_text(text.long())
            return x / x.norm(dim=-1, keepdim=True)

    return VisualTower().eval(), TextTower().eval()


def _export_graph(
    module: object, example: object, path: Path, input_name: str, output_name: str, axes: dict
) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    shapes = {input_name: {axis: torch.export.Dim(name, min=1) for axis, name in axes.items()}}
    # torch's exporter chatters (optional torchvision ops, its own pytree deprecation)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*treespec, LeafSpec.*", category=FutureWarning)
        program = torch.onnx.export(
            module,
            (example,),
            input_names=[input_name],
            output_names=[output_name],
            dynamic_shapes=shapes,
            opset_version=OPSET,
            dynamo=True,
            optimize=True,
            verbose=False,
        )
    # one self-contained file: Immich's layout and our loader expect no external data
    program.save(str(path), external_data=False)


def _to_fp16(path: Path) -> None:
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(path)), keep_io_types=True)
    onnx.save(model, str(path))


def _to_int8(path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantized = path.with_name("model.int8.onnx")
    # weights of the matrix multiplications only: int8 convolutions are slow on most CPUs
    quantize_dynamic(
        str(path),
        str(quantized),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul", "Gemm"],
    )
    quantized.replace(path)


def _session(path: Path) -> object:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _write_configs(
    staging: Path, arch: dict[str, int], precision: str, source: str, random_init: bool
) -> None:
    from magpie_export.bpe import write_clip_tokenizer

    resolution = arch["image_resolution"]
    config = {
        "embed_dim": arch["embed_dim"],
        "vision_cfg": {
            "image_size": resolution,
            "layers": arch["vision_layers"],
            "width": arch["vision_width"],
            "patch_size": arch["vision_patch_size"],
            "head_width": arch["vision_head_width"],
            "mlp_ratio": arch["vision_mlp_ratio"],
        },
        "quick_gelu": arch["quick_gelu"],
        "text_cfg": {
            "context_length": arch["context_length"],
            "vocab_size": arch["vocab_size"],
            "width": arch["transformer_width"],
            "heads": arch["transformer_heads"],
            "layers": arch["transformer_layers"],
        },
        "magpie": {
            "source": source,
            "random_init": random_init,
            "precision": precision,
            "exporter": "magpie models export",
        },
    }
    if random_init:
        config["magpie"]["warning"] = (
            "random weights: for speed benchmarks only, results are meaningless"
        )
    (staging / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    preprocess = {
        "size": [resolution, resolution],
        "mean": OPENAI_MEAN,
        "std": OPENAI_STD,
        "interpolation": "bicubic",
        "resize_mode": "shortest",
    }
    (staging / "visual" / "preprocess_cfg.json").write_text(json.dumps(preprocess, indent=2) + "\n")
    write_clip_tokenizer(staging / "textual")


def export_model(
    model: object,
    out: Path,
    precision: str = "fp32",
    source: str = "",
    random_init: bool = False,
    say: Callable[[str], None] = log.info,
) -> ExportReport:
    """Export a magpie_export.clip_arch.CLIP to a complete pack at `out` (created atomically)."""
    import torch
    from tokenizers import Tokenizer

    from magpie_export.bpe import VOCAB_SIZE

    if precision not in PRECISIONS:
        raise ExportError(f"unknown precision {precision!r} (use {', '.join(PRECISIONS)})")
    arch = model.arch.to_dict()
    if arch["vocab_size"] != VOCAB_SIZE:
        raise ExportError(
            f"text tower has a {arch['vocab_size']}-token vocabulary; "
            f"the CLIP BPE tokenizer has {VOCAB_SIZE}"
        )
    out = out.expanduser().resolve()
    if out.exists() and any(out.iterdir()):
        raise ExportError(f"{out}: folder exists and is not empty")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    report = ExportReport(out=out, arch=arch, precision=precision)
    try:
        visual, text = _wrappers(model)
        resolution, context = arch["image_resolution"], arch["context_length"]
        visual_path = staging / "visual" / "model.onnx"
        text_path = staging / "textual" / "model.onnx"
        say(f"exporting the image tower ({resolution}x{resolution})")
        _export_graph(
            visual,
            torch.zeros(1, 3, resolution, resolution),
            visual_path,
            "image",
            "image_embedding",
            {0: "batch"},
        )
        say("exporting the text tower")
        example = torch.zeros(2, context, dtype=torch.int32)
        example[:, 0], example[:, 1] = 49406, 49407
        _export_graph(
            text, example, text_path, "text", "text_embedding", {0: "batch", 1: "sequence"}
        )
        _write_configs(staging, arch, precision, source, random_init)

        # Check against PyTorch: random images, varied texts (short, non-Latin, emoji, too long)
        generator = torch.Generator().manual_seed(0)
        images = torch.randn(3, 3, resolution, resolution, generator=generator)
        tokenizer = Tokenizer.from_file(str(staging / "textual" / "tokenizer.json"))
        tokenizer.enable_truncation(context)
        ids = np.full((len(VERIFY_TEXTS), context), 49407, dtype=np.int32)
        for row, encoding in enumerate(tokenizer.encode_batch(VERIFY_TEXTS)):
            ids[row, : len(encoding.ids)] = encoding.ids
        with torch.no_grad():
            want_image = visual(images).numpy()
            want_text = text(torch.from_numpy(ids)).numpy()

        def check(label: str) -> tuple[float, float]:
            got_image = _session(visual_path).run(None, {"image": images.numpy()})[0]
            text_session = _session(text_path)
            got_text = text_session.run(None, {"text": ids})[0]
            return float(_cosines(got_image, want_image).min()), float(
                _cosines(got_text, want_text).min()
            )

        report.fp32_visual_cosine, report.fp32_text_cosine = check("fp32")
        # causal attention: the sentence vector cannot depend on padding after end-of-text
        short = _session(text_path).run(None, {"text": ids[:1, :7]})[0]
        full = _session(text_path).run(None, {"text": ids[:1]})[0]
        report.short_vs_full_max_diff = float(np.abs(short - full).max())
        worst = min(report.fp32_visual_cosine, report.fp32_text_cosine)
        if worst < FP32_MIN_COSINE:
            raise ExportError(
                f"exported graphs disagree with PyTorch (cosine {worst:.6f} < {FP32_MIN_COSINE})"
            )
        say(
            f"fp32 graphs match PyTorch: image cosine {report.fp32_visual_cosine:.6f}, "
            f"text cosine {report.fp32_text_cosine:.6f} (>= {FP32_MIN_COSINE})"
        )
        if precision != "fp32":
            convert = _to_fp16 if precision == "fp16" else _to_int8
            for path in (visual_path, text_path):
                say(f"converting {path.parent.name} graph to {precision}")
                convert(path)
            report.visual_cosine, report.text_cosine = check(precision)
            say(
                f"{precision} graphs vs PyTorch fp32: image cosine {report.visual_cosine:.4f}, "
                f"text cosine {report.text_cosine:.4f}"
            )
        else:
            report.visual_cosine, report.text_cosine = (
                report.fp32_visual_cosine,
                report.fp32_text_cosine,
            )
        if out.exists():
            out.rmdir()  # empty, checked above
        staging.chmod(0o755)
        staging.replace(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    say(f"pack written to {out}")
    return report


def export_checkpoint(
    checkpoint: Path, out: Path, precision: str = "fp32", say: Callable[[str], None] = log.info
) -> ExportReport:
    from magpie_export.clip_arch import build_from_state_dict

    say(f"reading {checkpoint}")
    try:
        model = build_from_state_dict(load_checkpoint(checkpoint))
    except (ValueError, KeyError) as exc:
        raise ExportError(f"{checkpoint}: {exc}") from None
    return export_model(model, out, precision, source=checkpoint.name, say=say)


def export_random(
    arch_name: str,
    out: Path,
    precision: str = "fp32",
    seed: int = 0,
    say: Callable[[str], None] = log.info,
) -> ExportReport:
    import torch

    from magpie_export.clip_arch import CLIP, named_arch

    try:
        arch = named_arch(arch_name)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    torch.manual_seed(seed)
    model = CLIP(arch).eval()
    return export_model(
        model, out, precision, source=f"random-init {arch_name}", random_init=True, say=say
    )
