"""Organizing in the window: albums panel, Duplicates view, trash with Undo, copy."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.gui.albums_panel import AlbumNameRole, AlbumsModel
from magpie.gui.app import create_window
from magpie.gui.main_window import MainWindow
from PySide6.QtCore import QMimeData, QModelIndex, Qt, QUrl
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from tests.helpers.duplicate_sets import derive, save, scene

WAIT_MS = 20_000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, colour_pack: Path, photos: Path) -> Any:
    library = tmp_path / "library"
    import_pack(Library(library), colour_pack)
    original = scene(5, (480, 360))
    save(original, photos / "dupes" / "original.jpg", camera="Canon EOS R6")
    save(derive(original, "resized"), photos / "dupes" / "small.png")
    save(derive(original, "resaved"), photos / "dupes" / "resaved.jpg", quality=60)
    window = create_window(str(library))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.ready, timeout=WAIT_MS)
    window.add_folder(str(photos))
    qtbot.waitUntil(lambda: window.status.images == 10, timeout=WAIT_MS)
    yield window
    window.organize.background.wait()
    window.host.shutdown()
    window.thumbnails.wait()


def _yes(monkeypatch: pytest.MonkeyPatch, asked: list[str]) -> None:
    def question(_parent: Any, _title: str, text: str, *args: Any) -> Any:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)


def _first_row(model: AlbumsModel, text: str) -> bool:
    return model.rowCount() == 1 and text in model.index(0).data()


def test_albums_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    from magpie.core.albums import Album, SmartQuery

    model = AlbumsModel()
    model.set_albums([Album(1, "A", None, 2), Album(2, "B", SmartQuery("red"), None)])
    qtmodeltester.check(model)
    assert model.index(0).data() == "A  (2)"
    assert "B" in model.index(1).data()
    assert not model.flags(model.index(1)) & Qt.ItemFlag.ItemIsDropEnabled


def test_new_album_from_the_grid_then_drop_more_onto_it(
    window: MainWindow, qtbot: QtBot, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    organizer = window.organize
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Holiday", True))
    menu = window.context_menu([str(photos / "red.jpg")])
    add = next(a for a in menu.actions() if a.text() == "Add to album").menu()
    next(a for a in add.actions() if a.text() == "New album…").trigger()
    model = organizer.panel.model
    qtbot.waitUntil(
        lambda: model.rowCount() == 1 and "(1)" in model.index(0).data(), timeout=WAIT_MS
    )
    # drag two photos from the grid onto the album
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photos / n)) for n in ("blue.jpg", "green.jpg")])
    target = model.index(0)
    assert model.canDropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, target)
    assert model.dropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, target)
    qtbot.waitUntil(lambda: "(3)" in model.index(0).data(), timeout=WAIT_MS)
    assert not model.canDropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, QModelIndex())
    # clicking the album shows its photos
    organizer.show_album("Holiday")
    qtbot.waitUntil(lambda: window.results.rowCount() == 3, timeout=WAIT_MS)
    assert {Path(r.path).name for r in window.results.results()} == {
        "red.jpg",
        "blue.jpg",
        "green.jpg",
    }


def test_save_search_makes_a_smart_album_with_a_count(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = window.library.load_settings()
    settings.score_threshold = 0.9
    window.library.save_settings(settings)
    window.search_bar.edit.setText("blue")
    window.run_query_now()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Blues", True))
    window.organize.panel.save_search_button.click()
    model = window.organize.panel.model
    qtbot.waitUntil(
        lambda: model.rowCount() == 1 and "(2)" in model.index(0).data(), timeout=WAIT_MS
    )
    assert model.index(0).data(AlbumNameRole) == "Blues"


def test_duplicates_view_groups_with_a_live_control_and_trashes_the_others(
    window: MainWindow,
    qtbot: QtBot,
    photos: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from send2trash import plat_other

    data = tmp_path / "home" / ".local" / "share"
    data.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", os.fsencode(data))
    monkeypatch.setattr(plat_other, "HOMETRASH_B", os.fsencode(data / "Trash"))
    window.organize.open_duplicates()
    dialog = window.organize.duplicates_dialog
    assert dialog is not None
    # the copies, and the two solid blue pictures of the colour set (identical pixels)
    qtbot.waitUntil(lambda: len(dialog.groups) == 2, timeout=WAIT_MS)
    group = next(g for g in dialog.groups if "dupes" in g.keep.path)
    assert Path(group.keep.path).name == "original.jpg"
    assert "largest" in group.reason
    checked = sorted(Path(p).name for p in dialog.checked_paths())
    assert checked == ["blue-2.png", "resaved.jpg", "small.png"]
    dialog._items[str(photos / "trip" / "blue-2.png")].setCheckState(0, Qt.CheckState.Unchecked)
    # the control regroups in the background: at 1.00 only byte-identical copies group
    dialog.slider.setValue(100)
    qtbot.waitUntil(lambda: dialog.groups == [], timeout=WAIT_MS)
    assert "No duplicates" in dialog.summary.text()
    dialog.slider.setValue(75)
    qtbot.waitUntil(lambda: len(dialog.groups) == 2, timeout=WAIT_MS)
    dialog._items[str(photos / "trip" / "blue-2.png")].setCheckState(0, Qt.CheckState.Unchecked)
    asked: list[str] = []
    _yes(monkeypatch, asked)
    dialog.trash_button.click()
    assert asked and "Move 2 photos to the trash?" in asked[0]
    qtbot.waitUntil(lambda: not (photos / "dupes" / "small.png").exists(), timeout=WAIT_MS)
    assert (photos / "dupes" / "original.jpg").exists()
    qtbot.waitUntil(lambda: len(dialog.groups) == 1, timeout=WAIT_MS)  # the blue pair is left
    qtbot.waitUntil(lambda: window.organize.undo_button.isVisible(), timeout=WAIT_MS)
    window.organize.undo_button.click()
    qtbot.waitUntil(lambda: (photos / "dupes" / "small.png").exists(), timeout=WAIT_MS)
    assert (photos / "dupes" / "resaved.jpg").exists()
    dialog.close()


def test_trash_asks_first_and_no_means_nothing_happens(
    window: MainWindow, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.No)
    menu = window.context_menu([str(photos / "red.jpg")])
    next(a for a in menu.actions() if a.text() == "Move 1 photo to trash…").trigger()
    window.organize.background.wait()
    assert (photos / "red.jpg").exists()


def test_copy_selection_to_a_folder(
    window: MainWindow, qtbot: QtBot, photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "picked"
    dest.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(dest))
    menu = window.context_menu([str(photos / "red.jpg"), str(photos / "blue.jpg")])
    next(a for a in menu.actions() if a.text() == "Copy 2 photos to folder…").trigger()
    qtbot.waitUntil(lambda: len(list(dest.iterdir())) == 2, timeout=WAIT_MS)
    assert (dest / "red.jpg").read_bytes() == (photos / "red.jpg").read_bytes()
    qtbot.waitUntil(lambda: "Copied" in window.statusBar().currentMessage(), timeout=WAIT_MS)


def test_the_similarity_control_never_groups_on_the_gui_thread(
    window: MainWindow, qtbot: QtBot
) -> None:
    import threading

    window.organize.open_duplicates()
    dialog = window.organize.duplicates_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.finder is not None and dialog.groups != [], timeout=WAIT_MS)
    finder = dialog.finder
    threads: list[str] = []
    original = finder.groups

    def recording(threshold: float) -> Any:
        threads.append(threading.current_thread().name)
        return original(threshold)

    finder.groups = recording  # type: ignore[method-assign]
    for value in (90, 70, 100, 80):
        dialog.slider.setValue(value)  # returns at once: the work is queued
    qtbot.waitUntil(lambda: bool(threads) and dialog.value_label.text() == "0.80", timeout=WAIT_MS)
    window.organize.background.wait()
    assert threads
    assert threading.main_thread().name not in threads
    dialog.close()
