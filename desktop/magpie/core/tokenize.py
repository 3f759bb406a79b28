"""Text to token ids with the pack's Hugging Face tokenizer.json."""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass
from pathlib import Path

import ftfy
import numpy as np
from tokenizers import Tokenizer

from magpie.core.errors import PackError
from magpie.core.packs import TextClean

_WHITESPACE = re.compile(r"\s+")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def clean_text(text: str, canonicalize: bool = False, style: TextClean = "openai") -> str:
    """The clean-up before tokenizing, in the pack's convention.

    "openai": what OpenAI's own CLIP tokenizer does (ftfy, HTML entities twice, spaces), for
    tokenizers built from its BPE. "immich": what Immich does for its packs, spaces only, so
    "dog’s" and "&amp;" reach the tokenizer as typed. Either lower-cases and drops ASCII
    punctuation when the pack asks to canonicalize (SigLIP).
    """
    if style == "openai":
        text = ftfy.fix_text(text)
        text = html.unescape(html.unescape(text))
    text = _WHITESPACE.sub(" ", text).strip()
    if canonicalize:
        text = text.translate(_PUNCTUATION).lower()
    return text


@dataclass(frozen=True)
class TokenBatch:
    """Token ids and attention mask, right-padded to one length."""

    ids: np.ndarray  # int64 [B, L]
    attention_mask: np.ndarray  # int64 [B, L]


class TextTokenizer:
    """Wraps a tokenizers.Tokenizer with truncation to the context length and our own padding."""

    def __init__(
        self,
        tokenizer_file: Path,
        pad_token: str,
        context_length: int,
        canonicalize: bool = False,
        style: TextClean = "openai",
        prefix: str = "",
    ) -> None:
        try:
            tokenizer = Tokenizer.from_file(str(tokenizer_file))
        except Exception as exc:  # tokenizers raises a bare Exception on bad files
            raise PackError(f"{tokenizer_file}: not a usable tokenizer.json ({exc})") from None
        pad_id = tokenizer.token_to_id(pad_token)
        if pad_id is None:
            raise PackError(
                f"{tokenizer_file.parent / 'tokenizer_config.json'}: pad token {pad_token!r} "
                f"is not in the vocabulary of {tokenizer_file.name}"
            )
        # Padding is done here (to the longest text or the full context, as the graph
        # allows); truncation keeps the end-of-text token the post-processor appends.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=context_length)
        self._tokenizer = tokenizer
        self.pad_id = pad_id
        self.context_length = context_length
        self.canonicalize = canonicalize
        self.style: TextClean = style
        self.prefix = prefix  # NLLB's FLORES-200 language code, glued on as Immich does

    def encode(self, texts: list[str], pad_to_context: bool = True) -> TokenBatch:
        """Tokenise texts; pad to the context length, or only to the longest when allowed."""
        cleaned = [self.prefix + clean_text(t, self.canonicalize, self.style) for t in texts]
        encodings = self._tokenizer.encode_batch(cleaned)
        longest = max((len(e.ids) for e in encodings), default=1)
        length = self.context_length if pad_to_context else max(longest, 1)
        ids = np.full((len(texts), length), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = 1
        return TokenBatch(ids, mask)
