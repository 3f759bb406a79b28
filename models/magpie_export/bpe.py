"""The CLIP BPE tokenizer as a Hugging Face tokenizer.json, built from OpenAI's vocabulary.

data/bpe_simple_vocab_16e6.txt.gz is OpenAI's merge list (MIT licence, as shipped in the CLIP
and open_clip wheels; sha256 924691ac...804a). The tokenizer reproduces OpenAI's SimpleTokenizer
(byte-level BPE with a "</w>" end-of-word suffix, lower-cased, start/end-of-text tokens);
tests/test_tokenize.py checks it against an independent reference implementation.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

VOCAB_FILE = Path(__file__).parent / "data" / "bpe_simple_vocab_16e6.txt.gz"
START_OF_TEXT = "<|startoftext|>"
END_OF_TEXT = "<|endoftext|>"
VOCAB_SIZE = 49408
# OpenAI keeps the first 49152 - 256 - 2 merges: 256 byte tokens, 256 end-of-word byte
# tokens, the merges and 2 specials make the 49408-token vocabulary.
_MERGES_KEPT = 49152 - 256 - 2
# OpenAI's pre-tokenisation pattern, without its special-token alternatives (added tokens here)
_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table (what ByteLevel uses too)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars), strict=True))


def read_merges(vocab_file: Path = VOCAB_FILE) -> list[tuple[str, str]]:
    with gzip.open(vocab_file, "rt", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    merges = lines[1 : _MERGES_KEPT + 1]
    return [tuple(line.split()) for line in merges]  # type: ignore[misc]


def clip_vocab(merges: list[tuple[str, str]]) -> dict[str, int]:
    base = list(bytes_to_unicode().values())
    tokens = base + [b + "</w>" for b in base] + ["".join(m) for m in merges]
    tokens += [START_OF_TEXT, END_OF_TEXT]
    return {token: i for i, token in enumerate(tokens)}


def build_clip_tokenizer(vocab_file: Path = VOCAB_FILE) -> Tokenizer:
    merges = read_merges(vocab_file)
    vocab = clip_vocab(merges)
    tokenizer = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            continuing_subword_prefix="",
            end_of_word_suffix="</w>",
            unk_token=END_OF_TEXT,
            fuse_unk=False,
        )
    )
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([START_OF_TEXT, END_OF_TEXT])
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{START_OF_TEXT} $A {END_OF_TEXT}",
        special_tokens=[(START_OF_TEXT, vocab[START_OF_TEXT]), (END_OF_TEXT, vocab[END_OF_TEXT])],
    )
    return tokenizer


def write_clip_tokenizer(textual_dir: Path, vocab_file: Path = VOCAB_FILE) -> None:
    """tokenizer.json and tokenizer_config.json (padding with end-of-text, as Immich's packs)."""
    import json

    textual_dir.mkdir(parents=True, exist_ok=True)
    build_clip_tokenizer(vocab_file).save(str(textual_dir / "tokenizer.json"))
    (textual_dir / "tokenizer_config.json").write_text(
        json.dumps({"pad_token": END_OF_TEXT, "model_max_length": 77}, indent=2) + "\n"
    )
