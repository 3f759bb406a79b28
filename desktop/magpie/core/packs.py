"""Model packs: a folder in the layout of DESIGN.md (compatible with Immich's CLIP packs).

Loading a pack reads and checks its JSON files and that its graphs exist; the graphs
themselves are opened by the encoders (magpie.core.encoders), which check their shapes.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from magpie.core.errors import PackError

ResizeMode = Literal["shortest", "squash"]
Arithmetic = Literal["immich", "torchvision"]
RESIZE_MODES: tuple[ResizeMode, ...] = ("shortest", "squash")
INTERPOLATIONS = ("bicubic", "bilinear", "nearest", "lanczos")

CONFIG_FILE = "config.json"
VISUAL_MODEL = "visual/model.onnx"
PREPROCESS_CFG = "visual/preprocess_cfg.json"
TEXTUAL_MODEL = "textual/model.onnx"
TOKENIZER_FILE = "textual/tokenizer.json"
TOKENIZER_CFG = "textual/tokenizer_config.json"
REQUIRED_FILES = (
    CONFIG_FILE,
    VISUAL_MODEL,
    PREPROCESS_CFG,
    TEXTUAL_MODEL,
    TOKENIZER_FILE,
    TOKENIZER_CFG,
)
GRAPH_FILES = (VISUAL_MODEL, TEXTUAL_MODEL)
# config.json key our export tool writes; its presence means OpenAI's tokenizer conventions
MAGPIE_EXPORT_KEY = "magpie"
TextClean = Literal["openai", "immich"]


@dataclass(frozen=True)
class PreprocessConfig:
    """How an image becomes the visual graph's input tensor."""

    height: int
    width: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str = "bicubic"
    resize_mode: ResizeMode = "shortest"
    # whose resize arithmetic the pack was made with (see imaging.shortest_geometry)
    arithmetic: Arithmetic = "immich"


@dataclass(frozen=True)
class ModelPack:
    """A checked model pack folder."""

    path: Path
    name: str
    embed_dim: int
    context_length: int
    preprocess: PreprocessConfig
    pad_token: str
    config: dict[str, Any]

    @property
    def visual_model(self) -> Path:
        return self.path / VISUAL_MODEL

    @property
    def textual_model(self) -> Path:
        return self.path / TEXTUAL_MODEL

    @property
    def tokenizer_file(self) -> Path:
        return self.path / TOKENIZER_FILE

    @property
    def text_cfg(self) -> dict[str, Any]:
        text_cfg = self.config.get("text_cfg")
        return text_cfg if isinstance(text_cfg, dict) else {}

    @property
    def canonicalize_text(self) -> bool:
        """Immich's packs ask for punctuation-free lower-case text with this flag (SigLIP)."""
        kwargs = self.text_cfg.get("tokenizer_kwargs") or {}
        return isinstance(kwargs, dict) and kwargs.get("clean") == "canonicalize"

    @property
    def text_clean(self) -> TextClean:
        """Whose clean-up the text gets before tokenizing: OpenAI's (ftfy, HTML entities) for
        Magpie's exports, whose tokenizer is OpenAI's BPE; Immich's (whitespace only) for every
        other pack, as they are Immich's or follow its layout."""
        return "openai" if MAGPIE_EXPORT_KEY in self.config else "immich"

    @property
    def hf_text_model(self) -> str:
        """The Hugging Face text model or tokenizer behind the text tower ("" for CLIP's own)."""
        cfg = self.text_cfg
        return str(cfg.get("hf_tokenizer_name") or cfg.get("hf_model_name") or "")

    @property
    def needs_language_code(self) -> bool:
        """NLLB-CLIP: the query starts with a FLORES-200 code (Immich tests the name; a pack
        imported under another name is still known by its tokenizer)."""
        return self.name.lower().startswith("nllb") or "nllb" in self.hf_text_model.lower()

    @property
    def causal_text(self) -> bool:
        """Whether the text tower ignores what follows the real tokens (CLIP's causal mask), so
        a short query may run without padding. SigLIP, XLM-Roberta, NLLB and M-CLIP towers
        attend to every position: they are fed exactly as exported, padded."""
        cfg = self.text_cfg
        if MAGPIE_EXPORT_KEY in self.config:
            return True
        return not (
            self.hf_text_model
            or cfg.get("no_causal_mask")
            or cfg.get("pool_type") not in (None, "argmax")
        )


