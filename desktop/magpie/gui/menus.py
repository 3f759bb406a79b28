"""The main window's menu bar (File, Edit, View, Help): every command and its keys in sight."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from magpie.gui.main_window import MainWindow


def build_menu_bar(window: MainWindow) -> list[QAction]:
    """Fill the window's menu bar; returns its actions (for the shortcut list)."""
    bar = window.menuBar()

    def new(
        text: str, slot: Callable[[], object], *keys: QKeySequence | QKeySequence.StandardKey
    ) -> QAction:
        action = QAction(text, window)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        action.triggered.connect(slot)
        return action

    file_menu = bar.addMenu("&File")
    file_menu.addAction(window.add_action)
    file_menu.addAction(new("Search by image…", window.choose_query_image, "Ctrl+Shift+O"))
    file_menu.addSeparator()
    file_menu.addAction(new("Settings…", window.open_settings, "Ctrl+,"))
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)

    edit_menu = bar.addMenu("&Edit")
    edit_menu.addAction(window.find_action)
    edit_menu.addAction(new("Find similar to the selection", window.find_similar_to_selection))
    edit_menu.addAction(new("Copy path", window.copy_paths))
    edit_menu.addAction(new("Search by clipboard image", window.paste))

    view_menu = bar.addMenu("&View")
    view_menu.addAction(new("All photos", lambda: window.set_folder_filter(None), "Ctrl+0"))
    view_menu.addAction(
        new(
            "Larger thumbnails", lambda: window.step_thumb_size(+1), QKeySequence.StandardKey.ZoomIn
        )
    )
    view_menu.addAction(
        new(
            "Smaller thumbnails",
            lambda: window.step_thumb_size(-1),
            QKeySequence.StandardKey.ZoomOut,
        )
    )
    view_menu.addAction(window.names_action)
    view_menu.addAction(new("Files that could not be read", window.show_failures))

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(new("Keyboard shortcuts", window.show_shortcuts, "F1", "Ctrl+/"))
    help_menu.addAction(new("About Magpie", window.show_about))
    actions = []
    for menu in (file_menu, edit_menu, view_menu, help_menu):
        actions += [a for a in menu.actions() if not a.isSeparator()]
    return actions
