"""A new user's walkthrough (issue 12), on the real window offscreen: counts, states, keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from magpie import __version__
from magpie.core.indexer import Progress
from magpie.core.library import Library
from magpie.gui.dialogs import ModelSetupDialog, SettingsDialog
from magpie.gui.main_window import MainWindow
from PySide6.QtCore import QPointF, QStandardPaths, Qt
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from tests.helpers.gui import WAIT_MS, library_with_pack, open_window, shown
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
            window.status.images == 7
            and window.results.rowCount() == 7
            and window.indexing_state == "idle"  # its last refresh done, none to come
        ),
        timeout=WAIT_MS,
    )
    return window


def folder_texts(window: MainWindow) -> dict[str, str]:
    model = window.folders
    return {model.folder(r).path: model.index(r).data() for r in range(model.rowCount())}


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
        total = sum(f.images for f in indexed.status.folders)
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


def test_down_from_the_search_box_moves_into_the_results_and_enter_opens(
    indexed: MainWindow, qtbot: QtBot
):
    indexed.search_bar.edit.setFocus()
    qtbot.keyClick(indexed.search_bar.edit, Qt.Key.Key_Down)
    assert indexed.grid.hasFocus() or QApplication.focusWidget() is indexed.grid
    assert indexed.grid.currentIndex().row() == 0
    qtbot.keyClick(indexed.grid, Qt.Key.Key_Right)
    qtbot.keyClick(indexed.grid, Qt.Key.Key_Return)
    assert indexed.preview is not None and indexed.preview.isVisible()
    assert indexed.preview.row == indexed.grid.currentIndex().row() == 1


def menu_titles(window: MainWindow) -> dict[str, list[str]]:
    return {
        action.text(): [a.text() for a in action.menu().actions() if not a.isSeparator()]
        for action in window.menuBar().actions()
    }


def test_a_menu_bar_help_about_and_a_shortcut_list(indexed: MainWindow, qtbot: QtBot):
    menus = menu_titles(indexed)
    assert list(menus) == ["&File", "&Edit", "&View", "&Help"]
    assert {"Add folder…", "Quit"} <= set(menus["&File"])
    assert {"Keyboard shortcuts", "About Magpie"} <= set(menus["&Help"])
    qtbot.keyClick(indexed, Qt.Key.Key_F1)
    dialog = indexed.shortcuts_dialog
    assert dialog.isVisible()
    rows = dict(dialog.rows())
    assert rows["Ctrl+O"] == "Add folder" and rows["Ctrl+Q"] == "Quit"
    assert "Down" in rows and "Enter" in rows
    dialog.close()
    qtbot.keyClick(indexed, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert indexed.shortcuts_dialog.isVisible()
    indexed.shortcuts_dialog.close()
    next(a for a in indexed.menu_actions if a.text() == "About Magpie").trigger()
    assert indexed.about_dialog.isVisible()
    assert __version__ in indexed.about_dialog.text.text()
    assert str(indexed.library.root) in indexed.about_dialog.text.text()


def test_progress_text_bar_and_pause_sit_side_by_side(indexed: MainWindow, qtbot: QtBot):
    window = indexed  # indexing over: the host sends nothing more meanwhile
    window.resize(1000, 700)
    window._indexing_changed("indexing")
    window._progress(Progress(1_234, 40_000, 0, 12.5, 3_100.0, "/nowhere/x.jpg"))
    window.statusBar().showMessage("A message shown meanwhile must not hide the progress", 5000)
    panel = window.progress_panel
    qtbot.waitUntil(lambda: panel.label.width() >= panel.label.sizeHint().width(), timeout=WAIT_MS)
    parts = [panel.label, panel.bar, panel.pause]
    assert all(p.isVisible() for p in parts)
    boxes = [p.geometry() for p in parts]  # all three in the panel's own coordinates
    assert boxes[0].right() < boxes[1].left() and boxes[1].right() < boxes[2].left()
    assert "1,234 of 40,000" in panel.label.text() and "52 min left" in panel.label.text()
    # the count stays in view beside a message (Qt clips a message to the left of permanent
    # widgets; a normal one it hides, then could show again under the text)
    assert window.statusBar().currentMessage() and window.count_label.isVisible()
    window._indexing_changed("idle")
    assert not panel.bar.isVisible() and not panel.pause.isVisible()


def test_without_a_model_every_state_says_what_to_do_with_a_button(
    qtbot: QtBot, tmp_path: Path, colour_pack: Path, photos: Path
):
    with open_window(qtbot, tmp_path / "no-model", wait_ready=False) as window:
        qtbot.waitUntil(
            lambda: window.model_dialog is not None and window.model_dialog.isVisible(),
            timeout=WAIT_MS,
        )
        window.model_dialog.reject()  # dismissed: not a dead end
        assert window.stack.currentWidget() is window.no_model
        assert window.no_model.button.isVisible() and "model" in window.no_model.label.text()
        window.add_folder(str(photos))
        qtbot.waitUntil(lambda: len(window.status.folders) == 1, timeout=WAIT_MS)
        qtbot.keyClicks(window.search_bar.edit, "red")
        qtbot.keyClick(window.search_bar.edit, Qt.Key.Key_Return)
        assert window.stack.currentWidget() is window.no_model
        assert "`" not in window.statusBar().currentMessage()
        window.no_model.button.click()
        assert window.model_dialog.isVisible()
        with qtbot.waitSignal(window.host.opened, timeout=WAIT_MS):
            window.model_dialog.import_folder(str(colour_pack))
        # the folder added meanwhile is indexed, and the typed query answered
        qtbot.waitUntil(lambda: shown(window)[:1] == ["red.jpg"], timeout=WAIT_MS)
        assert window.stack.currentWidget() is window.grid


def test_the_settings_model_list_follows_an_import(qtbot: QtBot, tmp_path: Path, colour_pack):
    library = Library(tmp_path / "bare").ensure()
    dialog = SettingsDialog(library, [], "In use: nothing.")
    qtbot.addWidget(dialog)
    assert dialog.model.currentText() == "(no model installed)"
    dialog.more_models.click()
    assert dialog.model_setup is not None and dialog.model_setup.isVisible()
    dialog.model_setup.import_folder(str(colour_pack))
    qtbot.waitUntil(lambda: dialog.model.currentText() == "colour-pack", timeout=WAIT_MS)
    assert dialog.model.count() == 1


def test_settings_show_the_whole_watch_box_and_no_row_numbers(indexed: MainWindow, qtbot: QtBot):
    dialog = SettingsDialog(indexed.library, indexed.status.folders, "In use: cpu.", indexed)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    table = dialog.folders
    assert not table.verticalHeader().isVisible()
    combo = table.cellWidget(0, 1)
    assert table.columnWidth(1) >= combo.sizeHint().width()
    assert table.rowHeight(0) >= combo.sizeHint().height()
    viewport = table.viewport().rect()
    assert viewport.contains(table.visualRect(table.model().index(0, 1)))


def test_a_failed_file_is_counted_in_words(window: MainWindow, photos: Path, qtbot: QtBot):
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    window.add_folder(str(photos))
    qtbot.waitUntil(lambda: window.failures_link.isVisible(), timeout=WAIT_MS)
    assert ">1 file could not be read<" in window.failures_link.text()


def test_the_preview_gives_small_files_their_size_in_kb(indexed: MainWindow, qtbot: QtBot):
    indexed.open_preview(indexed.results.index(0))
    qtbot.waitUntil(lambda: "pixels" in indexed.preview.info.text(), timeout=WAIT_MS)
    assert "0.0 MB" not in indexed.preview.info.text()
    assert " KB" in indexed.preview.info.text() or "bytes" in indexed.preview.info.text()


def test_file_dialogs_start_in_pictures_then_where_the_user_was(
    indexed: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    asked: list[str] = []
    chosen = tmp_path / "holiday" / "day1"
    chosen.mkdir(parents=True)

    def pick(_parent: object, _title: str, start: str) -> str:
        asked.append(start)
        return str(chosen)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", pick)
    indexed.choose_folder()
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    assert asked[0] in (pictures, str(Path.home())) and asked[0] != os.getcwd()
    indexed.choose_folder()
    assert asked[1] == str(chosen.parent)


def test_remove_asks_first(indexed: MainWindow, qtbot: QtBot, photos: Path):
    indexed.folder_list.setCurrentIndex(indexed.folders.index(0))
    indexed.remove_button.click()
    box = indexed.remove_box
    assert box.isVisible() and "7 photos" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert indexed.folders.rowCount() == 1
    indexed.remove_button.click()
    remove = next(b for b in indexed.remove_box.buttons() if b.text() == "Remove")
    remove.click()
    qtbot.waitUntil(lambda: indexed.folders.rowCount() == 0, timeout=WAIT_MS)
    assert (photos / "red.jpg").is_file()


def test_open_without_a_program_for_photos_says_so(
    indexed: MainWindow, monkeypatch: pytest.MonkeyPatch, photos: Path
):
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: False)
    menu = indexed.context_menu([str(photos / "red.jpg")])
    next(a for a in menu.actions() if a.text() == "Open").trigger()
    message = indexed.statusBar().currentMessage()
    assert "No program" in message and ".jpg" in message


def test_importing_a_folder_that_is_not_a_pack_says_what_a_pack_is(
    indexed: MainWindow, qtbot: QtBot, tmp_path: Path, colour_pack: Path
):
    above = colour_pack.parent  # the user picked the folder holding the pack
    setup = ModelSetupDialog(indexed.library, indexed)
    qtbot.addWidget(setup)
    setup.import_folder(str(above))
    qtbot.waitUntil(lambda: "not a model pack" in setup.message.text(), timeout=WAIT_MS)
    text = setup.message.text()
    assert "config.json" in text and str(colour_pack) in text and "missing" not in text


def test_the_image_chip_has_an_icon_not_an_emoji(indexed: MainWindow, photos: Path):
    indexed.add_query_images([("red.jpg", str(photos / "red.jpg"))])
    (chip,) = indexed.search_bar.chip_widgets()
    assert not chip.icon().isNull() and "🖼" not in chip.text()


# QDragEnterEvent has only the QPoint constructor, which PySide6 marks deprecated
@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")
def test_dropping_a_thumbnail_on_the_search_bar_searches_by_it(indexed: MainWindow, qtbot: QtBot):
    row = next(i for i in range(7) if indexed.results.result(i).path.endswith("green.jpg"))
    mime = indexed.results.mimeData([indexed.results.index(row)])
    edit = indexed.search_bar.edit
    point = QPointF(edit.rect().center())
    actions, button, none = (
        Qt.DropAction.CopyAction,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(point.toPoint(), actions, mime, button, none)
    QApplication.sendEvent(edit, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(edit, QDropEvent(point, actions, mime, button, none))
    assert edit.text() == ""  # searched by, not typed in
    qtbot.waitUntil(lambda: shown(indexed)[:1] == ["green.jpg"], timeout=WAIT_MS)
    assert [Path(p).name for _label, p in indexed.query.images] == ["green.jpg"]
