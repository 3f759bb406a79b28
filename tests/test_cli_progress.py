"""The command line's progress lines for indexing and for reading text (not a terminal)."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest
from magpie.cli.output import stderr_progress, text_progress


def progress(done: int, total: int, **more: object) -> SimpleNamespace:
    fields = {"rate": 2.0, "eta_s": None, "current": "/photos/a.jpg", "unit": "photos"}
    return SimpleNamespace(done=done, total=total, **{**fields, **more})


def test_passes_print_a_line_per_tenth_with_their_own_wording(capsys: pytest.CaptureFixture):
    args = argparse.Namespace()
    index = stderr_progress(args)
    for done in (0, 1, 5, 10):
        index(progress(done, 10, eta_s=3.0))
    index(progress(30, 60, unit="seconds"))
    read = text_progress(args)
    read(progress(4, 4))
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "indexing: 0% 0/10 at 2.0/s, 3 s left",
        "indexing: 10% 1/10 at 2.0/s, 3 s left",
        "indexing: 50% 5/10 at 2.0/s, 3 s left",
        "indexing: 100% 10/10 at 2.0/s, 3 s left",
        "indexing: 50% videos: 30/60 s of footage at 2.0 s/s",
        "reading text: 100% 4/4 at 2.0/s",
    ]