def _read_json(pack_dir: Path, relative: str) -> dict[str, Any]:
    path = pack_dir / relative
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackError(f"{path}: file is missing from the model pack") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"{path}: cannot read file ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PackError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PackError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def _positive_int(value: object, path: Path, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PackError(f"{path}: '{field}' must be a positive integer, found {value!r}")
    return value


def _triple(value: object, path: Path, field: str) -> tuple[float, float, float]:
    ok = isinstance(value, list) and len(value) == 3
    ok = ok and all(isinstance(v, (int, float)) and math.isfinite(v) for v in value)
    if not ok:
        raise PackError(f"{path}: '{field}' must be a list of 3 numbers, found {value!r}")
    return (float(value[0]), float(value[1]), float(value[2]))


def parse_preprocess(data: dict[str, Any], path: Path) -> PreprocessConfig:
    """Validate a preprocess_cfg.json document ("size" may be N or [H, W])."""
    size = data.get("size")
    if isinstance(size, list) and len(size) == 2:
        height = _positive_int(size[0], path, "size")
        width = _positive_int(size[1], path, "size")
    elif isinstance(size, list) and len(size) == 1:
        height = width = _positive_int(size[0], path, "size")
    else:
        height = width = _positive_int(size, path, "size")
    mean = _triple(data.get("mean"), path, "mean")
    std = _triple(data.get("std"), path, "std")
    if any(s == 0 for s in std):
        raise PackError(f"{path}: 'std' must not contain 0")
    interpolation = str(data.get("interpolation", "bicubic")).lower()
    if interpolation not in INTERPOLATIONS:
        raise PackError(
            f"{path}: unsupported 'interpolation' {interpolation!r} "
            f"(expected one of {', '.join(INTERPOLATIONS)})"
        )
    resize_mode = data.get("resize_mode", "shortest")
    if resize_mode not in RESIZE_MODES:
        raise PackError(
            f"{path}: unsupported 'resize_mode' {resize_mode!r} (expected 'shortest' or 'squash')"
        )
    return PreprocessConfig(height, width, mean, std, interpolation, resize_mode)


def _not_a_pack(folder: Path) -> str:
    """Say what a pack folder looks like, and point at one just below when there is one."""
    try:
        inside = sorted(p.name for p in folder.iterdir() if (p / CONFIG_FILE).is_file())
    except OSError:  # unreadable: the message alone says enough
        inside = []
    hint = f" The pack seems to be inside it: choose {folder / inside[0]}." if inside else ""
    return (
        f"{folder} is not a model pack. A pack is a folder holding {CONFIG_FILE}, "
        f"{VISUAL_MODEL} and {TEXTUAL_MODEL} with their tokenizer and settings (the layout "
        f"Immich publishes its CLIP models in).{hint}"
    )


