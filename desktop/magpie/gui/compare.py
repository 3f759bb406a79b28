"""Compare on my photos: both models' results for the same queries, side by side, while the
new model indexes in the background (magpie.core.switching); switch now, or let it switch
by itself when it is done."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from magpie.gui.host import EngineHost
from magpie.gui.tasks import Failure

RESULTS = 12
ICON = 96
STATES = {
    "indexing": "indexing your photos with {candidate}: {done} of {total}",
    "ready": "{candidate} has indexed all {total} photos: switch when you like",
    "switched": "now using {candidate}",
    "cancelled": "switch cancelled: still using {current}",
    "failed": "switching failed: {error}",
}


def _rows(results: list[Any], thumbnails: Any) -> list[tuple[str, float, QImage]]:
    """Runs in a worker: QImage only (QPixmap is made on the GUI thread)."""
    rows = []
    for result in results:
        image = QImage()
        if result.fingerprint:
            image.load(str(thumbnails.path_for(result.fingerprint)))
        if not image.isNull():
            image = image.scaled(
                ICON,
                ICON,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        rows.append((result.path, result.score, image))
    return rows


class CompareDialog(QDialog):
    def __init__(self, host: EngineHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.setWindowTitle("Compare models on my photos")
        self.state = QLabel("starting…")
        self.state.setWordWrap(True)
        self.query = QLineEdit(placeholderText="Type a search to compare both models")
        self.compare_button = QPushButton("Compare")
        self.current_title, self.candidate_title = QLabel("In use"), QLabel("New model")
        self.current_list, self.candidate_list = QListWidget(), QListWidget()
        for view in (self.current_list, self.candidate_list):
            view.setViewMode(QListWidget.ViewMode.IconMode)
            view.setIconSize(QSize(ICON, ICON))
            view.setResizeMode(QListWidget.ResizeMode.Adjust)
            view.setWordWrap(True)
        self.switch_button = QPushButton("Switch now")
        self.cancel_button = QPushButton("Cancel the switch")
        self.close_button = QPushButton("Close (keeps indexing)")
        query_row = QHBoxLayout()
        query_row.addWidget(self.query, 1)
        query_row.addWidget(self.compare_button)
        grid = QGridLayout()
        grid.addWidget(self.current_title, 0, 0)
        grid.addWidget(self.candidate_title, 0, 1)
        grid.addWidget(self.current_list, 1, 0)
        grid.addWidget(self.candidate_list, 1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.switch_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(query_row)
        layout.addLayout(grid, 1)
        layout.addLayout(buttons)
        self.query.returnPressed.connect(self.compare)
        self.compare_button.clicked.connect(self.compare)
        self.switch_button.clicked.connect(self.switch_now)
        self.cancel_button.clicked.connect(self.cancel_switch)
        self.close_button.clicked.connect(self.accept)
        host.switchChanged.connect(self._status)
        self.resize(900, 600)

    def _status(self, status: Any) -> None:
        self.state.setText(STATES.get(status.state, "{state}").format(**vars(status)))
        self.current_title.setText(f"In use: {status.current}")
        self.candidate_title.setText(f"New: {status.candidate}")
        live = status.state in ("indexing", "ready")
        self.switch_button.setEnabled(live)
        self.cancel_button.setEnabled(live)

    def compare(self) -> None:
        """Both models answer the query in the background; the grid fills when they are done."""
        text = self.query.text().strip()
        if not text or self.host.switch is None:
            return

        def rows(row: Any, thumbnails: Any) -> tuple[list, list]:  # query lane
            return _rows(row.current, thumbnails), _rows(row.candidate, thumbnails)

        def failed(failure: Failure) -> None:  # shown in the lists, never raised into Qt
            self._show(text, [("", 0.0, QImage())], [(failure.message, 0.0, QImage())])

        self.host.compare_models(
            text, RESULTS, rows, lambda both: self._show(text, *both), failed=failed
        )

    def _show(self, text: str, current: list, candidate: list) -> None:
        if text != self.query.text().strip():
            return  # a newer query is on its way
        for view, rows in ((self.current_list, current), (self.candidate_list, candidate)):
            view.clear()
            for path, score, image in rows:
                item = QListWidgetItem(f"{Path(path).name}\n{score:.3f}")
                item.setToolTip(path)
                if not image.isNull():
                    item.setIcon(QIcon(QPixmap.fromImage(image)))
                view.addItem(item)

    def names(self, view: QListWidget) -> list[str]:
        return [Path(view.item(i).toolTip()).name for i in range(view.count())]

    def switch_now(self) -> None:
        switch = self.host.switch
        if switch is not None:  # its own thread: it waits for the batch in flight
            threading.Thread(target=switch.switch_now, name="magpie-switch-now").start()

    def cancel_switch(self) -> None:
        if self.host.switch is not None:
            self.host.switch.cancel()
