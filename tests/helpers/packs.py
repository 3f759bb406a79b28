"""Tiny model packs with known behaviour, built with the onnx helper API in milliseconds.

The colour pack: the image tower maps an image's mean colour to a vector, and the text tower
maps colour words to the same vectors, so "red" must find the red photos.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 200, 40),
    "blue": (30, 40, 210),
    "yellow": (230, 220, 40),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
}
FILLER_WORDS = ["a", "an", "the", "photo", "of", "car", "sky", "dog", "on", "bench"]
OPSET = 17


def projection(dim: int, seed: int = 7) -> np.ndarray:
    """A fixed [3, dim] matrix with orthonormal rows: colour offsets keep their geometry."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((dim, 3)))
    return q.T.astype(np.float32)


def colour_vector(rgb: tuple[int, int, int], dim: int) -> np.ndarray:
    centred = np.asarray(rgb, np.float32) / 255.0 - 0.5
    v = centred @ projection(dim)
    return v / np.linalg.norm(v)


def _save(model: onnx.ModelProto, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    model.opset_import[0].version = OPSET
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def visual_graph(
    dim: int,
    size: int,
    batch: int | str = "batch",
    input_name: str = "image",
    top_left_only: bool = False,
) -> onnx.ModelProto:
    """Mean colour -> vector; with top_left_only, of the top-left quarter (orientation-aware)."""
    image = helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [batch, 3, size, size])
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [batch, dim])
    inits = [
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        numpy_helper.from_array(projection(dim), "proj"),
    ]
    nodes = []
    source = input_name
    if top_left_only:
        inits += [
            numpy_helper.from_array(np.array([0, 0], np.int64), "starts"),
            numpy_helper.from_array(np.array([size // 2, size // 2], np.int64), "ends"),
            numpy_helper.from_array(np.array([2, 3], np.int64), "slice_axes"),
        ]
        nodes.append(
            helper.make_node("Slice", [input_name, "starts", "ends", "slice_axes"], ["corner"])
        )
        source = "corner"
    nodes += [
        helper.make_node("ReduceMean", [source], ["mean"], axes=[2, 3], keepdims=0),
        helper.make_node("Sub", ["mean", "half"], ["centred"]),
        helper.make_node("MatMul", ["centred", "proj"], ["embedding"]),
    ]
    return helper.make_model(helper.make_graph(nodes, "colour-visual", [image], [out], inits))


def vocabulary() -> list[str]:
    return ["[PAD]", "[UNK]", *COLOURS, *FILLER_WORDS]


def text_table(dim: int) -> np.ndarray:
    vocab = vocabulary()
    table = np.zeros((len(vocab), dim), np.float32)
    for name, rgb in COLOURS.items():
        table[vocab.index(name)] = colour_vector(rgb, dim)
    return table


def textual_graph(
    dim: int, convention: str = "text", int_type: int = TensorProto.INT64, length: int | str = "seq"
) -> onnx.ModelProto:
    """Sum of per-token colour vectors (zero for other words); masked for input_ids packs."""
    table = numpy_helper.from_array(text_table(dim), "table")
    axis = numpy_helper.from_array(np.array([1], np.int64), "axis1")
    ids_name = "text" if convention == "text" else "input_ids"
    inputs = [helper.make_tensor_value_info(ids_name, int_type, ["batch", length])]
    nodes = [helper.make_node("Gather", ["table", ids_name], ["rows"], axis=0)]
    summed_from = "rows"
    inits = [table, axis]
    if convention != "text":
        inputs.append(helper.make_tensor_value_info("attention_mask", int_type, ["batch", length]))
        inits.append(numpy_helper.from_array(np.array([2], np.int64), "axis2"))
        nodes += [
            helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
            helper.make_node("Mul", ["rows", "mask3"], ["masked"]),
        ]
        summed_from = "masked"
    nodes.append(helper.make_node("ReduceSum", [summed_from, "axis1"], ["embedding"], keepdims=0))
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", dim])
    return helper.make_model(helper.make_graph(nodes, "colour-text", inputs, [out], inits))


def word_tokenizer() -> Tokenizer:
    vocab = {word: i for i, word in enumerate(vocabulary())}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return tok


def make_colour_pack(
    root: Path,
    *,
    dim: int = 8,
    size: int = 16,
    convention: str = "text",
    int_type: int = TensorProto.INT64,
    context_length: int = 8,
    resize_mode: str = "shortest",
    text_length: int | str = "seq",
    top_left_only: bool = False,
) -> Path:
    """Write a complete colour pack at `root` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(
        json.dumps({"embed_dim": dim, "text_cfg": {"context_length": context_length}})
    )
    _save(visual_graph(dim, size, top_left_only=top_left_only), root / "visual" / "model.onnx")
    (root / "visual" / "preprocess_cfg.json").write_text(
        json.dumps(
            {
                "size": [size, size],
                "mean": [0.0, 0.0, 0.0],
                "std": [1.0, 1.0, 1.0],
                "interpolation": "bicubic",
                "resize_mode": resize_mode,
            }
        )
    )
    _save(textual_graph(dim, convention, int_type, text_length), root / "textual" / "model.onnx")
    word_tokenizer().save(str(root / "textual" / "tokenizer.json"))
    (root / "textual" / "tokenizer_config.json").write_text(json.dumps({"pad_token": "[PAD]"}))
    return root


def solid_image(path: Path, rgb: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, rgb).save(path)
    return path


# --- the grid pack: photos that carry their own embedding -------------------------------------
#
# The image tower reads a grey grid: the mean of each of GRID x GRID cells, minus 0.5, is one
# coordinate. A test writes a photo with exactly the vector it wants (grid_image), and words
# with exactly the vectors it wants (make_grid_pack's `words`), so every score is known.

GRID = 8
GRID_DIM = GRID * GRID
GRID_INPUT = 32  # the model's input: 4 x 4 pixels per cell
GRID_FILLERS = ["a", "photo", "of", "the", "zzzzqqq"]


def grid_visual_graph(size: int = GRID_INPUT, offset: np.ndarray | None = None) -> onnx.ModelProto:
    cell = size // GRID
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, size, size])
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", GRID_DIM])
    inits = [
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        numpy_helper.from_array(np.array([0, GRID_DIM], np.int64), "shape"),
    ]
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["grey"], axes=[1], keepdims=1),
        helper.make_node(
            "AveragePool", ["grey"], ["cells"], kernel_shape=[cell, cell], strides=[cell, cell]
        ),
        helper.make_node("Reshape", ["cells", "shape"], ["flat"]),
        helper.make_node("Sub", ["flat", "half"], ["centred"]),
        helper.make_node("Add", ["centred", "offset"], ["embedding"]),
    ]
    shift = np.zeros(GRID_DIM, np.float32) if offset is None else offset.astype(np.float32)
    inits.append(numpy_helper.from_array(shift, "offset"))
    return helper.make_model(helper.make_graph(nodes, "grid-visual", [image], [out], inits))


def grid_word_graph(table: np.ndarray) -> onnx.ModelProto:
    ids = helper.make_tensor_value_info("text", TensorProto.INT64, ["batch", "seq"])
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", GRID_DIM])
    nodes = [
        helper.make_node("Gather", ["table", "text"], ["rows"], axis=0),
        helper.make_node("ReduceSum", ["rows", "axis1"], ["embedding"], keepdims=0),
    ]
    inits = [
        numpy_helper.from_array(table.astype(np.float32), "table"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    return helper.make_model(helper.make_graph(nodes, "grid-text", [ids], [out], inits))


def make_grid_pack(
    root: Path, words: dict[str, np.ndarray], image_offset: np.ndarray | None = None
) -> Path:
    """A pack whose photos embed to their grey grid and whose words embed to `words`.

    image_offset is added to every image vector: like the gap between CLIP's text and image
    embeddings, it squeezes every text-image cosine into a narrow, low band (another scale).
    """
    vocab = ["[PAD]", "[UNK]", *words, *[w for w in GRID_FILLERS if w not in words]]
    table = np.zeros((len(vocab), GRID_DIM), np.float32)
    for word, vector in words.items():
        table[vocab.index(word)] = vector
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(
        json.dumps({"embed_dim": GRID_DIM, "text_cfg": {"context_length": 8}})
    )
    _save(grid_visual_graph(offset=image_offset), root / "visual" / "model.onnx")
    (root / "visual" / "preprocess_cfg.json").write_text(
        json.dumps(
            {
                "size": [GRID_INPUT, GRID_INPUT],
                "mean": [0.0, 0.0, 0.0],
                "std": [1.0, 1.0, 1.0],
                "interpolation": "bicubic",
                "resize_mode": "squash",
            }
        )
    )
    _save(grid_word_graph(table), root / "textual" / "model.onnx")
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(root / "textual" / "tokenizer.json"))
    (root / "textual" / "tokenizer_config.json").write_text(json.dumps({"pad_token": "[PAD]"}))
    return root


def grid_image(path: Path, vector: np.ndarray, cell_px: int = 8) -> Path:
    """A PNG whose grid-pack embedding points along `vector` (scaled into the grey range)."""
    from PIL import Image

    v = np.asarray(vector, np.float64)
    v = v / max(float(np.abs(v).max()), 1e-12) * 0.45  # keep every cell inside 0.05..0.95
    cells = np.clip((v.reshape(GRID, GRID) + 0.5) * 255.0, 0, 255).round().astype(np.uint8)
    pixels = np.kron(cells, np.ones((cell_px, cell_px), np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "L").convert("RGB").save(path)
    return path


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def concept_library(
    root: Path, rng: np.random.Generator, concepts: dict[str, int], background: int, noise: float
) -> tuple[dict[str, np.ndarray], dict[str, list[Path]]]:
    """`background` random photos and, per concept, that many photos near a random direction.

    Returns (concept vectors, photos per concept; "" holds the background photos).
    """
    vectors = {name: unit(rng.standard_normal(GRID_DIM)) for name in concepts}
    made: dict[str, list[Path]] = {"": []}
    numbers = iter(rng.permutation(background + sum(concepts.values()) + 1))
    # neutral names (no concept word in them): only the pixels can find a photo
    for _ in range(background):
        name = root / f"photo-{next(numbers):04d}.png"
        made[""].append(grid_image(name, rng.standard_normal(GRID_DIM)))
    for concept, count in concepts.items():
        made[concept] = []
        for _ in range(count):
            vector = vectors[concept] + noise * unit(rng.standard_normal(GRID_DIM))
            made[concept].append(grid_image(root / f"photo-{next(numbers):04d}.png", vector))
    return vectors, made
