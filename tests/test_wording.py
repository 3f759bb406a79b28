"""Counts and sizes in words (magpie.gui.wording)."""

from __future__ import annotations

import pytest
from magpie.gui.wording import file_size, plural


def test_plural():
    assert plural(1, "file") == "1 file"
    assert plural(0, "file") == "0 files"
    assert plural(1204, "photo") == "1,204 photos"
    assert plural(2, "folder", "folders") == "2 folders"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (20_480, "20 KB"),
        (1_500, "1.5 KB"),
        (3_400_000, "3.4 MB"),
        (999_600, "1.0 MB"),
        (1_200_000_000, "1.2 GB"),
    ],
)
def test_file_size(size: int, text: str):
    assert file_size(size) == text
