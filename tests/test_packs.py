"""Pack loading and validation: every broken pack gets one clear message naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from magpie.core.encoders import ClipModel, ImageEncoder, TextEncoder
from magpie.core.errors import PackError
from magpie.core.packs import load_pack
from onnx import TensorProto

from tests.helpers import packs


def test_valid_pack_loads(colour_pack: Path):
    pack = load_pack(colour_pack)
    assert pack.embed_dim == 8
    assert pack.context_length == 8
    assert (pack.preprocess.height, pack.preprocess.width) == (16, 16)
    assert pack.preprocess.resize_mode == "shortest"
    assert pack.pad_token == "[PAD]"
    assert pack.name == "colour-pack"


def test_missing_folder(tmp_path: Path):
    with pytest.raises(PackError, match="model pack folder does not exist"):
        load_pack(tmp_path / "nope")


@pytest.mark.parametrize(
    "relative",
    [
        "config.json",
        "visual/model.onnx",
        "visual/preprocess_cfg.json",
        "textual/model.onnx",
        "textual/tokenizer.json",
        "textual/tokenizer_config.json",
    ],
)
def test_missing_file_is_named(colour_pack: Path, relative: str):
    (colour_pack / relative).unlink()
    with pytest.raises(PackError) as err:
        load_pack(colour_pack)
    assert str(colour_pack / relative) in str(err.value)
    assert "missing" in str(err.value)


def test_unreadable_json_is_named(colour_pack: Path):
    (colour_pack / "config.json").write_text("{not json")
    with pytest.raises(PackError, match=r"config\.json: not valid JSON"):
        load_pack(colour_pack)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"size": "big"}, "'size' must be a positive integer"),
        ({"size": [0, 224]}, "'size' must be a positive integer"),
        ({"mean": [0.5, 0.5]}, "'mean' must be a list of 3 numbers"),
        ({"std": [1.0, 0.0, 1.0]}, "'std' must not contain 0"),
        ({"resize_mode": "stretch"}, "unsupported 'resize_mode'"),
        ({"interpolation": "magic"}, "unsupported 'interpolation'"),
    ],
)
def test_bad_preprocess_config(colour_pack: Path, patch: dict, message: str):
    path = colour_pack / "visual" / "preprocess_cfg.json"
    cfg = json.loads(path.read_text())
    cfg.update(patch)
    path.write_text(json.dumps(cfg))
    with pytest.raises(PackError, match=message) as err:
        load_pack(colour_pack)
    assert "preprocess_cfg.json" in str(err.value)


def test_size_as_single_int(colour_pack: Path):
    path = colour_pack / "visual" / "preprocess_cfg.json"
    cfg = json.loads(path.read_text())
    cfg["size"] = 16
    path.write_text(json.dumps(cfg))
    assert load_pack(colour_pack).preprocess.height == 16


def test_bad_embed_dim(colour_pack: Path):
    (colour_pack / "config.json").write_text(json.dumps({"embed_dim": "512"}))
    with pytest.raises(PackError, match="'embed_dim' must be a positive integer"):
        load_pack(colour_pack)


def test_missing_pad_token(colour_pack: Path):
    (colour_pack / "textual" / "tokenizer_config.json").write_text("{}")
    with pytest.raises(PackError, match="'pad_token'"):
        load_pack(colour_pack)


def test_pad_token_not_in_vocabulary(colour_pack: Path):
    (colour_pack / "textual" / "tokenizer_config.json").write_text(
        json.dumps({"pad_token": "<pad>"})
    )
    with pytest.raises(PackError, match="pad token '<pad>' is not in the vocabulary"):
        _ = ClipModel.from_path(colour_pack, "cpu").text


def test_onnx_that_will_not_load(colour_pack: Path):
    (colour_pack / "visual" / "model.onnx").write_bytes(b"this is not a protobuf" * 10)
    with pytest.raises(PackError, match="ONNX graph will not load") as err:
        ImageEncoder(load_pack(colour_pack))
    assert str(colour_pack / "visual" / "model.onnx") in str(err.value)


def test_empty_onnx_file(colour_pack: Path):
    (colour_pack / "textual" / "model.onnx").write_bytes(b"")
    with pytest.raises(PackError, match=r"textual/model\.onnx: ONNX file is empty"):
        load_pack(colour_pack)


def test_broken_tokenizer_json(colour_pack: Path):
    (colour_pack / "textual" / "tokenizer.json").write_text('{"version": "1.0"}')
    with pytest.raises(PackError, match=r"tokenizer\.json: not a usable tokenizer\.json"):
        TextEncoder(load_pack(colour_pack))


def test_visual_input_size_disagrees_with_preprocess(colour_pack: Path):
    packs._save(packs.visual_graph(8, 32), colour_pack / "visual" / "model.onnx")
    with pytest.raises(PackError, match=r"preprocess_cfg\.json gives 3x16x16"):
        ImageEncoder(load_pack(colour_pack))


def test_visual_output_dim_disagrees_with_config(colour_pack: Path):
    packs._save(packs.visual_graph(12, 16), colour_pack / "visual" / "model.onnx")
    with pytest.raises(
        PackError, match=r"output has 12 dimensions but config\.json says embed_dim 8"
    ):
        ImageEncoder(load_pack(colour_pack))


def test_results_of_the_wrong_width_are_refused(colour_pack: Path):
    """The safety net for graphs that declare no output width: the first result is checked."""
    from magpie.core.encoders import _check_result

    with pytest.raises(PackError, match=r"produced vectors of shape \[1, 12\]"):
        _check_result(colour_pack / "visual/model.onnx", np.ones((1, 12), np.float32), 8)
    with pytest.raises(PackError, match="non-finite"):
        _check_result(colour_pack / "visual/model.onnx", np.full((1, 8), np.nan, np.float32), 8)


def test_unknown_text_inputs(colour_pack: Path):
    graph = packs.textual_graph(8)
    graph.graph.input[0].name = "tokens"
    graph.graph.node[0].input[1] = "tokens"
    packs._save(graph, colour_pack / "textual" / "model.onnx")
    with pytest.raises(
        PackError, match=r"text inputs must be 'text', or 'input_ids' and 'attention_mask'"
    ):
        TextEncoder(load_pack(colour_pack))


def test_float_text_input_refused(tmp_path: Path):
    pack = packs.make_colour_pack(tmp_path / "p")
    graph = packs.textual_graph(8, int_type=TensorProto.INT32)
    graph.graph.input[0].type.tensor_type.elem_type = TensorProto.FLOAT
    # keep the graph valid: Gather needs integer indices, so cast first
    graph.graph.node.insert(
        0, __import__("onnx").helper.make_node("Cast", ["text"], ["text_i"], to=TensorProto.INT64)
    )
    graph.graph.node[1].input[1] = "text_i"
    packs._save(graph, pack / "textual" / "model.onnx")
    with pytest.raises(PackError, match="must be int32 or int64"):
        TextEncoder(load_pack(pack))
