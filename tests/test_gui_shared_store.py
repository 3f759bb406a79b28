"""The window over a shared Milvus store (MAGPIE_STORE): other machines' photos are listed,
even where their files cannot be reached from here, without a warning or a stall."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from magpie.core.engine import Engine
from pytestqt.qtbot import QtBot

from tests.helpers.gui import WAIT_MS, library_with_pack, open_window
from tests.helpers.packs import solid_image

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")


def test_the_window_lists_another_machines_photos(
    qtbot: QtBot, tmp_path: Path, colour_pack: Path, photos: Path, monkeypatch: pytest.MonkeyPatch
):
    store = f"milvus:{tmp_path / 'shared.db'}"
    elsewhere = tmp_path / "elsewhere"
    solid_image(elsewhere / "far-red.jpg", (215, 25, 30))  # not red.jpg's content
    monkeypatch.setenv("MAGPIE_MACHINE", "laptop-a")
    # the same installed pack on both machines: one model, one collection
    first = library_with_pack(tmp_path / "a", colour_pack)
    with Engine(first, device="cpu", writer=True, store=store) as other:
        other.add_folder(elsewhere)
        assert other.update().indexed == 1
    monkeypatch.delenv("MAGPIE_MACHINE")
    shutil.rmtree(elsewhere)  # only the other machine could open it
    monkeypatch.setenv("MAGPIE_STORE", store)
    library = library_with_pack(tmp_path / "b", colour_pack)
    with open_window(qtbot, library) as window:
        window.add_folder(str(photos))
        qtbot.waitUntil(
            lambda: window.status.images == 7 and window.indexing_state == "idle",
            timeout=WAIT_MS,
        )
        qtbot.keyClicks(window.search_bar.edit, "red")

        def remote() -> list:
            return [r for r in window.results.results() if r.machine == "laptop-a"]

        qtbot.waitUntil(lambda: len(remote()) == 1, timeout=WAIT_MS)
        assert Path(remote()[0].path).name == "far-red.jpg"
        names = [Path(r.path).name for r in window.results.results()[:2]]
        assert set(names) == {"red.jpg", "far-red.jpg"}
        qtbot.wait(300)  # the grid asks for the missing thumbnail: no warning, no crash
