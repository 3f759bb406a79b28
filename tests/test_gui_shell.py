"""The window's shell: themes, icons, sidebar, menus and shortcuts, accessibility, tab order."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from magpie.assets import resource
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.core.records import FolderStatus
from magpie.gui.app import create_window
from magpie.gui.dialogs import AboutDialog, FailuresDialog, SettingsDialog, ShortcutsDialog
from magpie.gui.icons import NAMES, icon
from magpie.gui.item_models import PathRole
from magpie.gui.main_window import MainWindow
from magpie.gui.shell import unnamed
from magpie.gui.sidebar import FolderStates
from magpie.gui.theme import Theme, palette, stylesheet
from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

WAIT_MS = 15_000
Role = QPalette.ColorRole


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, colour_pack: Path, photos: Path) -> Any:
    library = tmp_path / "library"
    import_pack(Library(library), colour_pack)
    window = create_window(str(library))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.ready, timeout=WAIT_MS)
    window.add_folder(str(photos))
    qtbot.waitUntil(
        lambda: window.results.rowCount() == 7 and window.indexing_state == "idle",
        timeout=WAIT_MS,
    )
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    yield window
    window.theme.set_choice("system")  # the application palette outlives the window
    window.organize.background.wait()
    window.host.shutdown()
    window.thumbnails.wait()


def is_dark() -> bool:
    return QGuiApplication.palette().color(Role.Window).lightness() < 128


# --- themes and icons -----------------------------------------------------------------------


def test_stylesheet_has_no_fixed_colours_and_fills_every_derived_one():
    qss = resource("style.qss").read_text(encoding="utf-8")
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", qss)  # colours: palette roles only
    for dark in (False, True):
        sheet = stylesheet(palette(dark))
        assert "@" not in sheet  # every @name was replaced by a colour of this palette
    assert stylesheet(palette(True)) != stylesheet(palette(False))


def test_palettes_keep_text_readable():
    for dark in (False, True):
        colours = palette(dark)
        text, base = colours.color(Role.Text), colours.color(Role.Base)
        assert abs(text.lightness() - base.lightness()) > 180
        assert (colours.color(Role.Window).lightness() < 128) == dark


def test_theme_follows_the_system_live_unless_a_choice_is_made(qtbot: QtBot, tmp_path: Path):
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    theme = Theme(settings)
    hints = QGuiApplication.styleHints()
    try:
        with qtbot.waitSignal(theme.changed):
            hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # as the desktop does
        assert theme.dark and is_dark()
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert not theme.dark and not is_dark()
        theme.set_choice("dark")
        assert is_dark()
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)  # the user's choice wins
        assert is_dark()
        assert Theme(settings).choice == "dark"  # kept in the settings
        with pytest.raises(ValueError, match="must be one of"):
            theme.set_choice("sepia")
    finally:
        theme.set_choice("light")
        theme.deleteLater()


def test_every_icon_is_shipped_and_drawn_in_the_palette_text_colour(qtbot: QtBot):
    app = QApplication.instance()
    before = app.palette()
    try:
        for dark in (False, True):
            app.setPalette(palette(dark))
            want = palette(dark).color(Role.WindowText)
            for name in NAMES:
                image = icon(name).pixmap(QSize(32, 32)).toImage()
                inked = [
                    image.pixelColor(x, y)
                    for x in range(32)
                    for y in range(32)
                    if image.pixelColor(x, y).alpha() == 255
                ]
                assert inked, f"{name} draws nothing"
                assert all(abs(c.lightness() - want.lightness()) < 8 for c in inked), name
    finally:
        app.setPalette(before)


def test_icons_are_drawn_at_device_pixels(qtbot: QtBot):
    widget = QWidget()
    qtbot.addWidget(widget)
    pixmap = icon("folder").pixmap(QSize(16, 16), 2.0)
    assert pixmap.size() == QSize(32, 32) and pixmap.devicePixelRatio() == 2.0


def test_no_emoji_in_the_gui_sources():
    gui = Path(__file__).resolve().parents[1] / "desktop" / "magpie" / "gui"
    found = [
        f"{path.name}: {ch!r}"
        for path in gui.rglob("*.py")
        for ch in path.read_text(encoding="utf-8")
        if 0x1F300 <= ord(ch) <= 0x1FAFF or 0x2600 <= ord(ch) <= 0x26FF or ord(ch) == 0x25B6
    ]
    assert found == []


def test_view_menu_switches_the_theme(window: MainWindow):
    window.theme_actions["dark"].trigger()
    assert is_dark() and window.gui_settings.value("theme") == "dark"
    window.theme_actions["light"].trigger()
    assert not is_dark()
    window.theme_actions["system"].trigger()
    assert window.theme.choice == "system"


# --- sidebar --------------------------------------------------------------------------------


def test_sidebar_sections_and_the_hook_for_more(window: MainWindow):
    sidebar = window.sidebar
    assert list(sidebar.sections) == ["Library", "Folders", "Albums", "Duplicates", "Places"]
    assert sidebar.sections["Places"].body is window.places_panel
    more = QLabel("more goes here")
    section = sidebar.add_section("More", "info", more, stretch=1)
    assert list(sidebar.sections)[-1] == "More" and section.body is more
    layout = sidebar.layout()
    assert layout.indexOf(section) == layout.indexOf(sidebar.engine_state) - 1  # state stays last
    with pytest.raises(ValueError, match="already"):
        sidebar.add_section("More", "info", QLabel())
    assert "colour" in sidebar.engine_state.text() and "Watching 1 folder" in (
        sidebar.engine_state.text()
    )


def test_sidebar_folder_shows_path_count_and_state(qtbot: QtBot, qtmodeltester: Any):
    model = FolderStates()
    model.set_folders(
        [
            FolderStatus("/photos/trips", 12, True, "native"),
            FolderStatus("/mnt/nas/old", 3, False, "polling"),
        ]
    )
    qtmodeltester.check(model)
    first, second = model.index(0), model.index(1)
    assert first.data() == "trips\n12 photos · watching"
    assert first.data(Qt.ItemDataRole.ToolTipRole).startswith("/photos/trips\n")
    assert second.data() == "old\n3 photos · unreachable"
    model.set_indexing("/photos/trips")
    assert first.data().endswith("· indexing")
    model.set_paused(True)
    assert first.data().endswith("· paused") and second.data().endswith("· unreachable")
    assert not first.data(Qt.ItemDataRole.DecorationRole).isNull()


def test_clicking_a_folder_filters_and_all_photos_clears(window: MainWindow, qtbot: QtBot):
    rect = window.folder_list.visualRect(window.folders.index(0))
    qtbot.mouseClick(window.folder_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.query.folder == window.folders.index(0).data(PathRole)
    assert not window.all_photos.isChecked()
    window.all_photos.click()
    assert window.query.folder is None and window.all_photos.isChecked()


# --- menus and shortcuts --------------------------------------------------------------------


@pytest.mark.parametrize("keys", ["F1", "Ctrl+/"])
def test_shortcut_list_keys(window: MainWindow, qtbot: QtBot, keys: str):
    QTest.keySequence(window, QKeySequence(keys))
    qtbot.waitUntil(lambda: getattr(window, "shortcuts_dialog", None) is not None)
    dialog = window.shortcuts_dialog
    assert dialog.isVisible()
    rows = dict(dialog.rows())
    assert "F1, Ctrl+/" in rows
    assert rows["Delete"].startswith("Nothing happens to files")
    dialog.close()


def test_keyboard_shortcuts(window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch):
    window.grid.setFocus()
    QTest.keySequence(window.grid, QKeySequence("Ctrl+F"))
    assert window.search_bar.edit.hasFocus()

    QTest.keySequence(window.grid, QKeySequence("Ctrl+A"))
    assert len(window.grid.selectionModel().selectedIndexes()) == 7

    window.grid.setCurrentIndex(window.results.index(0))
    qtbot.keyClick(window.grid, Qt.Key.Key_Right)
    assert window.grid.currentIndex().row() == 1
    qtbot.keyClick(window.grid, Qt.Key.Key_Left)
    assert window.grid.currentIndex().row() == 0

    qtbot.keyClick(window.grid, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.preview is not None and window.preview.isVisible())
    window.preview.close()

    asked: list[str] = []
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda *a, **k: asked.append("open") or ""
    )
    window.activateWindow()
    QTest.keySequence(window.grid, QKeySequence("Ctrl+O"))
    assert asked == ["open"]

    QTest.keySequence(window.grid, QKeySequence("Ctrl+Q"))
    qtbot.waitUntil(lambda: not window.isVisible())


def test_move_to_trash_confirms_and_yes_moves_one(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
):
    from send2trash import plat_other  # the trash is a folder under the test's own HOME

    assert plat_other
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    window.grid.setFocus()
    window.grid.setCurrentIndex(window.results.index(0))
    path = window.results.index(0).data(PathRole)
    (trash,) = [a for a in window.menu_actions if a.text().startswith("Move selection to trash")]
    assert trash.shortcut().isEmpty()  # Delete does nothing to files: only the menu moves them
    trash.trigger()
    qtbot.waitUntil(lambda: not os.path.exists(path), timeout=WAIT_MS)


def test_delete_with_nothing_selected_moves_nothing(window: MainWindow, qtbot: QtBot):
    window.grid.clearSelection()
    window.trash_selection()
    assert "nothing was moved" in window.statusBar().currentMessage()


# --- accessibility --------------------------------------------------------------------------


def test_every_control_of_the_window_has_an_accessible_name(window: MainWindow):
    assert unnamed(window) == []
    window.find_similar([window.results.index(0).data(PathRole)])  # a chip in the search bar
    assert unnamed(window) == []


def test_every_control_of_the_dialogs_has_an_accessible_name(window: MainWindow, qtbot: QtBot):
    window.organize.open_duplicates()
    dialogs: list[QWidget] = [
        SettingsDialog(window.library, window.status.folders, "CPU", window, "", window.host),
        ShortcutsDialog(window.menu_actions, window),
        AboutDialog(str(window.library.root), "colour", window),
        FailuresDialog([], window),
        window.open_exclusions(),
        window.organize.duplicates_dialog,
    ]
    window.open_preview(window.results.index(0))
    dialogs.append(window.preview)
    for dialog in dialogs:
        dialog.show()
        qtbot.waitExposed(dialog)
        assert unnamed(dialog) == [], type(dialog).__name__
        dialog.close()


def test_tab_walks_the_window_in_a_sane_order(window: MainWindow, qtbot: QtBot):
    window.search_bar.edit.setFocus()
    seen = [QApplication.focusWidget()]
    for _ in range(20):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    order = [
        window.search_bar.edit,
        window.by_image,
        window.settings_button,
        window.all_photos,
        window.add_button,
        window.remove_button,
        window.folder_list,
        window.organize.panel.view,
    ]
    assert seen[: len(order)] == order
    assert window.grid in seen and window.size_slider in seen
    assert seen.index(window.grid) < seen.index(window.size_slider)
    assert all(w is not None and w.window() is window for w in seen)  # never lost
