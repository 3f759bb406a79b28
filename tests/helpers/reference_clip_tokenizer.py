"""An independent reference: OpenAI CLIP's SimpleTokenizer algorithm, written out plainly.

Pure Python BPE over the same vocabulary file, with ftfy + HTML unescape + whitespace clean-up
and lower-casing, as in github.com/openai/CLIP (MIT). Used only by the tests, to check that the
tokenizers-based tokenizer.json the export tool writes gives the same ids.
"""

from __future__ import annotations

import gzip
import html
import itertools
from pathlib import Path

import ftfy
import regex

START, END = "<|startoftext|>", "<|endoftext|>"


def _byte_table() -> dict[int, str]:
    keep = [*range(33, 127), *range(161, 173), *range(174, 256)]
    table = {b: chr(b) for b in keep}
    n = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + n)
            n += 1
    return table


def _pairs(word: tuple[str, ...]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(word))


class ReferenceClipTokenizer:
    def __init__(self, vocab_file: Path) -> None:
        self.byte_table = _byte_table()
        with gzip.open(vocab_file) as fh:
            lines = fh.read().decode("utf-8").split("\n")[1 : 49152 - 256 - 2 + 1]
        merges = [tuple(line.split()) for line in lines]
        symbols = list(self.byte_table.values())
        symbols += [s + "</w>" for s in symbols]
        symbols += ["".join(m) for m in merges] + [START, END]
        self.ids = {s: i for i, s in enumerate(symbols)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.cache = {START: START, END: END}
        self.pattern = regex.compile(
            r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE,
        )

    def _bpe(self, token: str) -> str:
        if token in self.cache:
            return self.cache[token]
        word = (*token[:-1], token[-1] + "</w>")
        pairs = _pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            first, second = best
            merged: list[str] = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    merged.extend(word[i:])
                    break
                merged.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
            if len(word) == 1:
                break
            pairs = _pairs(word)
        result = " ".join(word)
        self.cache[token] = result
        return result

    def encode(self, text: str) -> list[int]:
        text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
        text = regex.sub(r"\s+", " ", text).strip().lower()
        out: list[int] = []
        for token in regex.findall(self.pattern, text):
            mapped = "".join(self.byte_table[b] for b in token.encode("utf-8"))
            out.extend(self.ids[piece] for piece in self._bpe(mapped).split(" "))
        return out

    def tokenize(self, text: str, context_length: int = 77) -> list[int]:
        """Start + BPE + end, cut to the context with the end token kept last (open_clip)."""
        tokens = [self.ids[START], *self.encode(text), self.ids[END]]
        if len(tokens) > context_length:
            tokens = tokens[:context_length]
            tokens[-1] = self.ids[END]
        return tokens
