"""Qt list models over the engine's results and folders (no engine logic here)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)

from magpie.core.engine import SearchResult
from magpie.core.records import FolderStatus
from magpie.gui import release
from magpie.gui.thumbnails import ThumbnailLoader


def accessible_text(path: str, stamp: float | None) -> str:
    """What a screen reader says for a photo: its name and day."""
    import time

    name = os.path.basename(path)
    if stamp is None:
        return name
    return f"{name}, {time.strftime('%d %B %Y', time.localtime(stamp)).lstrip('0')}"


PathRole = Qt.ItemDataRole.UserRole + 1
ScoreRole = Qt.ItemDataRole.UserRole + 2
FileIdRole = Qt.ItemDataRole.UserRole + 3
FailedRole = Qt.ItemDataRole.UserRole + 4
TimeRole = Qt.ItemDataRole.UserRole + 5  # a video moment's start (seconds), else None
CompanionsRole = Qt.ItemDataRole.UserRole + 6  # a pair's other files (RAW, Live Photo motion)
AspectRole = Qt.ItemDataRole.UserRole + 7  # width / height, None when unknown (the grid's rows)
TakenRole = Qt.ItemDataRole.UserRole + 8  # date taken, else modified (the timeline's groups)


def result_key(result: SearchResult) -> str:
    """One row per photo, and per moment of a video (same path, another time)."""
    return result.path if result.time is None else f"{result.path}\0{result.time}"


Index = QModelIndex | QPersistentModelIndex


class ResultsModel(QAbstractListModel):
    """Search results (or the library, newest first), paged; thumbnails loaded lazily."""

    moreRequested = Signal(int)  # offset of the next page

    def __init__(self, thumbnails: ThumbnailLoader, parent: Any = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self._rows: list[SearchResult] = []
        self._row_of: dict[str, int] = {}
        self._has_more = False
        self._fetching = False
        self.scored = False  # browsing the library has no scores to show
        thumbnails.ready.connect(self._thumbnail_ready)
        release.start()

    # --- content ----------------------------------------------------------------------------

    def set_results(self, results: list[SearchResult], has_more: bool, scored: bool) -> None:
        self.beginResetModel()  # a new query: everything changes
        old_rows, old_keys = self._rows, self._row_of
        self._rows = list(results)
        self._row_of = {result_key(r): i for i, r in enumerate(self._rows)}
        self._has_more = has_more
        self._fetching = False
        self.scored = scored
        self.endResetModel()
        release.release_in_background(old_rows, old_keys)  # 100k results: freed off the GUI thread

    def append_results(self, results: list[SearchResult], has_more: bool) -> None:
        fresh = [r for r in results if result_key(r) not in self._row_of]
        self._fetching = False
        self._has_more = has_more and bool(fresh)
        if not fresh:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for offset, result in enumerate(fresh):
            self._row_of[result_key(result)] = first + offset
        self._rows.extend(fresh)
        self.endInsertRows()

    def result(self, row: int) -> SearchResult:
        return self._rows[row]

    def results(self) -> list[SearchResult]:
        return list(self._rows)

    def refresh_thumbnails(self) -> None:
        if self._rows:
            self.dataChanged.emit(
                self.index(0), self.index(len(self._rows) - 1), [Qt.ItemDataRole.DecorationRole]
            )

    def _thumbnail_ready(self, key: str) -> None:
        row = self._row_of.get(key)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole, FailedRole])

    # --- QAbstractListModel ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        result = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(result.path)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnails.pixmap(
                result_key(result), result.path, result.fingerprint, result.time
            )
        if role == Qt.ItemDataRole.ToolTipRole:
            if self.scored:
                return f"{result.path}\nscore {result.score:.3f}"
            return result.path
        if role == PathRole:
            return result.path
        if role == ScoreRole:
            return result.score
        if role == FileIdRole:
            return result.file_id
        if role == FailedRole:
            return self.thumbnails.failed(result_key(result))
        if role == TimeRole:
            return result.time
        if role == CompanionsRole:
            return list(result.companions)
        if role == AspectRole:
            return result.aspect
        if role == TakenRole:
            return result.taken
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return accessible_text(result.path, result.taken)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._has_more and not self._fetching

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._fetching = True
            self.moreRequested.emit(len(self._rows))

    # --- dragging photos out: file URLs, as a native photo app does -------------------------

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime.setUrls([QUrl.fromLocalFile(self._rows[r].path) for r in rows])
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class FoldersModel(QAbstractListModel):
    """Watched folders with photo counts and state, for the side panel."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._folders: list[FolderStatus] = []
        self.indexing: str | None = None  # the folder being indexed, if any

    def set_folders(self, folders: list[FolderStatus]) -> None:
        new_paths = [f.path for f in folders]
        if new_paths != [f.path for f in self._folders]:
            self.beginResetModel()
            self._folders = list(folders)
            self.endResetModel()
            return
        changed = [
            i for i, (old, new) in enumerate(zip(self._folders, folders, strict=True)) if old != new
        ]
        self._folders = list(folders)
        for row in changed:  # only the rows and roles that changed, not a reset
            self.dataChanged.emit(
                self.index(row),
                self.index(row),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole],
            )

    def set_indexing(self, folder: str | None) -> None:
        """Only this folder says "indexing" (None: none does)."""
        if folder != self.indexing:
            self.indexing = folder
            if self._folders:
                self.dataChanged.emit(
                    self.index(0), self.index(len(self._folders) - 1), [Qt.ItemDataRole.DisplayRole]
                )

    def folder(self, row: int) -> FolderStatus:
        return self._folders[row]

    def paths(self) -> list[str]:
        return [f.path for f in self._folders]

    def owner(self, path: str) -> str | None:
        """The folder holding `path` (the innermost, where folders nest)."""
        holders = [p for p in self.paths() if path.startswith(os.path.join(p, ""))]
        return max(holders, key=len, default=None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._folders)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._folders):
            return None
        folder = self._folders[index.row()]
        name = Path(folder.path).name or folder.path
        if role == Qt.ItemDataRole.DisplayRole:
            state = (
                " · offline"
                if not folder.online
                else (" · indexing" if self.indexing == folder.path else "")
            )
            return f"{name}\n{folder.images:,} photos{state}"
        if role == Qt.ItemDataRole.ToolTipRole:
            watch = "polling" if folder.watch == "polling" else "native events"
            return f"{folder.path}\nwatched by {watch}"
        if role == PathRole:
            return folder.path
        return None
