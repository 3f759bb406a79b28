"""Opening the real window in tests (offscreen), over a library with the colour pack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.gui.app import create_window
from magpie.gui.main_window import MainWindow
from pytestqt.qtbot import QtBot

WAIT_MS = 15_000


def library_with_pack(root: Path, pack: Path) -> Path:
    import_pack(Library(root), pack)
    return root


@contextmanager
def open_window(qtbot: QtBot, library: Path, wait_ready: bool = True) -> Iterator[MainWindow]:
    """The window shown, its engine host started; shut down cleanly afterwards."""
    window = create_window(str(library))
    qtbot.addWidget(window)
    window.show()
    try:
        if wait_ready:
            qtbot.waitUntil(lambda: window.ready, timeout=WAIT_MS)
        yield window
    finally:
        window.host.shutdown()
        window.thumbnails.wait()


def shown(window: MainWindow) -> list[str]:
    return [Path(window.results.result(i).path).name for i in range(window.results.rowCount())]
