"""Tiny packs shaped like each model family Immich ships, and Immich's conventions re-stated.

Each family pack has what Immich's export of that family has: the graphs' input names, integer
types and static shapes ([1, 3, S, S] "image"; [1, L] int32 "text", or M-CLIP's "input_ids" +
"attention_mask"), the config.json keys Immich's loader reads, preprocess_cfg.json, and a
tokenizer.json of the family's kind (CLIP byte-level BPE, T5/XLM-R sentencepiece unigram,
Gemma byte-fallback BPE, NLLB with FLORES-200 language tokens) trained here on a tiny corpus.

The graphs are position-sensitive random projections: the text vector depends on every id at
every position (padding included) and on the mask; the image vector on every pixel. Equal
vectors therefore mean equal inputs.

`immich_feeds` and `immich_image_tensor` restate, independently of Magpie, what Immich's
machine-learning service does with a query and a photo (immich_ml/models/clip/textual.py,
visual.py, transforms.py): they are the references the family tests compare against.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image
from tokenizers import (
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_STD = [0.26862954, 0.26130258, 0.27577711]
HALF = [0.5, 0.5, 0.5]
DIM = 8
FLORES = ["eng_Latn", "deu_Latn", "fra_Latn", "jpn_Hira", "zho_Hans", "por_Latn"]
CORPUS = [
    "a dog on a bench",
    "a photo of a cat",
    "two dogs playing in the snow",
    "sunset over the ocean with boats",
    "ein Hund auf einer Bank",
    "une photo d'un chat",
    "Straße in München",
    "the quick brown fox jumps over the lazy dog",
    "red car blue sky green grass yellow sun",
    "東京タワーの夜景",
    "dog's bone & cat's toy",
    *(string.ascii_letters + string.digits + string.punctuation),
]


@dataclass(frozen=True)
class Family:
    name: str  # the pack name as Immich publishes it (Immich tells NLLB apart by it)
    tokenizer: str  # clip_bpe | t5_unigram | gemma_bpe | xlmr_unigram | nllb
    image_size: int
    context: int = 77
    text_inputs: tuple[str, ...] = ("text",)
    mean: list[float] = field(default_factory=lambda: OPENAI_MEAN)
    std: list[float] = field(default_factory=lambda: OPENAI_STD)
    resize_mode: str = "shortest"
    text_cfg: dict[str, Any] = field(default_factory=dict)
    pad_token: str = "<|endoftext|>"


SIGLIP_TEXT = {
    "no_causal_mask": True,
    "pool_type": "last",
    "tokenizer_kwargs": {"clean": "canonicalize"},
}

FAMILIES = [
    Family("ViT-B-32__openai", "clip_bpe", 224),
    Family("RN50x4__openai", "clip_bpe", 288),
    Family("ViT-B-16-plus-240__laion400m_e32", "clip_bpe", 240),
    Family("ViT-L-14-quickgelu__dfn2b", "clip_bpe", 224),
    Family("ViT-H-14-378-quickgelu__dfn5b", "clip_bpe", 378),
    Family(
        "ViT-B-16-SigLIP__webli",
        "t5_unigram",
        224,
        context=64,
        mean=HALF,
        std=HALF,
        resize_mode="squash",
        text_cfg={**SIGLIP_TEXT, "hf_tokenizer_name": "timm/ViT-B-16-SigLIP"},
        pad_token="</s>",
    ),
    Family(
        "ViT-SO400M-16-SigLIP2-384__webli",
        "gemma_bpe",
        384,
        context=64,
        mean=HALF,
        std=HALF,
        resize_mode="squash",
        text_cfg={**SIGLIP_TEXT, "hf_tokenizer_name": "timm/ViT-SO400M-16-SigLIP2-384"},
        pad_token="<pad>",
    ),
    Family(
        "XLM-Roberta-Large-Vit-B-32",  # M-CLIP
        "xlmr_unigram",
        224,
        text_inputs=("input_ids", "attention_mask"),
        pad_token="<pad>",
    ),
    Family(
        "XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k",
        "xlmr_unigram",
        224,
        text_cfg={
            "hf_model_name": "xlm-roberta-base",
            "hf_tokenizer_name": "xlm-roberta-base",
            "hf_pooler_type": "mean_pooler",
        },
        pad_token="<pad>",
    ),
    Family(
        "nllb-clip-base-siglip__v1",
        "nllb",
        384,
        mean=HALF,
        std=HALF,
        resize_mode="squash",
        text_cfg={
            "hf_model_name": "facebook/nllb-200-distilled-600M",
            "hf_tokenizer_name": "facebook/nllb-200-distilled-600M",
            "hf_proj_type": "linear",
            "hf_pooler_type": "cls_pooler",
        },
        pad_token="<pad>",
    ),
]


# --- tokenizers ------------------------------------------------------------------------------


def _unigram(specials: list[str], post: str) -> Tokenizer:
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    unk = "<unk>"
    trainer = trainers.UnigramTrainer(
        vocab_size=300, special_tokens=specials, unk_token=unk, shrinking_factor=0.9
    )
    tok.train_from_iterator(CORPUS * 3, trainer)
    parts = post.split()
    tok.post_processor = processors.TemplateProcessing(
        single=post,
        pair=f"{post} $B {parts[-1]}",
        special_tokens=[(t, tok.token_to_id(t)) for t in parts if t not in ("$A", "$B")],
    )
    return tok


def _gemma() -> Tokenizer:
    tok = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    tok.normalizer = normalizers.Replace(" ", "▁")
    tok.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
    )
    specials = ["<pad>", "<eos>", "<bos>", "<unk>"]
    bytes_ = [f"<0x{b:02X}>" for b in range(256)]
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=specials + bytes_, initial_alphabet=["▁"]
    )
    tok.train_from_iterator([t.replace(" ", "▁") for t in CORPUS * 3], trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>",
        special_tokens=[("<bos>", tok.token_to_id("<bos>")), ("<eos>", tok.token_to_id("<eos>"))],
    )
    return tok


def build_tokenizer(kind: str) -> Tokenizer:
    if kind == "clip_bpe":
        from magpie_export.bpe import build_clip_tokenizer

        return build_clip_tokenizer()
    if kind == "t5_unigram":
        return _unigram(["<pad>", "</s>", "<unk>"], "$A </s>")
    if kind == "gemma_bpe":
        return _gemma()
    if kind == "xlmr_unigram":
        return _unigram(["<s>", "<pad>", "</s>", "<unk>"], "<s> $A </s>")
    if kind == "nllb":
        tok = _unigram(["<s>", "<pad>", "</s>", "<unk>", *FLORES], "eng_Latn $A </s>")
        return tok
    raise ValueError(kind)


# --- graphs ----------------------------------------------------------------------------------


def _model(graph: onnx.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def visual_graph(size: int, path: Path, seed: int = 1) -> None:
    """[1, 3, S, S] float "image" -> [1, D]: every pixel weighted by a random mask."""
    rng = np.random.default_rng(seed)
    weights = numpy_helper.from_array(rng.standard_normal((3, size, size)).astype(np.float32), "w")
    proj = numpy_helper.from_array(rng.standard_normal((3, DIM)).astype(np.float32), "proj")
    nodes = [
        helper.make_node("Mul", ["image", "w"], ["weighted"]),
        helper.make_node("ReduceMean", ["weighted"], ["pooled"], axes=[2, 3], keepdims=0),
        helper.make_node("MatMul", ["pooled", "proj"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes,
        "family-visual",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, DIM])],
        [weights, proj],
    )
    _model(graph, path)


def textual_graph(
    vocab: int,
    length: int,
    inputs: tuple[str, ...],
    path: Path,
    seed: int = 2,
    batch: int | str = 1,
    seq: int | str | None = None,
) -> None:
    """ids -> sum over positions of table[id] * position weight (+ mask @ random, for M-CLIP).

    Static [1, L] int32 inputs by default, as Immich exports; batch/seq make them dynamic.
    """
    rng = np.random.default_rng(seed)
    seq = length if seq is None else seq
    inits = [
        numpy_helper.from_array(rng.standard_normal((vocab, DIM)).astype(np.float32), "table"),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, (length, 1)).astype(np.float32), "position"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    ids = inputs[0]
    nodes = [
        helper.make_node("Gather", ["table", ids], ["rows"], axis=0),
        helper.make_node("Mul", ["rows", "position"], ["placed"]),
        helper.make_node("ReduceSum", ["placed", "axis1"], ["summed"], keepdims=0),
    ]
    out = "summed"
    if len(inputs) == 2:
        inits.append(
            numpy_helper.from_array(rng.standard_normal((length, DIM)).astype(np.float32), "mw")
        )
        nodes += [
            helper.make_node("Cast", [inputs[1]], ["maskf"], to=TensorProto.FLOAT),
            helper.make_node("MatMul", ["maskf", "mw"], ["masked"]),
            helper.make_node("Add", ["summed", "masked"], ["with_mask"]),
        ]
        out = "with_mask"
    nodes.append(helper.make_node("Identity", [out], ["embedding"]))
    graph = helper.make_graph(
        nodes,
        "family-textual",
        [helper.make_tensor_value_info(n, TensorProto.INT32, [batch, seq]) for n in inputs],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [batch, DIM])],
        inits,
    )
    _model(graph, path)


def make_family_pack(root: Path, family: Family, **textual: Any) -> Path:
    """Write the family's pack at root/<family.name>."""
    pack = root / family.name
    tokenizer = build_tokenizer(family.tokenizer)
    (pack / "textual").mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(pack / "textual" / "tokenizer.json"))
    (pack / "textual" / "tokenizer_config.json").write_text(
        json.dumps({"pad_token": family.pad_token, "model_max_length": family.context})
    )
    text_cfg = {"context_length": family.context, "vocab_size": tokenizer.get_vocab_size()}
    text_cfg.update(family.text_cfg)
    if family.text_inputs != ("text",):  # M-CLIP: the visual tower's open_clip config
        text_cfg = {"context_length": 77, "vocab_size": 49408, "width": 512}
    config = {
        "embed_dim": DIM,
        "vision_cfg": {"image_size": family.image_size, "layers": 12, "width": 768},
        "text_cfg": text_cfg,
    }
    (pack / "config.json").write_text(json.dumps(config))
    (pack / "visual").mkdir(parents=True, exist_ok=True)
    (pack / "visual" / "preprocess_cfg.json").write_text(
        json.dumps(
            {
                "size": [family.image_size, family.image_size],
                "mode": "RGB",
                "mean": family.mean,
                "std": family.std,
                "interpolation": "bicubic",
                "resize_mode": family.resize_mode,
                "fill_color": 0,
            }
        )
    )
    visual_graph(family.image_size, pack / "visual" / "model.onnx")
    textual_graph(
        tokenizer.get_vocab_size(),
        family.context,
        family.text_inputs,
        pack / "textual" / "model.onnx",
        **textual,
    )
    return pack


