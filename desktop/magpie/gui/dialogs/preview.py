"""The photo preview: the picture large with its details; arrows move through the results."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from magpie.core.records import PhotoDetails
from magpie.gui.host import EngineHost
from magpie.gui.item_models import FileIdRole, PathRole, ResultsModel, TimeRole
from magpie.gui.thumbnails import load_qimage
from magpie.gui.video_preview import add_play_button, video_details
from magpie.gui.wording import file_size

PREVIEW_SIZE = 1600


class _Relay(QObject):
    """Carries worker results to the GUI thread."""

    image = Signal(str, QImage)


def _format_details(details: PhotoDetails) -> str:
    lines = [details.path]
    if details.width:
        lines.append(f"{details.width} × {details.height} pixels")
    lines.append(file_size(details.size))
    if details.taken_at:
        moment = datetime.fromtimestamp(details.taken_at, tz=timezone.utc)
        lines.append(f"taken {moment:%Y-%m-%d %H:%M}")
    if details.camera:
        lines.append(details.camera)
    if details.gps_lat is not None and details.gps_lon is not None:
        lines.append(f"GPS {details.gps_lat:.5f}, {details.gps_lon:.5f}")
    lines += video_details(details)
    return "\n".join(lines)


class PreviewDialog(QDialog):
    """The photo large with its details; ←/→ move through the results, Esc closes."""

    def __init__(
        self, model: ResultsModel, row: int, host: EngineHost, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview")
        self.model, self.host, self.row = model, host, row
        self.relay = _Relay()
        self.relay.image.connect(self._image_ready)
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(320, 240)
        self.info = QLabel(textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.info)
        self.play = add_play_button(self, layout)
        self._pixmap = QPixmap()
        self.resize(1000, 760)
        self.show_row(row)

    def show_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        self.row = row
        index = self.model.index(row)
        path, file_id = index.data(PathRole), index.data(FileIdRole)
        seconds = index.data(TimeRole)
        self.play.show_for(path, seconds)
        self.setWindowTitle(Path(path).name)
        self.picture.setText("Loading…")
        self._pixmap = QPixmap()
        self.info.setText(path)
        relay = self.relay

        def load() -> None:  # worker: decode off the GUI thread
            relay.image.emit(path, load_qimage(path, None, None, PREVIEW_SIZE, seconds))

        self.host.run_in_background(load)
        self.host.details(file_id, lambda details: self._details_ready(file_id, details))

    def _image_ready(self, path: str, image: QImage) -> None:
        if path != self.model.index(self.row).data(PathRole):
            return  # the user moved on
        if image.isNull():
            self.picture.setText("This photo cannot be shown")
            return
        self._pixmap = QPixmap.fromImage(image)
        self._fit()

    def _details_ready(self, file_id: int, details: PhotoDetails) -> None:
        if file_id == self.model.index(self.row).data(FileIdRole):
            self.info.setText(_format_details(details))

    def _fit(self) -> None:
        if not self._pixmap.isNull():
            self.picture.setPixmap(
                self._pixmap.scaled(
                    self.picture.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Right, Qt.Key.Key_Down):
            self.show_row(self.row + 1)
        elif event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            self.show_row(self.row - 1)
        else:
            super().keyPressEvent(event)
