"""The search bar: its line edit (a pasted or dropped image becomes a query) and its chips."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QWidget,
)


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