def load_pack(path: str | Path, name: str | None = None) -> ModelPack:
    """Read and check a pack folder; raise PackError naming the file at fault."""
    pack_dir = Path(path).expanduser()
    if not pack_dir.is_dir():
        raise PackError(f"{pack_dir}: model pack folder does not exist")
    if not any((pack_dir / relative).is_file() for relative in REQUIRED_FILES):
        raise PackError(_not_a_pack(pack_dir))
    for relative in REQUIRED_FILES:
        file = pack_dir / relative
        if not file.is_file():
            raise PackError(f"{file}: file is missing from the model pack")
        if file.suffix == ".onnx" and file.stat().st_size == 0:
            raise PackError(f"{file}: ONNX file is empty")

    config = _read_json(pack_dir, CONFIG_FILE)
    config_path = pack_dir / CONFIG_FILE
    embed_dim = _positive_int(config.get("embed_dim"), config_path, "embed_dim")
    text_cfg = config.get("text_cfg", {})
    if not isinstance(text_cfg, dict):
        raise PackError(f"{config_path}: 'text_cfg' must be an object")
    context_length = _positive_int(
        text_cfg.get("context_length", 77), config_path, "text_cfg.context_length"
    )

    preprocess = parse_preprocess(_read_json(pack_dir, PREPROCESS_CFG), pack_dir / PREPROCESS_CFG)
    if MAGPIE_EXPORT_KEY in config:  # made from PyTorch by Magpie: torchvision's arithmetic
        preprocess = dataclasses.replace(preprocess, arithmetic="torchvision")

    tokenizer_cfg = _read_json(pack_dir, TOKENIZER_CFG)
    pad_token = tokenizer_cfg.get("pad_token")
    if isinstance(pad_token, dict):  # transformers' AddedToken form {"content": ...}
        pad_token = pad_token.get("content")
    if not isinstance(pad_token, str) or not pad_token:
        raise PackError(f"{pack_dir / TOKENIZER_CFG}: 'pad_token' must be a non-empty string")

    return ModelPack(
        path=pack_dir.resolve(),
        name=name or pack_dir.resolve().name,
        embed_dim=embed_dim,
        context_length=context_length,
        preprocess=preprocess,
        pad_token=pad_token,
        config=config,
    )


def _tensors_of_nodes(nodes: Iterable[Any]) -> Iterator[Any]:
    for node in nodes:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("g"):
                yield from _tensors_of_graph(attribute.g)
            for subgraph in attribute.graphs:
                yield from _tensors_of_graph(subgraph)


def _tensors_of_graph(graph: Any) -> Iterator[Any]:
    """Every TensorProto a graph holds: initializers, constants, and those of its subgraphs."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    yield from _tensors_of_nodes(graph.node)


def external_data_files(model_file: Path) -> list[str]:
    """Files beside an ONNX graph that hold its weights (external data), relative to it.

    Towers over 2 GiB (protobuf's limit) keep their tensors in separate files: one per tensor
    as torch.onnx writes them, or one `model.onnx_data`. A location that leaves the graph's
    folder is refused: a pack never reads or installs anything outside itself.
    """
    import onnx

    try:
        model = onnx.load(str(model_file), load_external_data=False)
    except Exception as exc:  # protobuf raises DecodeError, onnx its own types
        raise PackError(f"{model_file}: ONNX graph will not load ({exc})") from None
    folder = model_file.parent.resolve()
    found: dict[str, None] = {}  # ordered set
    tensors = itertools.chain(
        _tensors_of_graph(model.graph),
        *(_tensors_of_nodes(function.node) for function in model.functions),
    )
    for tensor in tensors:
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        relative = PurePosixPath(location.replace("\\", "/"))
        inside = (folder / relative).resolve()
        if not location or relative.is_absolute() or folder not in inside.parents:
            raise PackError(
                f"{model_file}: tensor {tensor.name!r} points at {location!r}, outside the "
                "model pack; refused"
            )
        found[inside.relative_to(folder).as_posix()] = None
    return list(found)


def pack_files(pack_dir: Path) -> list[str]:
    """Every file a working pack needs, relative to it: the six of the layout and the
    external data files its two graphs reference (nothing else in the folder)."""
    files = list(REQUIRED_FILES)
    for graph in GRAPH_FILES:
        folder = PurePosixPath(graph).parent
        files += [(folder / name).as_posix() for name in external_data_files(pack_dir / graph)]
    return files


def check_pack_files(pack_dir: Path) -> list[str]:
    """pack_files(), raising PackError naming the first one that is missing."""
    files = pack_files(pack_dir)
    for relative in files:
        if not (pack_dir / relative).is_file():
            raise PackError(
                f"{pack_dir / relative}: file is missing from the model pack "
                "(the graph keeps its weights there)"
            )
    return files
