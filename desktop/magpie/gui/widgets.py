"""The grid's delegate and view, and the search bar with its image chips."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QWidget,
)

from magpie.gui.badges import paint_badges
from magpie.gui.item_models import FailedRole

TEXT_LINES = 1
PADDING = 6


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a thumbnail (or a quiet placeholder until it loads) and the file name."""

    def __init__(self, size: int, parent: Any = None) -> None:
        super().__init__(parent)
        self.size = size

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        line = option.fontMetrics.height()
        return QSize(self.size + 2 * PADDING, self.size + 2 * PADDING + line * TEXT_LINES + 2)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        palette = option.palette
        cell = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(cell.adjusted(1, 1, -1, -1), 6, 6)
        box = QRect(cell.x() + PADDING, cell.y() + PADDING, self.size, self.size)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            scaled = pixmap
            if max(pixmap.width(), pixmap.height()) > self.size:
                scaled = pixmap.scaled(
                    self.size,
                    self.size,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            x = box.x() + (box.width() - scaled.width()) // 2
            y = box.y() + (box.height() - scaled.height()) // 2
            painter.drawPixmap(x, y, scaled)
            paint_badges(painter, QRect(x, y, scaled.width(), scaled.height()), index)
        else:
            placeholder = QColor(palette.color(QPalette.ColorRole.Mid))
            placeholder.setAlpha(60)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(placeholder)
            painter.drawRoundedRect(box.adjusted(4, 4, -4, -4), 4, 4)
            if index.data(FailedRole):
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "cannot show")
        text_rect = QRect(
            cell.x() + PADDING, box.bottom() + 2, self.size, option.fontMetrics.height()
        )
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(palette.color(role))
        name = option.fontMetrics.elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole) or ""),
            Qt.TextElideMode.ElideMiddle,
            self.size,
        )
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, name
        )
        painter.restore()


class PhotoGrid(QListView):
    """Icon-mode list of photos: uniform cells, drag out, Enter/Space to preview."""

    previewRequested = Signal(QModelIndex)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setUniformItemSizes(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWrapping(True)
        self.setSpacing(4)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.activated.connect(self.previewRequested)  # double-click (or Enter) opens the preview

    def fill_width(self) -> None:
        """Spread the columns over the whole width (no ragged gap on the right)."""
        delegate = self.itemDelegate()
        if not isinstance(delegate, ThumbnailDelegate):
            return
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        hint = delegate.sizeHint(option, QModelIndex())
        available = self.viewport().width() - 2 * self.spacing()
        cell = hint.width() + 2 * self.spacing()
        columns = max(1, available // cell)
        self.setGridSize(QSize(available // columns, hint.height() + 2 * self.spacing()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fill_width()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        preview_keys = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if event.key() in preview_keys and self.currentIndex().isValid():
            self.previewRequested.emit(self.currentIndex())
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            event.accept()  # never deletes anything: Magpie does not touch photo files
            return
        super().keyPressEvent(event)


class SearchLineEdit(QLineEdit):
    """Esc clears; Down moves into the results; pasting or dropping an image or a file (a
    thumbnail from the grid too) becomes an image query, not text."""

    imagePasted = Signal()
    downPressed = Signal()
    filesDropped = Signal(object)  # the QMimeData of a drop that holds files or an image

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste) and clipboard_has_image_query():
            self.imagePasted.emit()
            return
        if event.key() == Qt.Key.Key_Down:
            self.downPressed.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.clear()
            self.textEdited.emit("")
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()  # files are searched by, never typed in as text
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            self.filesDropped.emit(event.mimeData())
            event.acceptProposedAction()
        else:
            super().dropEvent(event)

    def event(self, event: QEvent) -> bool:
        # let our paste handling win over QLineEdit's own shortcut when it applies
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Paste)
            and clipboard_has_image_query()
        ):
            event.accept()
            return True
        return super().event(event)


def clipboard_has_image_query() -> bool:
    mime = QGuiApplication.clipboard().mimeData()
    if mime is None:
        return False
    if mime.hasImage() or any(u.isLocalFile() for u in mime.urls()):
        return True
    text = mime.text().strip()
    if text.startswith("file://"):
        return True
    from pathlib import Path

    from magpie.core.imaging import is_supported

    return (
        bool(text) and "\n" not in text and is_supported(text) and Path(text).expanduser().is_file()
    )


class Chip(QToolButton):
    """A removable image in the search bar."""

    removeRequested = Signal()

    def __init__(self, label: str, icon: QIcon | None, parent: Any = None) -> None:
        super().__init__(parent)
        self.setText(f"{label}  ✕")
        self.setToolTip(f"Searching by {label}: click to remove")
        if icon is not None and not icon.isNull():
            self.setIcon(icon)
            self.setIconSize(QSize(16, 16))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setAutoRaise(True)
        self.setObjectName("chip")
        self.clicked.connect(self.removeRequested)


class SearchBar(QFrame):
    """Chips for image queries, then the text field."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(4)
        self._chips = QHBoxLayout()
        self._chips.setSpacing(2)
        layout.addLayout(self._chips)
        self.edit = SearchLineEdit(self)
        self.edit.setFrame(False)
        self.edit.setClearButtonEnabled(True)
        self.edit.setPlaceholderText(
            "Search your photos: “a dog on a bench”, or drop an image here"
        )
        layout.addWidget(self.edit, 1)

    def set_chips(self, chips: list[Chip]) -> None:
        while self._chips.count():
            item = self._chips.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for chip in chips:
            self._chips.addWidget(chip)

    def chip_widgets(self) -> list[QWidget]:
        return [self._chips.itemAt(i).widget() for i in range(self._chips.count())]
