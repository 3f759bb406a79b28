"""The main window's menu bar (File, Edit, View, Help): every command and its keys in sight."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from magpie.gui.icons import icon
from magpie.gui.theme import CHOICES

if TYPE_CHECKING:
    from magpie.gui.main_window import MainWindow


def build_menu_bar(window: MainWindow) -> list[QAction]:
    """Fill the window's menu bar; returns its actions (for the shortcut list)."""
    bar = window.menuBar()

    def new(
        text: str,
        slot: Callable[[], object],
        *keys: QKeySequence | QKeySequence.StandardKey | str,
        icon_name: str = "",
    ) -> QAction:
        action = QAction(text, window)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        if icon_name:
            action.setIcon(icon(icon_name))
        action.triggered.connect(slot)
        return action

    window.add_action.setIcon(icon("folder"))
    window.find_action.setIcon(icon("search"))
    window.quit_action.setIcon(icon("quit"))

    file_menu = bar.addMenu("&File")
    file_menu.addAction(window.add_action)
    file_menu.addAction(
        new("Search by image…", window.choose_query_image, "Ctrl+Shift+O", icon_name="image")
    )
    file_menu.addSeparator()
    file_menu.addAction(new("Settings…", window.open_settings, "Ctrl+,", icon_name="settings"))
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)

    edit_menu = bar.addMenu("&Edit")
    edit_menu.addAction(window.find_action)
    edit_menu.addAction(
        new("Select all photos", window.select_all_photos, "Ctrl+A", icon_name="library")
    )
    edit_menu.addAction(
        new("Find similar to the selection", window.find_similar_to_selection, icon_name="similar")
    )
    edit_menu.addAction(new("Copy path", window.copy_paths, icon_name="copy"))
    edit_menu.addAction(new("Search by clipboard image", window.paste, icon_name="image"))
    edit_menu.addSeparator()
    # no key: Delete does nothing to files (the grid says where this action is instead)
    trash = new("Move selection to trash…", window.trash_selection, icon_name="trash")
    trash.setStatusTip("Move the selected photos to the system trash, after you confirm")
    edit_menu.addAction(trash)

    view_menu = bar.addMenu("&View")
    view_menu.addAction(
        new("All photos", lambda: window.set_folder_filter(None), "Ctrl+0", icon_name="library")
    )
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
    theme_menu = view_menu.addMenu(icon("theme"), "Theme")
    group = QActionGroup(window)
    window.theme_actions = {}
    for choice, label in CHOICES.items():
        action = QAction(label, window, checkable=True)
        action.setChecked(window.theme.choice == choice)
        action.triggered.connect(lambda _checked=False, c=choice: window.theme.set_choice(c))
        group.addAction(action)
        theme_menu.addAction(action)
        window.theme_actions[choice] = action
    view_menu.addSeparator()
    view_menu.addAction(
        new("Files that could not be read", window.show_failures, icon_name="warning")
    )

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(
        new("Keyboard shortcuts", window.show_shortcuts, "F1", "Ctrl+/", icon_name="keyboard")
    )
    help_menu.addAction(new("About Magpie", window.show_about, icon_name="info"))
    actions = []
    for menu in (file_menu, edit_menu, view_menu, help_menu):
        actions += [a for a in menu.actions() if not a.isSeparator() and a.menu() is None]
    return actions
