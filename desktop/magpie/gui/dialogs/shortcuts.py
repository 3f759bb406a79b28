"""The keyboard shortcut list (F1 or Ctrl+/): the menu's actions and the keys without one."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# keys that belong to a widget rather than to a menu action
OTHER_KEYS = [
    ("Down", "From the search box: move into the results"),
    ("Arrows", "In the results: move between photos (Shift: select as you go)"),
    ("Enter", "In the search box: search now; in the results: open the preview"),
    ("Space", "Open the preview of the selected photo"),
    ("Delete", "Nothing happens to files (Edit > Move selection to trash asks first)"),
    ("Esc", "Clear the search"),
    ("Left, Right", "In the preview: the previous or next photo"),
    ("Tab, Shift+Tab", "Move between the search box, the sidebar and the results"),
    ("Ctrl+C", "Copy the paths of the selected photos"),
    ("Ctrl+V", "Search by the image or file on the clipboard"),
]


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(keys, what they do) for each action with a shortcut, then the widgets' own keys."""
    rows = []
    for action in actions:
        keys = ", ".join(
            key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()
        )
        if keys:
            what = action.statusTip() or action.text().replace("&", "").rstrip("…")
            rows.append((keys, what))
    return rows + OTHER_KEYS


class ShortcutsDialog(QDialog):
    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(actions)
        self.table = QTableWidget(len(rows), 2)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Keys", "Does"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for row, (keys, what) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(what))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 600)

    def rows(self) -> list[tuple[str, str]]:
        return [
            (self.table.item(r, 0).text(), self.table.item(r, 1).text())
            for r in range(self.table.rowCount())
        ]
