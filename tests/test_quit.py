"""Quitting the app while it works never crashes (issue 12.3: exit 134 after using the app).

The cause: PySide6 6.12.0 on Python 3.11 returns None from every void method (painter.save(),
setPen, setValue...) without taking a reference, as if None were immortal (it is only from
Python 3.12). Each call stole a reference; painting thumbnails makes thousands a second, and
once None's count reached zero the interpreter aborted ("none_dealloc", at exit while it
collected garbage). pyproject.toml keeps PySide6 below 6.12 on Python < 3.12.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.gui.app import create_window
from PySide6.QtCore import QRect
from pytestqt.qtbot import QtBot

from tests.helpers.quit_app import prepare, run_trial

WAIT_MS = 15_000


def _none_refs_lost(action, times: int) -> int:
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(times):
        action()
    gc.collect()
    return before - sys.getrefcount(None)


def test_qt_void_calls_keep_their_reference_to_none():
    rect = QRect(0, 0, 4, 4)
    assert _none_refs_lost(lambda: rect.setX(1), 5000) < 100  # 5,000 with PySide6 6.12.0


def test_painting_the_grid_keeps_none_alive(
    qtbot: QtBot, tmp_path: Path, colour_pack: Path, photos: Path
):
    library = tmp_path / "library"
    import_pack(Library(library), colour_pack)
    window = create_window(str(library))
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.ready, timeout=WAIT_MS)
        window.add_folder(str(photos))
        qtbot.waitUntil(lambda: window.results.rowCount() == 7, timeout=WAIT_MS)
        window.thumbnails.pixmap = lambda *_args: None  # every cell: still loading
        # with PySide6 6.12.0 on Python 3.11: ~11,000 references lost in 300 paints
        assert _none_refs_lost(window.grid.viewport().repaint, 300) < 300
    finally:
        window.host.shutdown()
        window.thumbnails.wait()


@pytest.fixture(scope="module")
def quit_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare(tmp_path_factory.mktemp("quit"), count=40)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quit_while_searching_scrolling_and_loading_thumbnails(
    quit_template: Path, tmp_path: Path, seed: int
):
    code, stderr = run_trial(quit_template, tmp_path, seed)
    assert "Fatal Python error" not in stderr, stderr[-2000:]
    assert code == 0, stderr[-2000:]
