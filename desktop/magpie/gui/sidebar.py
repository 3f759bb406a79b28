"""The window's sidebar: titled sections with icons (Library, Folders, Albums, Duplicates, and
whatever else registers through add_section), then the model and indexing state at the bottom.

A section is any widget; the sidebar gives it a title row (icon, title, optional buttons).
Places, built elsewhere, joins with `window.sidebar.add_section("Places", "places", widget)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QHBoxLayout,
    QLabel,
    QListView,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from magpie.gui.icons import icon
from magpie.gui.item_models import FoldersModel

Index = QModelIndex | QPersistentModelIndex
ICON = QSize(16, 16)


class FolderStates(FoldersModel):
    """The folders with their state in words and as an icon: indexing, watching, paused, or
    unreachable (a disconnected drive keeps its photos, marked, until it comes back)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.paused = False

    def set_paused(self, paused: bool) -> None:
        if paused != self.paused:
            self.paused = paused
            if self.rowCount():
                self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1))

    def state(self, row: int) -> str:
        folder = self.folder(row)
        if not folder.online:
            return "unreachable"
        if self.paused:
            return "paused"
        if self.indexing == folder.path:
            return "indexing"
        return "watching"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        folder = self.folder(index.row())
        state = self.state(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            name = Path(folder.path).name or folder.path
            return f"{name}\n{folder.images:,} photos · {state}"
        if role == Qt.ItemDataRole.ToolTipRole:
            how = "polling (for network drives)" if folder.watch == "polling" else "native events"
            return f"{folder.path}\n{folder.images:,} photos · {state}, watched by {how}"
        if role == Qt.ItemDataRole.DecorationRole:
            return icon("warning" if state == "unreachable" else "folder")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{folder.path}, {folder.images:,} photos, {state}"
        return super().data(index, role)


def tool_button(text: str, icon_name: str, tip: str = "", icon_only: bool = False) -> QToolButton:
    """A flat sidebar button; icon-only ones keep their text as the accessible name."""
    button = QToolButton(text=text)
    button.setIcon(icon(icon_name))
    button.setIconSize(ICON)
    button.setAccessibleName(text.rstrip("…"))
    button.setToolTip(tip or text)
    button.setAutoRaise(True)
    if icon_only:
        button.setObjectName("sectionButton")
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    else:
        button.setObjectName("sidebarItem")
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return button


class Section(QWidget):
    """A title row (icon, title, buttons) over one body widget."""

    def __init__(
        self,
        title: str,
        icon_name: str,
        body: QWidget,
        buttons: list[QAbstractButton] | None = None,
    ) -> None:
        super().__init__()
        self.title = title
        self.body = body
        self.setObjectName(f"section{title.replace(' ', '')}")
        self.setAccessibleName(title)
        mark = QLabel()
        mark.setPixmap(icon(icon_name).pixmap(ICON, self.devicePixelRatioF()))
        mark.setContentsMargins(8, 8, 0, 0)
        self.mark = mark
        self.icon_name = icon_name
        heading = QLabel(title.upper())
        heading.setObjectName("sectionTitle")
        heading.setBuddy(body)  # screen readers announce the body with its section's title
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 4, 0)
        head.setSpacing(0)
        head.addWidget(mark)
        head.addWidget(heading, 1)
        for button in buttons or []:
            head.addWidget(button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addWidget(body, 1)

    def recolour(self) -> None:
        """The title icon is a pixmap: drawn again in the new palette's colour."""
        self.mark.setPixmap(icon(self.icon_name).pixmap(ICON, self.devicePixelRatioF()))


class Sidebar(QWidget):
    def __init__(self, folders: FolderStates, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # the stylesheet's shade
        self.setAccessibleName("Sidebar")
        self.sections: dict[str, Section] = {}

        self.all_photos = tool_button("All photos", "image", "Every photo in your library")
        self.all_photos.setCheckable(True)
        self.all_photos.setChecked(True)

        self.folder_list = QListView()
        self.folder_list.setAccessibleName("Folders")
        self.folder_list.setModel(folders)
        self.folder_list.setIconSize(ICON)
        self.folder_list.setSpacing(1)
        self.folder_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.add_button = tool_button(
            "Add folder…", "add", "Add a folder of photos (Ctrl+O)", icon_only=True
        )
        self.remove_button = tool_button(
            "Remove",
            "remove",
            "Forget the selected folder; the photos on disk are not touched",
            icon_only=True,
        )
        self.remove_button.setAccessibleName("Remove folder")

        self.engine_state = QLabel("Opening your library…")
        self.engine_state.setObjectName("engineState")
        self.engine_state.setWordWrap(True)
        self.engine_state.setAccessibleName("Model and indexing state")

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 0, 4, 0)
        self._layout.setSpacing(4)
        self._layout.addWidget(self.engine_state)
        self.add_section("Library", "library", self.all_photos)
        self.add_section(
            "Folders", "folder", self.folder_list, [self.add_button, self.remove_button], stretch=2
        )

    def add_section(
        self,
        title: str,
        icon_name: str,
        widget: QWidget,
        buttons: list[QAbstractButton] | None = None,
        stretch: int = 0,
    ) -> Section:
        """Add a titled section above the state line (the hook for Places and later panels)."""
        if title in self.sections:
            raise ValueError(f"the sidebar already has a {title!r} section")
        section = Section(title, icon_name, widget, buttons)
        self._layout.insertWidget(self._layout.count() - 1, section, stretch)
        self.sections[title] = section
        return section

    def recolour(self) -> None:
        for section in self.sections.values():
            section.recolour()

    def set_state(self, model: str, device: str, indexing: str, folders: int) -> None:
        """The bottom line: which model runs where, and what indexing is doing."""
        doing = {
            "indexing": "Indexing",
            "paused": "Indexing paused",
        }.get(indexing, f"Watching {folders} folder{'s' if folders != 1 else ''}")
        where = f"{model} on {device.upper()}" if model else "No model yet"
        self.engine_state.setText(f"{where}\n{doing}")
