"""The real window, offscreen, driven with pytest-qt over a colour pack and colour photos."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.gui.app import create_window
from magpie.gui.item_models import PathRole
from magpie.gui.main_window import MainWindow
from PySide6.QtCore import QMimeData, QModelIndex, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.helpers.packs import solid_image

WAIT_MS = 15_000


def _window(qtbot: QtBot, library: Path) -> MainWindow:
    window = create_window(str(library))
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def library(tmp_path: Path, colour_pack: Path) -> Path:
    root = tmp_path / "library"
    import_pack(Library(root), colour_pack)
    return root


@pytest.fixture
def window(qtbot: QtBot, library: Path):
    window = _window(qtbot, library)
    qtbot.waitUntil(lambda: window.ready, timeout=WAIT_MS)
    yield window
    window.host.shutdown()
    window.thumbnails.wait()


@pytest.fixture
def indexed(window: MainWindow, photos: Path, qtbot: QtBot) -> MainWindow:
    window.add_folder(str(photos))
    qtbot.waitUntil(
        lambda: (
            window.status.images == 7
            and window.results.rowCount() == 7
            and window.indexing_state == "idle"  # its last refresh done, none to come
        ),
        timeout=WAIT_MS,
    )
    return window


def shown(window: MainWindow) -> list[str]:
    """The results in order, the less likely ones too (the grid folds them until asked)."""
    return [Path(r.path).name for r in window.results.results()]


def first_is(window: MainWindow, name: str):
    return lambda: bool(shown(window)) and shown(window)[0] == name


def test_first_run_without_folders_shows_the_empty_state(window: MainWindow):
    assert window.stack.currentWidget() is window.empty
    assert window.empty_add.isVisible()
    assert "Add a folder" in window.empty_label.text()


def test_first_run_without_a_model_offers_one(qtbot: QtBot, tmp_path: Path, colour_pack: Path):
    window = _window(qtbot, tmp_path / "empty-library")
    try:
        qtbot.waitUntil(
            lambda: window.model_dialog is not None and window.model_dialog.isVisible(),
            timeout=WAIT_MS,
        )
        dialog = window.model_dialog
        assert "~605 MB" in dialog.download_button.text()

        # offline: the download fails with a message that says how to import instead
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dialog.endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"
        dialog.start_download()
        qtbot.waitUntil(lambda: "offline" in dialog.message.text(), timeout=WAIT_MS)
        assert "Import a pack folder" in dialog.message.text()

        with qtbot.waitSignal(window.host.opened, timeout=WAIT_MS):
            dialog.import_folder(str(colour_pack))
        assert window.ready and not dialog.isVisible()
    finally:
        window.host.shutdown()


def test_adding_a_folder_indexes_it_with_progress(window: MainWindow, photos: Path, qtbot: QtBot):
    progress = []
    window.host.progress.connect(progress.append)
    with qtbot.waitSignal(window.host.progress, timeout=WAIT_MS):
        window.add_folder(str(photos))
    # the grid may show photos before the run ends (the live refresh); once it has ended,
    # every count agrees (the host reports the counts before it reports "idle")
    qtbot.waitUntil(
        lambda: window.results.rowCount() == 7 and not window.progress_bar.isVisible(),
        timeout=WAIT_MS,
    )
    assert progress[-1].total == 7 and progress[-1].done == 7
    assert window.stack.currentWidget() is window.grid
    assert window.folders.rowCount() == 1
    # the counts come with the status after the run, which may trail the last results page
    qtbot.waitUntil(lambda: "7 photos" in window.folders.index(0).data(), timeout=WAIT_MS)
    assert "7 photos" in window.count_label.text()


def test_typing_a_query_shows_the_expected_photos_in_order(indexed: MainWindow, qtbot: QtBot):
    qtbot.keyClicks(indexed.search_bar.edit, "blue")
    qtbot.waitUntil(
        lambda: shown(indexed)[:2] in (["blue.jpg", "blue-2.png"], ["blue-2.png", "blue.jpg"]),
        timeout=WAIT_MS,
    )
    scores = [indexed.results.result(i).score for i in range(indexed.results.rowCount())]
    assert scores == sorted(scores, reverse=True)
    assert "score" in indexed.results.index(0).data(Qt.ItemDataRole.ToolTipRole)
    qtbot.keyClick(indexed.search_bar.edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(
        lambda: indexed.query.empty and indexed.results.rowCount() == 7, timeout=WAIT_MS
    )


def test_enter_searches_at_once(indexed: MainWindow, qtbot: QtBot):
    indexed.search_bar.edit.setText("yellow")
    qtbot.keyClick(indexed.search_bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(first_is(indexed, "yellow.jpg"), timeout=WAIT_MS)


def test_dropping_an_image_file_runs_an_image_query(
    indexed: MainWindow, qtbot: QtBot, tmp_path: Path
):
    outside = solid_image(tmp_path / "downloads" / "sunny.png", (235, 225, 45))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(outside))])
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    indexed.dropEvent(event)
    qtbot.waitUntil(first_is(indexed, "yellow.jpg"), timeout=WAIT_MS)
    chips = indexed.search_bar.chip_widgets()
    assert len(chips) == 1 and "sunny.png" in chips[0].text()
    chips[0].click()  # removing the chip ends the image query
    qtbot.waitUntil(
        lambda: indexed.query.empty and indexed.search_bar.chip_widgets() == [], timeout=WAIT_MS
    )


def test_dropping_raw_image_data(indexed: MainWindow, qtbot: QtBot):
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(0x1EC828)  # green, as a browser hands over a picture
    mime = QMimeData()
    mime.setImageData(image)
    assert indexed.take_mime(mime)
    qtbot.waitUntil(first_is(indexed, "green.jpg"), timeout=WAIT_MS)


def test_dropping_a_folder_adds_it(window: MainWindow, photos: Path, qtbot: QtBot):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photos))])
    window.take_mime(mime)
    qtbot.waitUntil(lambda: window.status.images == 7, timeout=WAIT_MS)


def test_paste_an_image_or_a_path(indexed: MainWindow, qtbot: QtBot, photos: Path):
    image = QImage(30, 30, QImage.Format.Format_RGB32)
    image.fill(0xDC1E1E)
    QGuiApplication.clipboard().setImage(image)
    indexed.grid.setFocus()
    indexed.paste()
    qtbot.waitUntil(first_is(indexed, "red.jpg"), timeout=WAIT_MS)

    indexed.search_bar.set_chips([])
    indexed.set_query(type(indexed.query)())
    QGuiApplication.clipboard().setText(str(photos / "white.jpg"))
    indexed.search_bar.edit.setFocus()
    qtbot.keyClick(indexed.search_bar.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(first_is(indexed, "white.jpg"), timeout=WAIT_MS)
    assert indexed.search_bar.edit.text() == ""  # became an image query, not pasted text


def test_context_menu_find_similar(indexed: MainWindow, qtbot: QtBot, photos: Path):
    menu = indexed.context_menu([str(photos / "blue.jpg")])
    labels = [a.text() for a in menu.actions() if a.text()]
    # (the organizing actions follow: tests/test_gui_organize.py)
    assert labels[:5] == ["Find similar", "Open", "Show in folder", "Copy path", "Copy image"]
    next(a for a in menu.actions() if a.text() == "Find similar").trigger()
    # (browsing also starts with blue-2.png, the newest: wait for the similar page itself)
    qtbot.waitUntil(
        lambda: shown(indexed)[:1] == ["blue-2.png"] and "blue.jpg" not in shown(indexed),
        timeout=WAIT_MS,
    )
    assert len(shown(indexed)) == 6
    assert "Similar to blue.jpg" in indexed.search_bar.chip_widgets()[0].text()

    next(a for a in menu.actions() if a.text() == "Copy path").trigger()
    assert QGuiApplication.clipboard().text() == str(photos / "blue.jpg")


def test_remove_folder_removes_results_not_files(indexed: MainWindow, qtbot: QtBot, photos: Path):
    on_disk = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in photos.rglob("*"))
    indexed.remove_folder(str(photos))
    qtbot.waitUntil(
        lambda: indexed.status.folders == [] and indexed.results.rowCount() == 0,
        timeout=WAIT_MS,
    )
    assert indexed.stack.currentWidget() is indexed.empty
    assert (
        sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in photos.rglob("*"))
        == on_disk
    )


def test_folder_filter(indexed: MainWindow, qtbot: QtBot, photos: Path):
    indexed.set_folder_filter(str(photos / "trip"))
    qtbot.waitUntil(lambda: shown(indexed) == ["blue-2.png"], timeout=WAIT_MS)
    indexed.set_folder_filter(None)
    qtbot.waitUntil(lambda: indexed.results.rowCount() == 7, timeout=WAIT_MS)


def test_thumbnails_load_off_the_gui_thread(indexed: MainWindow, qtbot: QtBot):
    index = indexed.results.index(0)
    index.data(Qt.ItemDataRole.DecorationRole)  # asks for it
    qtbot.waitUntil(lambda: index.data(Qt.ItemDataRole.DecorationRole) is not None, timeout=WAIT_MS)
    pixmap = index.data(Qt.ItemDataRole.DecorationRole)
    assert max(pixmap.width(), pixmap.height()) <= indexed.thumbnails.wanted_size
    indexed.set_thumb_size(240)
    assert (
        indexed.results.index(0).data(Qt.ItemDataRole.DecorationRole) is None
    )  # reloading at the new size
    assert indexed.gui_settings.value("thumb_size") == 240


def test_drag_out_gives_file_urls(indexed: MainWindow, photos: Path):
    mime = indexed.results.mimeData([indexed.results.index(0), indexed.results.index(1)])
    urls = [u.toLocalFile() for u in mime.urls()]
    assert len(urls) == 2 and all(Path(u).is_file() and str(photos) in u for u in urls)


def test_preview_shows_the_photo_and_details(indexed: MainWindow, qtbot: QtBot):
    indexed.open_preview(indexed.results.index(0))
    preview = indexed.preview
    qtbot.waitUntil(
        lambda: preview.picture.pixmap() is not None and not preview.picture.pixmap().isNull(),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: "pixels" in preview.info.text(), timeout=WAIT_MS)
    first = preview.windowTitle()
    qtbot.keyClick(preview, Qt.Key.Key_Right)
    assert preview.row == 1 and preview.windowTitle() != first


def test_delete_key_touches_nothing_and_says_where_trash_is(
    indexed: MainWindow, qtbot: QtBot, photos: Path, monkeypatch: pytest.MonkeyPatch
):
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append("asked"))
    indexed.activateWindow()
    qtbot.waitUntil(indexed.isActiveWindow)
    indexed.grid.setFocus()
    indexed.grid.setCurrentIndex(indexed.results.index(0))
    path = indexed.results.index(0).data(PathRole)
    qtbot.keyClick(indexed.grid, Qt.Key.Key_Delete)
    assert asked == [] and os.path.exists(path) and indexed.results.rowCount() == 7
    assert "Move selection to trash" in indexed.statusBar().currentMessage()


def test_models_pass_qtmodeltester(indexed: MainWindow, qtmodeltester):
    qtmodeltester.check(indexed.results)
    qtmodeltester.check(indexed.folders)


def test_geometry_is_saved(indexed: MainWindow, library: Path):
    indexed.resize(900, 600)
    indexed.close()
    assert indexed.gui_settings.value("geometry") is not None
    assert (library / "gui.ini").is_file()


def test_ctrl_c_copies_the_selected_paths(indexed: MainWindow, qtbot: QtBot):
    indexed.grid.setFocus()
    indexed.grid.selectionModel().select(
        indexed.results.index(0), indexed.grid.selectionModel().SelectionFlag.Select
    )
    qtbot.keyClick(indexed.grid, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == indexed.results.index(0).data(PathRole)


def test_settings_show_the_device_and_offer_other_models(
    indexed: MainWindow, qtbot: QtBot, monkeypatch
):
    from magpie.gui.dialogs import ModelSetupDialog, SettingsDialog

    note = "In use: cpu. CUDA unavailable: x"
    dialog = SettingsDialog(indexed.library, indexed.status.folders, note, indexed, "colour-pack")
    qtbot.addWidget(dialog)
    assert dialog.model.currentText() == "colour-pack"
    assert dialog.device.currentData() == "auto"
    assert "CUDA unavailable" in indexed.status.device_note
    dialog.per_page.setValue(40)
    dialog.folders.cellWidget(0, 1).setCurrentIndex(1)
    restart, modes = dialog.save()
    assert not restart and list(modes.values()) == ["polling"]
    dialog.language.setCurrentIndex(dialog.language.findData("de"))
    assert dialog.save()[0]  # the engine reopens: its NLLB text encoder needs the new code
    assert indexed.library.load_settings().language == "de"
    assert indexed.library.load_settings().results_per_page == 40
    setup = ModelSetupDialog(indexed.library, indexed)
    qtbot.addWidget(setup)
    setup.choice.setCurrentIndex(setup.choice.findData("XLM-Roberta-Large-Vit-B-32"))
    assert "XLM-Roberta" in setup.download_button.text()


def test_long_result_lists_are_paged(indexed: MainWindow, qtbot: QtBot, monkeypatch):
    settings = indexed.library.load_settings()
    settings.results_per_page = 3
    indexed.library.save_settings(settings)
    offsets = []
    real = indexed.host.search

    def search(query, offset=0, limit=200):
        offsets.append((offset, limit))
        return real(query, offset, limit)

    monkeypatch.setattr(indexed.host, "search", search)
    indexed.run_query_now()
    # the view asks for more while it has room: pages of 3 until the library is shown
    qtbot.waitUntil(
        lambda: (
            len(offsets) >= 3
            and indexed.results.rowCount() == 7
            and not indexed.results.canFetchMore(QModelIndex())
        ),
        timeout=WAIT_MS,
    )
    assert offsets[:3] == [(0, 3), (3, 3), (6, 3)]
    assert len(set(shown(indexed))) == 7  # no page repeated


@pytest.mark.logs_warnings
def test_int8_check_from_settings(indexed: MainWindow, qtbot: QtBot, monkeypatch):
    import magpie.core.quantize as quantize
    from magpie.gui.dialogs import SettingsDialog

    note = "In use: cpu."
    dialog = SettingsDialog(
        indexed.library, indexed.status.folders, note, indexed, "colour-pack", indexed.host
    )
    qtbot.addWidget(dialog)
    assert not dialog.int8.isEnabled() and "Not checked" in dialog.int8_result.text()
    # a check that falls short (here: an unreachable speed bar) keeps int8 off
    monkeypatch.setattr(quantize.prepare_int8, "__defaults__", (quantize.MIN_COSINE, 1000.0))
    dialog.int8_check.click()
    qtbot.waitUntil(lambda: "not enough" in dialog.int8_result.text(), timeout=WAIT_MS)
    assert not dialog.int8.isEnabled()
    # with the speed bar lowered, the same check turns the switch on
    monkeypatch.setattr(quantize.prepare_int8, "__defaults__", (quantize.MIN_COSINE, 0.0))
    dialog.int8_check.click()
    qtbot.waitUntil(lambda: dialog.int8.isEnabled(), timeout=WAIT_MS)
    assert dialog.int8.isChecked() and "Checked on 7 of your photos" in dialog.int8_result.text()
    restart, _ = dialog.save()
    assert restart and indexed.library.load_settings().int8_images
