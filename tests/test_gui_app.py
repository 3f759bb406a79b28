"""The desktop app starts and shows its window (offscreen)."""

from __future__ import annotations

from desktop.gui.app import MainWindow


def test_main_window_shows(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "Magpie"
    assert window.search.placeholderText().startswith("Search your photos")
