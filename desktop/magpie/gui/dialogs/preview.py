"""The photo preview: the picture large, zoomable, with its details beside it.

It opens at once: the grid's cached thumbnail is shown scaled up in the same frame, and the
full image is decoded on a background lane and swapped in when it is ready; the neighbours
are decoded ahead, so stepping with the arrows usually finds the full image waiting. The
window hands over the results in their order; ←/→ (or the buttons) move through them,
"Find similar" searches from the shown photo, Esc closes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPalette, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from magpie.core import imaging, video
from magpie.core.errors import DecodeError
from magpie.core.records import PhotoDetails
from magpie.core.search import SearchResult
from magpie.gui.host import EngineHost
from magpie.gui.icons import icon
from magpie.gui.thumbnails import ThumbnailLoader
from magpie.gui.video_preview import add_play_button, video_details
from magpie.gui.wording import file_size

MAX_SIDE = 8192  # a bigger photo is shown at this long side (a 100 MP frame is 400 MB)
# Fit-to-window draws a copy made by the worker at the size it is shown (at most this big):
# smooth-scaling a 24 MP pixmap on every paint would stall the GUI (measured: 100 ms); the
# photo's own pixels become a pixmap only when the zoom needs them.
SCREEN_SIDE = 2560
VIDEO_SIDE = 1080  # a video moment's frame, short side
KEEP_DECODED = 4  # decoded photos kept: the shown one and its neighbours
ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.02, 16.0


@dataclass(frozen=True)
class PreviewItem:
    """One entry of the list the preview steps through (a photo, or a video's moment)."""

    path: str
    file_id: int
    fingerprint: str | None = None
    time: float | None = None

    @property
    def key(self) -> str:  # as the grid's thumbnails are keyed (item_models.result_key)
        return self.path if self.time is None else f"{self.path}\0{self.time}"

    @classmethod
    def of(cls, result: SearchResult) -> PreviewItem:
        return cls(result.path, result.file_id, result.fingerprint, result.time)


@dataclass(frozen=True)
class Decoded:
    """A photo decoded by a worker, ready to become pixmaps on the GUI thread."""

    full: QImage  # the photo's own pixels, upright (RGB32: QPixmap takes it without converting)
    screen: QImage  # as big as it is shown to fit (the same image when that is not smaller)


def decode_full(
    path: str, seconds: float | None, box: tuple[int, int] = (SCREEN_SIDE, SCREEN_SIDE)
) -> Decoded | None:
    """The whole picture, upright, and a copy that fits `box` (worker thread); None if it
    cannot be read."""
    try:
        if video.is_video(path):
            picture = video.frame_at(path, seconds or 0.0, VIDEO_SIDE)
        else:
            picture = imaging.decode_image(path)
    except DecodeError:
        return None
    if max(picture.size) > MAX_SIDE:
        picture = imaging.make_thumbnail(picture, MAX_SIDE)
    data = picture.tobytes("raw", "RGB")
    packed = QImage(
        data, picture.width, picture.height, 3 * picture.width, QImage.Format.Format_RGB888
    )
    full = packed.convertToFormat(QImage.Format.Format_RGB32)  # a copy: `data` goes away
    screen = full
    box = (min(box[0], SCREEN_SIDE), min(box[1], SCREEN_SIDE))
    if full.width() > box[0] or full.height() > box[1]:
        screen = full.scaled(
            *box,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return Decoded(full, screen)


def format_details(details: PhotoDetails) -> str:
    """The details panel's lines: date, camera, lens, pixels and bytes, place, folder."""
    lines = []
    if details.taken_at:
        moment = datetime.fromtimestamp(details.taken_at, tz=timezone.utc)
        lines.append(f"Taken {moment:%Y-%m-%d %H:%M}")
    if details.camera:
        lines.append(f"Camera: {details.camera}")
    if details.lens:
        lines.append(f"Lens: {details.lens}")
    size = file_size(details.size)
    lines.append(f"{details.width} × {details.height} pixels, {size}" if details.width else size)
    if details.place:
        lines.append(f"Place: {details.place}")
    elif details.gps_lat is not None and details.gps_lon is not None:
        lines.append(f"GPS {details.gps_lat:.5f}, {details.gps_lon:.5f}")
    lines += video_details(details)
    lines.append(f"Folder: {Path(details.path).parent}")
    return "\n".join(lines)


class _Relay(QObject):
    """Carries decoded images from the workers to the GUI thread."""

    image = Signal(str, object)  # item key, Decoded (None: it could not be read)


class ImageView(QGraphicsView):
    """The picture: fit to the window or at a chosen zoom (100% = the photo's own pixels);
    the wheel and +/- zoom, dragging pans."""

    zoomChanged = Signal(str)  # "Fit" or "150%"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(self.palette().color(QPalette.ColorRole.Window).darker(115))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the dialog's keys step and zoom
        self.setAccessibleName("Photo")
        self.setMinimumSize(320, 240)
        self.fitting = True
        self._coarse = QPixmap()  # what fits the screen (or the thumbnail, until the photo)
        self._sharp: QImage | None = None  # the photo's own pixels, for zooming in
        self._sharp_pixmap: QPixmap | None = None
        self.message = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter)
        self.message.hide()

    def pixmap(self) -> QPixmap:
        return self.item.pixmap()

    def show_picture(self, pixmap: QPixmap, full: QSize, sharp: QImage | None = None) -> None:
        """`pixmap` drawn over `full` photo pixels (a thumbnail or the screen copy is
        stretched, so the zoom and the frame stay put when the sharper one comes); `sharp`:
        the photo's own pixels, swapped in when the zoom needs more than `pixmap` has."""
        self.message.hide()
        self._coarse = pixmap
        self._sharp = sharp if sharp is not None and sharp.size() != pixmap.size() else None
        self._sharp_pixmap = None
        self.scene().setSceneRect(0, 0, full.width(), full.height())
        self._draw(pixmap)
        if self.fitting:
            self.zoom_fit()
        else:
            self._pick_level()

    def _draw(self, pixmap: QPixmap) -> None:
        self.item.setPixmap(pixmap)
        rect = self.sceneRect()
        self.item.setScale(
            rect.width() / pixmap.width() if pixmap.width() and rect.width() else 1.0
        )

    def _pick_level(self) -> None:
        """The screen copy while it has pixels enough for the zoom; the photo's own beyond."""
        if self._sharp is None or self._coarse.isNull():
            return
        coarse_scale = self.sceneRect().width() / self._coarse.width()
        wanted = self._coarse
        if self.zoom() * coarse_scale > 1.0:
            if self._sharp_pixmap is None:
                self._sharp_pixmap = QPixmap.fromImage(self._sharp)  # once, when first needed
            wanted = self._sharp_pixmap
        if wanted.cacheKey() != self.item.pixmap().cacheKey():
            self._draw(wanted)

    def say(self, text: str) -> None:
        self.item.setPixmap(QPixmap())
        self._coarse, self._sharp, self._sharp_pixmap = QPixmap(), None, None
        self.message.setText(text)
        self.message.resize(self.viewport().size())
        self.message.show()

    def zoom_fit(self) -> None:
        self.fitting = True
        if not self.item.pixmap().isNull():
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
            self._pick_level()
        self.zoomChanged.emit("Fit")

    def zoom_actual(self) -> None:
        self.set_zoom(1.0)

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        self.fitting = False
        self.scale(factor / self.zoom(), factor / self.zoom())
        self._pick_level()
        self.zoomChanged.emit(f"{factor * 100:.0f}%")

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.set_zoom(self.zoom() * ZOOM_STEP**steps)
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.message.resize(self.viewport().size())
        if self.fitting:
            self.zoom_fit()


class PreviewDialog(QDialog):
    """The photo large with its details; ←/→ move through the results, Esc closes."""

    findSimilar = Signal(str, object)  # path, a video moment's time (or None)
    fullShown = Signal(str)  # the full image of this item key is on screen (benchmarks, tests)

    def __init__(
        self,
        items: list[PreviewItem],
        row: int,
        host: EngineHost,
        thumbnails: ThumbnailLoader | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview")
        self.items, self.host, self.thumbnails, self.row = items, host, thumbnails, row
        self.relay = _Relay()
        self.relay.image.connect(self._decoded)
        self._decoded_images: OrderedDict[str, Decoded | None] = OrderedDict()
        self._decoding: set[str] = set()
        self.full_shown = False  # the shown item's full image (not its thumbnail) is up
        self.opened_at = 0.0

        self.picture = ImageView()
        self.zoom_label = QLabel("Zoom: Fit")
        self.zoom_label.setAccessibleName("Zoom")
        self.fit_button = QPushButton("Fit")
        self.actual_button = QPushButton("100%")
        self.previous_button = QPushButton(icon("previous"), "Previous")
        self.next_button = QPushButton(icon("next"), "Next")
        self.next_button.setLayoutDirection(Qt.LayoutDirection.RightToLeft)  # icon after the text
        self.similar_button = QPushButton("Find similar")
        self.fit_button.setToolTip("Zoom to fit the window (F or 0)")
        self.actual_button.setToolTip("Show the photo's own pixels (1)")
        self.previous_button.setToolTip("The previous result (←)")
        self.next_button.setToolTip("The next result (→)")
        self.similar_button.setToolTip("Search for photos like this one")
        for button in (self.fit_button, self.actual_button, self.previous_button):
            button.setAutoDefault(False)
        for button in (self.next_button, self.similar_button):
            button.setAutoDefault(False)
        self.info = QLabel(textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setWordWrap(True)
        self.info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.info.setAccessibleName("Photo details")
        self.text_title = QLabel("<b>Text in the photo</b>")
        self.text_box = QPlainTextEdit(readOnly=True)
        self.text_box.setAccessibleName("Text in the photo")
        self.text_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.info)
        side_layout.addWidget(self.text_title)
        side_layout.addWidget(self.text_box, 1)
        side_layout.addWidget(self.similar_button)
        self.play = add_play_button(self, side_layout)
        side_layout.addStretch(0)
        split = QSplitter()
        split.addWidget(self.picture)
        split.addWidget(side)
        split.setStretchFactor(0, 1)
        split.setSizes([860, 300])
        bar = QHBoxLayout()
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addStretch(1)
        bar.addWidget(self.zoom_label)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.actual_button)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(bar)

        self.picture.zoomChanged.connect(lambda zoom: self.zoom_label.setText(f"Zoom: {zoom}"))
        self.fit_button.clicked.connect(self.picture.zoom_fit)
        self.actual_button.clicked.connect(self.picture.zoom_actual)
        self.previous_button.clicked.connect(lambda: self.show_row(self.row - 1))
        self.next_button.clicked.connect(lambda: self.show_row(self.row + 1))
        self.similar_button.clicked.connect(self._find_similar)
        if thumbnails is not None:  # a thumbnail not cached yet is shown when it comes
            thumbnails.ready.connect(self._thumbnail_ready)
        self.resize(1200, 800)
        self.show_row(row)

    # --- what is shown ------------------------------------------------------------------------

    def set_items(self, items: list[PreviewItem], row: int) -> None:
        """A new result list (the window's current order), showing `row`."""
        self.items = items
        self.show_row(row)

    @property
    def current(self) -> PreviewItem | None:
        return self.items[self.row] if 0 <= self.row < len(self.items) else None

    def show_row(self, row: int) -> None:
        if not 0 <= row < len(self.items):
            return
        self.opened_at = time.perf_counter()
        self.row = row
        item = self.items[row]
        self.previous_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < len(self.items) - 1)
        self.play.show_for(item.path, item.time)
        self.setWindowTitle(Path(item.path).name)
        self.info.setText(item.path)
        self.text_box.setPlainText("")
        self.text_title.setVisible(False)
        self.text_box.setVisible(False)
        self.full_shown = False
        self.picture.fitting = True
        if item.key in self._decoded_images:
            self._decoded_images.move_to_end(item.key)
            self._show_full(item, self._decoded_images[item.key])
        else:
            self._show_thumbnail(item)
            self._decode(item)
        for near in (row + 1, row - 1):  # the likely next steps, decoded ahead
            if 0 <= near < len(self.items):
                self._decode(self.items[near])
        self.host.details(item.file_id, lambda found: self._details_ready(item, found))

    def _show_thumbnail(self, item: PreviewItem) -> None:
        """The grid's cached thumbnail, stretched to the photo's frame: instant (no decode)."""
        thumb = None
        if self.thumbnails is not None:
            thumb = self.thumbnails.pixmap(item.key, item.path, item.fingerprint, item.time)
        if thumb is None or thumb.isNull():
            self.picture.say("Loading…")
            return
        self.picture.show_picture(thumb, thumb.size())

    def _thumbnail_ready(self, key: str) -> None:
        item = self.current
        if item is not None and item.key == key and not self.full_shown:
            self._show_thumbnail(item)

    def _show_full(self, item: PreviewItem, decoded: Decoded | None) -> None:
        if decoded is None:
            self.picture.say("This photo cannot be shown")
            return
        screen = QPixmap.fromImage(decoded.screen)
        self.picture.show_picture(screen, decoded.full.size(), decoded.full)
        self.full_shown = True
        self.fullShown.emit(item.key)

    def _decode(self, item: PreviewItem) -> None:
        """Decode `item` on the background lane unless it is decoded or on its way."""
        if item.key in self._decoded_images or item.key in self._decoding:
            return
        self._decoding.add(item.key)
        relay, key, path, seconds = self.relay, item.key, item.path, item.time
        shown = self.picture.viewport().size() if self.picture.isVisible() else self.size()
        ratio = self.devicePixelRatioF()
        box = (max(1, round(shown.width() * ratio)), max(1, round(shown.height() * ratio)))
        self.host.run_in_background(lambda: relay.image.emit(key, decode_full(path, seconds, box)))

    def _decoded(self, key: str, decoded: Decoded | None) -> None:
        self._decoding.discard(key)
        self._decoded_images[key] = decoded
        while len(self._decoded_images) > KEEP_DECODED:
            self._decoded_images.popitem(last=False)
        item = self.current
        if item is not None and item.key == key:
            self._show_full(item, decoded)

    def _details_ready(self, item: PreviewItem, details: PhotoDetails) -> None:
        if item != self.current:
            return  # the user moved on
        self.info.setText(format_details(details))
        self.text_box.setPlainText(details.text)
        self.text_title.setVisible(bool(details.text))
        self.text_box.setVisible(bool(details.text))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """←/→ (and ↑/↓) step; + and - zoom, F or 0 fit, 1 shows the photo's own pixels."""
        key, view = event.key(), self.picture
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Down):
            self.show_row(self.row + 1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            self.show_row(self.row - 1)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            view.set_zoom(view.zoom() * ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            view.set_zoom(view.zoom() / ZOOM_STEP)
        elif key in (Qt.Key.Key_F, Qt.Key.Key_0):
            view.zoom_fit()
        elif key == Qt.Key.Key_1:
            view.zoom_actual()
        else:
            super().keyPressEvent(event)  # Esc closes

    def _find_similar(self) -> None:
        item = self.current
        if item is not None:
            self.findSimilar.emit(item.path, item.time)
