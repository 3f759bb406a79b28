"""The exclusions editor in the real window: from a folder's context menu and from Settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.gui.app import create_window
from magpie.gui.dialogs import SettingsDialog
from magpie.gui.exclusions_dialog import ExclusionsDialog
from magpie.gui.main_window import MainWindow
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

WAIT_MS = 15_000


@pytest.fixture
def indexed(qtbot: QtBot, tmp_path: Path, colour_pack: Path, photos: Path):
    root = tmp_path / "library"
    import_pack(Library(root), colour_pack)
    window = create_window(str(root))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.ready, timeout=WAIT_MS)
    window.add_folder(str(photos))
    qtbot.waitUntil(
        lambda: window.status.images == 7 and window.results.rowCount() == 7, timeout=WAIT_MS
    )
    yield window
    window.host.shutdown()
    window.thumbnails.wait()


def shown(window: MainWindow) -> set[str]:
    return {Path(window.results.result(i).path).name for i in range(window.results.rowCount())}


def rules(dialog: ExclusionsDialog) -> list[str]:
    return [dialog.rules.item(i).text() for i in range(dialog.rules.count())]


def open_from_folder_menu(window: MainWindow, folder: str, qtbot: QtBot) -> ExclusionsDialog:
    menu = window.folder_menu(folder)
    labels = [a.text() for a in menu.actions() if a.text()]
    assert labels == ["Excluded photos…", "Exclude a sub-folder…", "Remove"]
    next(a for a in menu.actions() if a.text() == "Excluded photos…").trigger()
    dialog = window.findChild(ExclusionsDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.summary.text() != "Loading…", timeout=WAIT_MS)
    return dialog


def test_exclude_from_the_folder_menu_hides_at_once_and_includes_again(
    indexed: MainWindow, qtbot: QtBot, photos: Path
) -> None:
    dialog = open_from_folder_menu(indexed, str(photos), qtbot)
    assert dialog.scope.currentData() == str(photos)  # scoped to the folder clicked
    assert rules(dialog) == []
    dialog.pattern.setCurrentText("trip")
    dialog.add_button.click()
    qtbot.waitUntil(lambda: "blue-2.png" not in shown(indexed), timeout=WAIT_MS)
    assert len(shown(indexed)) == 6
    qtbot.waitUntil(lambda: rules(dialog) == [f"trip    (in {photos})"], timeout=WAIT_MS)
    assert "1 photos by name or folder" in dialog.summary.text()
    assert (photos / "trip" / "blue-2.png").is_file()

    dialog.rules.setCurrentRow(0)
    dialog.remove_button.click()
    qtbot.waitUntil(lambda: "blue-2.png" in shown(indexed), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: rules(dialog) == [], timeout=WAIT_MS)


def test_sub_folder_size_limits_and_purge(
    indexed: MainWindow, qtbot: QtBot, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = open_from_folder_menu(indexed, str(photos), qtbot)
    dialog.exclude_path(str(photos / "trip"))  # what "Exclude a sub-folder…" picks
    qtbot.waitUntil(lambda: "blue-2.png" not in shown(indexed), timeout=WAIT_MS)

    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)  # its listing is in
    dialog.min_side.setValue(100)  # the test photos are 64x48: all hidden
    dialog.limits_button.click()
    qtbot.waitUntil(lambda: indexed.results.rowCount() == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "6 by size" in dialog.summary.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    dialog.min_side.setValue(0)
    dialog.limits_button.click()
    qtbot.waitUntil(lambda: len(shown(indexed)) == 6, timeout=WAIT_MS)

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: dialog.purge_button.isEnabled(), timeout=WAIT_MS)
    dialog.purge_button.click()
    qtbot.waitUntil(lambda: "Deleted the vectors of 1" in dialog.message.text(), timeout=WAIT_MS)
    assert (photos / "trip" / "blue-2.png").is_file()


def test_bad_pattern_shows_a_message(indexed: MainWindow, qtbot: QtBot, photos: Path) -> None:
    dialog = open_from_folder_menu(indexed, str(photos), qtbot)
    dialog.pattern.setCurrentText("a/../b")
    dialog.add_button.click()
    qtbot.waitUntil(lambda: "not a valid pattern" in dialog.message.text(), timeout=WAIT_MS)
    assert dialog.add_button.isEnabled()
    assert len(shown(indexed)) == 7


def test_settings_open_the_editor(
    indexed: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exec_clicking_the_button(dialog: SettingsDialog) -> int:
        dialog.exclusions_button.click()
        return 0  # then Cancel

    monkeypatch.setattr(SettingsDialog, "exec", exec_clicking_the_button)
    indexed.open_settings()
    editor = indexed.findChild(ExclusionsDialog)
    assert editor is not None and editor.scope.currentText() == "Every folder"
    qtbot.waitUntil(lambda: "No photo is kept out" in editor.summary.text(), timeout=WAIT_MS)


def test_a_stale_listing_never_overwrites_a_newer_one(indexed: MainWindow, qtbot: QtBot) -> None:
    """Two jobs share a lane of two threads: the older listing can come back last."""
    dialog = open_from_folder_menu(indexed, str(indexed.status.folders[0].path), qtbot)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    base = {"rules": [], "max_megapixels": 0.0, "hidden": {}, "writer": True}
    dialog._runs += 2  # two asked for; the newer one's listing arrives first
    dialog._show_listing({**base, "min_side": 100, "run": dialog._runs})
    dialog._show_listing({**base, "min_side": 0, "run": dialog._runs - 1})
    assert dialog.min_side.value() == 100
