"""Albums in the side panel: names with counts, smart albums marked, photos dropped onto one
are added to it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from magpie.core.albums import Album
from magpie.gui.icons import icon

Index = QModelIndex | QPersistentModelIndex
AlbumNameRole = Qt.ItemDataRole.UserRole + 20
SmartRole = Qt.ItemDataRole.UserRole + 21


class AlbumsModel(QAbstractListModel):
    photosDropped = Signal(str, list)  # album name, photo paths

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._albums: list[Album] = []

    def set_albums(self, albums: list[Album]) -> None:
        self.beginResetModel()
        self._albums = list(albums)
        self.endResetModel()

    def album(self, row: int) -> Album:
        return self._albums[row]

    def names(self) -> list[str]:
        return [a.name for a in self._albums]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        return 0 if parent.isValid() else len(self._albums)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._albums):
            return None
        album = self._albums[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            count = "…" if album.count is None else f"{album.count:,}"
            return f"{album.name}  ({count})"
        if role == Qt.ItemDataRole.DecorationRole:  # an icon, not an emoji: fonts may lack it
            return icon("smart" if album.smart is not None else "album")
        if role == Qt.ItemDataRole.ToolTipRole:
            if album.smart is not None:
                return f"Smart album: {album.smart.describe()} (stays current)"
            return "Drop photos here to add them"
        if role == AlbumNameRole:
            return album.name
        if role == SmartRole:
            return album.smart is not None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self._albums[index.row()].smart is None:  # a smart album's photos follow its search
            flags |= Qt.ItemFlag.ItemIsDropEnabled
        return flags

    # --- photos dropped onto an album -------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        return (
            parent.isValid()
            and bool(self.flags(parent) & Qt.ItemFlag.ItemIsDropEnabled)
            and data.hasUrls()
            and any(u.isLocalFile() for u in data.urls())
        )

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        paths = [u.toLocalFile() for u in data.urls() if u.isLocalFile()]
        self.photosDropped.emit(self._albums[parent.row()].name, paths)
        return True


class AlbumsPanel(QWidget):
    """The list and its buttons; the Organizer does the work."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.model = AlbumsModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setSpacing(2)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.new_button = QPushButton("New album…")
        self.save_search_button = QPushButton("Save search…")
        self.save_search_button.setToolTip(
            "Keep the current search as a smart album: it stays current as photos come and go"
        )
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Forget the album; its photos are not touched")
        self.duplicates_button = QPushButton("Find duplicates…")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        self.title = QLabel("<b>Albums</b>")  # hidden where a sidebar section gives the title
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.save_search_button)
        buttons.addWidget(self.delete_button)
        layout.addLayout(buttons)
        layout.addWidget(self.duplicates_button)

    def selected_name(self) -> str | None:
        index = self.view.currentIndex()
        return index.data(AlbumNameRole) if index.isValid() else None
