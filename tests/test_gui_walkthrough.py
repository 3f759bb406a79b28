"""A new user's walkthrough (issue 12), on the real window offscreen: counts, states, keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from magpie.gui.main_window import MainWindow
from pytestqt.qtbot import QtBot

from tests.helpers.gui import WAIT_MS, library_with_pack, open_window
from tests.helpers.packs import COLOURS, solid_image


@pytest.fixture
def library(tmp_path: Path, colour_pack: Path) -> Path:
    return library_with_pack(tmp_path / "library", colour_pack)


@pytest.fixture
def window(qtbot: QtBot, library: Path):
    with open_window(qtbot, library) as window:
        yield window


@pytest.fixture
def indexed(window: MainWindow, photos: Path, qtbot: QtBot) -> MainWindow:
    window.add_folder(str(photos))
    qtbot.waitUntil(
        lambda: (
            window.status.get("images") == 7
            and window.results.rowCount() == 7
            and window.indexing_state == "idle"  # its last refresh done, none to come
        ),
        timeout=WAIT_MS,
    )
    return window


def folder_texts(window: MainWindow) -> dict[str, str]:
    model = window.folders
    return {model.folder(r)["path"]: model.index(r).data() for r in range(model.rowCount())}


def test_counts_never_lag_the_grid_and_only_the_indexed_folder_says_so(
    indexed: MainWindow, qtbot: QtBot, tmp_path: Path, photos: Path
):
    second = tmp_path / "second"
    for name, rgb in list(COLOURS.items())[:3]:
        solid_image(second / f"more-{name}.jpg", rgb)
    seen: list[dict[str, str]] = []
    lags: list[tuple[int, int]] = []

    def on_progress(_progress: object) -> None:  # runs after the window's own slot
        seen.append(folder_texts(indexed))

    def on_page(_page: object) -> None:
        total = sum(f["images"] for f in indexed.status["folders"])
        if indexed.query.empty and indexed.query.folder is None:
            lags.append((indexed.results.rowCount(), total))

    indexed.host.progress.connect(on_progress)
    indexed.host.pageReady.connect(on_page)
    indexed.add_folder(str(second))
    qtbot.waitUntil(lambda: indexed.results.rowCount() == 10, timeout=WAIT_MS)
    # the folder panel and the status bar already count what the grid shows
    texts = folder_texts(indexed)
    assert "10 photos" in indexed.count_label.text()
    assert "3 photos" in texts[str(second)] and "7 photos" in texts[str(photos)]
    assert all(rows <= total for rows, total in lags), lags
    # while indexing, only the folder being indexed said so
    assert seen and all("indexing" in s[str(second)] for s in seen)
    assert not any("indexing" in s[str(photos)] for s in seen)
    qtbot.waitUntil(lambda: "indexing" not in folder_texts(indexed)[str(second)], timeout=WAIT_MS)