# --- Immich's behaviour, restated --------------------------------------------------------------

_PUNCTUATION = str.maketrans("", "", string.punctuation)
MCLIP_MODELS = {
    "LABSE-Vit-L-14",
    "XLM-Roberta-Large-Vit-B-16Plus",
    "XLM-Roberta-Large-Vit-B-32",
    "XLM-Roberta-Large-Vit-L-14",
}
IMMICH_LANGUAGES = {"de": "deu_Latn", "fr": "fra_Latn", "ja": "jpn_Hira", "en": "eng_Latn"}


def immich_feeds(pack: Path, text: str, language: str | None = None) -> dict[str, np.ndarray]:
    """The inputs Immich's textual encoder gives the graph for one query."""
    config = json.loads((pack / "config.json").read_text())
    text_cfg = config["text_cfg"]
    pad = json.loads((pack / "textual" / "tokenizer_config.json").read_text())["pad_token"]
    tok = Tokenizer.from_file(str(pack / "textual" / "tokenizer.json"))
    context = text_cfg.get("context_length", 77)
    tok.enable_padding(length=context, pad_token=pad, pad_id=tok.token_to_id(pad))
    tok.enable_truncation(max_length=context)
    text = " ".join(text.split())
    if (text_cfg.get("tokenizer_kwargs") or {}).get("clean") == "canonicalize":
        text = text.translate(_PUNCTUATION).lower()
    mclip = pack.name in MCLIP_MODELS
    if pack.name.startswith("nllb") and language is not None and not mclip:
        code = IMMICH_LANGUAGES.get(language) or IMMICH_LANGUAGES.get(language.split("-")[0])
        text = f"{code or 'eng_Latn'}{text}"
    encoding = tok.encode(text)
    if mclip:
        return {
            "input_ids": np.array([encoding.ids], np.int32),
            "attention_mask": np.array([encoding.attention_mask], np.int32),
        }
    return {"text": np.array([encoding.ids], np.int32)}


def immich_image_tensor(image: Image.Image, pack: Path) -> np.ndarray:
    """[1, 3, S, S] as Immich makes it: int() for the long side and the crop, then normalise."""
    cfg = json.loads((pack / "visual" / "preprocess_cfg.json").read_text())
    size = cfg["size"][0] if isinstance(cfg["size"], list) else cfg["size"]
    image = image.convert("RGB")
    if cfg.get("resize_mode", "shortest") == "squash":
        image = image.resize((size, size), Image.Resampling.BICUBIC)
    else:
        w, h = image.size
        new = (size, int(h / w * size)) if w < h else (int(w / h * size), size)
        image = image.resize(new, Image.Resampling.BICUBIC)
        left = int(image.size[0] / 2 - size / 2)
        top = int(image.size[1] / 2 - size / 2)
        image = image.crop((left, top, left + size, top + size))
    pixels = np.asarray(image, np.float32) / 255.0
    mean, std = np.array(cfg["mean"], np.float32), np.array(cfg["std"], np.float32)
    return ((pixels - mean) / std).transpose(2, 0, 1)[None]
