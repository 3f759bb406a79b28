"""Tokenisation: the exported CLIP tokenizer.json against an independent BPE reference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from magpie.core.encoders import TextEncoder
from magpie.core.packs import load_pack
from magpie.core.tokenize import TextTokenizer, clean_text
from magpie_export.bpe import END_OF_TEXT, VOCAB_FILE, write_clip_tokenizer
from onnx import TensorProto

from tests.helpers import packs
from tests.helpers.reference_clip_tokenizer import ReferenceClipTokenizer

STRINGS = [
    "a photo of a cat",
    "A Dog on a Bench",
    "two dogs playing in the snow",
    "sunset over the ocean, with boats!",
    "Hello, World!! 123",
    "it's a bird... it's a plane",
    "don't you'll we've they're I'm",
    "New York City at night",
    "3.14159 is pi",
    "1999-12-31 23:59",
    "email me at someone@example.com",
    "#hashtag @mention $100 50% off",
    "C++ and Python 3.11",
    "naïve café résumé",
    "Ærøskøbing, Danmark",
    "Straße in München",
    "Ελληνικά γράμματα",
    "Русский текст про кошку",
    "中文图片搜索",
    "東京タワーの夜景",
    "한국어 사진 검색",
    "العربية صورة قطة",
    "עברית תמונה",
    "हिन्दी में फोटो",
    "ภาษาไทย",
    "Tiếng Việt có dấu",
    "emoji 🐶🐱🎉",
    "👨‍👩‍👧‍👦 family",
    "🏳️‍🌈 flag",
    "smile :-) ;-)",
    "ﬁne ligatures",
    "ｆｕｌｌｗｉｄｔｈ letters",
    "“curly quotes” and ‘single’",
    "em—dash – en-dash",
    "tabs\tand\nnewlines\r\nhere",
    "   leading and trailing spaces   ",
    "multiple     spaces",
    "&amp; &lt;html&gt; entities",
    "UPPER CASE SHOUTING",
    "MiXeD cAsE",
    "a",
    "",
    "!!!",
    "x" * 60,
    "supercalifragilisticexpialidocious",
    "The quick brown fox jumps over the lazy dog",
    "red car, blue sky; green grass: yellow sun",
    "photo_2024_01_01.jpg",
    "a very long caption " * 30,
    "façade of the Louvre, Paris — 1989",
    "mojibake: cafÃ©",
]


@pytest.fixture(scope="module")
def clip_textual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    textual = tmp_path_factory.mktemp("clip") / "textual"
    write_clip_tokenizer(textual)
    return textual


@pytest.fixture(scope="module")
def reference() -> ReferenceClipTokenizer:
    return ReferenceClipTokenizer(VOCAB_FILE)


def _ours(textual: Path, context: int = 77) -> TextTokenizer:
    return TextTokenizer(textual / "tokenizer.json", END_OF_TEXT, context)


def test_fifty_strings_match_the_reference(clip_textual: Path, reference: ReferenceClipTokenizer):
    assert len(STRINGS) >= 50
    tokenizer = _ours(clip_textual)
    batch = tokenizer.encode(STRINGS)
    for row, text in enumerate(STRINGS):
        want = reference.tokenize(text)
        got = batch.ids[row, : batch.attention_mask[row].sum()].tolist()
        assert got == want, text


def test_hand_checked_ids(clip_textual: Path):
    """Well-known CLIP ids: <start>=49406 a=320 photo=1125 of=539 cat=2368 <end>=49407."""
    batch = _ours(clip_textual).encode(["a photo of a cat"], pad_to_context=False)
    assert batch.ids.tolist() == [[49406, 320, 1125, 539, 320, 2368, 49407]]


def test_padding_uses_the_pad_token_to_the_context(clip_textual: Path):
    batch = _ours(clip_textual).encode(["a cat", "a photo of a cat"])
    assert batch.ids.shape == (2, 77)
    assert batch.ids.dtype == np.int64
    assert batch.ids[0, 4:].tolist() == [49407] * 73  # pad_token <|endoftext|>
    assert batch.attention_mask[0].tolist() == [1] * 4 + [0] * 73
    short = _ours(clip_textual).encode(["a cat", "a photo of a cat"], pad_to_context=False)
    assert short.ids.shape == (2, 7)


def test_over_long_text_keeps_the_end_token(clip_textual: Path, reference: ReferenceClipTokenizer):
    text = "dog " * 200
    batch = _ours(clip_textual).encode([text])
    assert batch.ids.shape == (1, 77)
    assert batch.attention_mask.sum() == 77
    assert batch.ids[0, -1] == 49407
    assert batch.ids[0].tolist() == reference.tokenize(text)


def test_context_length_from_the_pack(clip_textual: Path):
    batch = _ours(clip_textual, context=16).encode(["one two three " * 10])
    assert batch.ids.shape == (1, 16)
    assert batch.ids[0, 0] == 49406 and batch.ids[0, -1] == 49407


def test_clean_text():
    assert clean_text("  a\n\tb  &amp; c ") == "a b & c"
    assert clean_text("Hello, World!", canonicalize=True) == "hello world"


def test_wordpiece_pack_with_input_ids_and_mask(tmp_path: Path):
    """The bridge-style convention: input_ids + attention_mask; padding must not leak in."""
    pack = packs.make_colour_pack(tmp_path / "p", convention="input_ids")
    encoder = TextEncoder(load_pack(pack))
    assert encoder.convention == "input_ids"
    together = encoder.encode(["red", "a photo of a green car"])
    alone = encoder.encode(["red"])
    np.testing.assert_allclose(together[0], alone[0], atol=1e-6)


@pytest.mark.parametrize("int_type", [TensorProto.INT32, TensorProto.INT64])
@pytest.mark.parametrize("convention", ["text", "input_ids"])
def test_integer_types_follow_the_graph(tmp_path: Path, int_type: int, convention: str):
    pack = packs.make_colour_pack(tmp_path / "p", convention=convention, int_type=int_type)
    encoder = TextEncoder(load_pack(pack))
    want = np.int32 if int_type == TensorProto.INT32 else np.int64
    assert set(encoder._types.values()) == {want}
    vector = encoder.encode(["blue"])[0]
    np.testing.assert_allclose(vector, packs.colour_vector(packs.COLOURS["blue"], 8), atol=1e-5)


def test_static_length_graph_gets_full_padding(tmp_path: Path):
    pack = packs.make_colour_pack(tmp_path / "p", text_length=8, context_length=8)
    encoder = TextEncoder(load_pack(pack))
    assert encoder._pad_to_context
    assert encoder.encode(["red", "green sky"]).shape == (2, 8)


def test_tokenizer_config_with_added_token_object(colour_pack: Path):
    (colour_pack / "textual" / "tokenizer_config.json").write_text(
        json.dumps({"pad_token": {"content": "[PAD]", "lstrip": False}})
    )
    assert load_pack(colour_pack).pad_token == "[PAD]"
