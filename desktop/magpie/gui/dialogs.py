"""Dialogs: photo preview, first-run model setup, settings, files that could not be read."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from magpie.core import int8 as int8_rules
from magpie.core.errors import MagpieError
from magpie.core.int8 import Int8Check
from magpie.core.library import Library
from magpie.core.pack_store import installed_packs
from magpie.core.records import FailedFile, FolderStatus, PhotoDetails
from magpie.gui.host import EngineHost
from magpie.gui.item_models import FileIdRole, PathRole, ResultsModel
from magpie.gui.tasks import Failure
from magpie.gui.thumbnails import load_qimage

PREVIEW_SIZE = 1600


class _Relay(QObject):
    """Carries worker results to the GUI thread."""

    image = Signal(str, QImage)
    progress = Signal(int, int)
    finished = Signal(str, str)  # outcome ("ok" | "error" | "cancelled"), message


def _format_details(details: PhotoDetails) -> str:
    lines = [details.path]
    if details.width:
        lines.append(f"{details.width} × {details.height} pixels")
    lines.append(f"{details.size / 1e6:.1f} MB")
    if details.taken_at:
        moment = datetime.fromtimestamp(details.taken_at, tz=timezone.utc)
        lines.append(f"taken {moment:%Y-%m-%d %H:%M}")
    if details.camera:
        lines.append(details.camera)
    if details.gps_lat is not None and details.gps_lon is not None:
        lines.append(f"GPS {details.gps_lat:.5f}, {details.gps_lon:.5f}")
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
        self._pixmap = QPixmap()
        self.resize(1000, 760)
        self.show_row(row)

    def show_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        self.row = row
        index = self.model.index(row)
        path, file_id = index.data(PathRole), index.data(FileIdRole)
        self.setWindowTitle(Path(path).name)
        self.picture.setText("Loading…")
        self._pixmap = QPixmap()
        self.info.setText(path)
        relay = self.relay

        def load() -> None:  # worker: decode off the GUI thread
            relay.image.emit(path, load_qimage(path, None, None, PREVIEW_SIZE))

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


class ModelSetupDialog(QDialog):
    """First run without a model: download the default one, or import a pack folder."""

    installed = Signal(str)  # the pack's name

    def __init__(
        self, library: Library, parent: QWidget | None = None, endpoint: str | None = None
    ) -> None:
        super().__init__(parent)
        from magpie.core.registry import DEFAULT_MODEL, REGISTRY, find_entry

        self.library = library
        self.endpoint = endpoint
        self.entry = find_entry(DEFAULT_MODEL)
        assert self.entry is not None
        self.choice = QComboBox()
        for entry in REGISTRY:
            label = f"{entry.name} (~{entry.approx_size_mb} MB): {entry.summary}"
            self.choice.addItem(label, entry.name)
        self.choice.currentIndexChanged.connect(self._chosen)
        self.cancel_event = threading.Event()
        self.relay = _Relay()
        self.relay.progress.connect(self._progress)
        self.relay.finished.connect(self._finished)
        self.setWindowTitle("Magpie needs a model")
        intro = QLabel(
            "Magpie finds photos with a CLIP model that runs on this computer. "
            f"Download the recommended one, {self.entry.name} "
            f"(about {self.entry.approx_size_mb} MB), "
            "or use a model pack folder you already have."
        )
        intro.setWordWrap(True)
        self.download_button = QPushButton(
            f"Download {self.entry.name} (~{self.entry.approx_size_mb} MB)"
        )
        self.import_button = QPushButton("Import a pack folder…")
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.setEnabled(False)
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.cancel_button)
        heading = QLabel("<h3>Magpie needs a model to understand your photos</h3>")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.choice)
        layout.addLayout(buttons)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        self.download_button.clicked.connect(self.start_download)
        self.import_button.clicked.connect(self.choose_folder)
        self.cancel_button.clicked.connect(self.cancel_event.set)
        self.resize(560, 220)

    def _chosen(self, _row: int) -> None:
        from magpie.core.registry import find_entry

        entry = find_entry(str(self.choice.currentData()))
        if entry is not None:
            self.entry = entry
            self.download_button.setText(f"Download {entry.name} (~{entry.approx_size_mb} MB)")

    def _busy(self, busy: bool) -> None:
        self.download_button.setEnabled(not busy)
        self.choice.setEnabled(not busy)
        self.import_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.bar.setVisible(busy)

    def start_download(self) -> None:
        from magpie.core.download import DownloadCancelled, install_pack

        self.cancel_event.clear()
        self._busy(True)
        self.bar.setRange(0, 0)
        self.message.setText("Connecting…")
        relay, entry, library, endpoint, cancel = (
            self.relay,
            self.entry,
            self.library,
            self.endpoint,
            self.cancel_event,
        )

        def work() -> None:
            last = [0.0]

            def progress(done: int, total: int | None, _name: str) -> None:
                if time.monotonic() - last[0] > 0.1 or (total and done >= total):
                    last[0] = time.monotonic()
                    relay.progress.emit(done // 1024, (total or 0) // 1024)

            try:
                install_pack(library, entry, endpoint, progress=progress, cancel=cancel)  # type: ignore[arg-type]
            except DownloadCancelled:
                relay.finished.emit(
                    "cancelled", "Download cancelled; it will resume where it stopped."
                )
            except MagpieError as exc:
                relay.finished.emit("error", str(exc))
            else:
                relay.finished.emit("ok", entry.name)  # type: ignore[union-attr]

        self._background(work, cancel)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model pack folder")
        if folder:
            self.import_folder(folder)

    def import_folder(self, folder: str) -> None:
        from magpie.core.pack_store import import_pack

        self._busy(True)
        self.bar.setRange(0, 0)
        self.message.setText(f"Checking {folder}…")
        relay, library = self.relay, self.library

        def work() -> None:
            try:
                pack = import_pack(library, Path(folder))
            except MagpieError as exc:
                relay.finished.emit("error", str(exc))
            else:
                relay.finished.emit("ok", pack.name)

        self._background(work, None)

    def _background(self, work: Callable[[], None], cancel: threading.Event | None) -> None:
        """On the window's io lane (stopped, and the download cancelled, when it closes);
        a thread of its own only for a dialog used without a window (scripts)."""
        host = getattr(self.parent(), "host", None)
        if isinstance(host, EngineHost):
            host.tasks.run("io", work, cancel=cancel)
        else:
            threading.Thread(target=work, name="magpie-model-setup", daemon=True).start()

    def _progress(self, done_kb: int, total_kb: int) -> None:
        if total_kb:
            self.bar.setRange(0, total_kb)
            self.bar.setValue(done_kb)
            self.message.setText(f"{done_kb / 1024:.0f} of {total_kb / 1024:.0f} MB")

    def _finished(self, outcome: str, message: str) -> None:
        self._busy(False)
        if outcome == "ok":
            self.message.setText(f"{message} is ready.")
            self.installed.emit(message)
            self.accept()
        elif outcome == "error" and "offline" in message:
            self.message.setText(
                "You seem to be offline, so the model cannot be downloaded now.\n"
                "Try again when connected, or choose “Import a pack folder…” for a pack you have "
                "(copied from another computer, or made with `magpie models export`)."
            )
        else:
            self.message.setText(message)


class SettingsDialog(QDialog):
    """Model, device, results per page, score threshold, and watch mode per folder."""

    def __init__(
        self,
        library: Library,
        folders: list[FolderStatus],
        device_note: str,
        parent: QWidget | None = None,
        in_use: str = "",
        host: EngineHost | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.host = host
        self.library = library
        settings = library.load_settings()
        self.in_use = in_use
        self.model = QComboBox()
        packs = [p.name for p in installed_packs(library)]
        self.model.addItems(packs or ["(no model installed)"])
        if (settings.model or in_use) in packs:
            self.model.setCurrentText(settings.model or in_use)
        self.device = QComboBox()
        for label, value in (("Automatic", "auto"), ("CPU", "cpu"), ("CUDA (NVIDIA GPU)", "cuda")):
            self.device.addItem(label, value)
        self.device.setCurrentIndex(max(0, self.device.findData(settings.device)))
        self.per_page = QSpinBox(
            minimum=20, maximum=2000, singleStep=20, value=settings.results_per_page
        )
        self.threshold = QDoubleSpinBox(
            minimum=0.0, maximum=1.0, singleStep=0.01, decimals=2, value=settings.score_threshold
        )
        self.threshold.setToolTip("Hide results scoring below this (0 shows everything)")
        from magpie.core.int8 import load_check
        from magpie.core.packs import load_pack

        self.int8 = QCheckBox("Faster indexing on the CPU (int8)")
        check = None
        pack_dir = library.models_dir / (settings.model or in_use)
        if (pack_dir / "config.json").is_file():
            check = load_check(load_pack(pack_dir))
        self.int8_check = QPushButton("Check on my photos")
        self.int8_check.setToolTip("Compare int8 with full precision on 32 of your photos")
        self.int8_check.setEnabled(host is not None and host.ready)
        self.int8_check.clicked.connect(self.run_int8_check)
        self.int8_result = QLabel()
        self.int8_result.setWordWrap(True)
        self._show_int8(check, settings.int8_images)
        self.folders = QTableWidget(len(folders), 2)
        self.folders.setHorizontalHeaderLabels(["Folder", "Watching"])
        self.folders.horizontalHeader().setStretchLastSection(False)
        self.folders.horizontalHeader().setSectionResizeMode(
            0, self.folders.horizontalHeader().ResizeMode.Stretch
        )
        self.watch_modes: dict[str, QComboBox] = {}
        for row, folder in enumerate(folders):
            self.folders.setItem(row, 0, QTableWidgetItem(folder.path))
            combo = QComboBox()
            combo.addItem("Native events", "native")
            combo.addItem("Polling (network drives)", "polling")
            combo.setCurrentIndex(max(0, combo.findData(folder.watch)))
            self.folders.setCellWidget(row, 1, combo)
            self.watch_modes[folder.path] = combo
        self.more_models = QPushButton("Get another model…")
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.more_models)
        form = QFormLayout()
        form.addRow("Model", model_row)
        form.addRow("Device", self.device)
        form.addRow("", QLabel(device_note))
        form.addRow("Results per page", self.per_page)
        form.addRow("Score threshold", self.threshold)
        int8_row = QHBoxLayout()
        int8_row.addWidget(self.int8, 1)
        int8_row.addWidget(self.int8_check)
        form.addRow("", int8_row)
        form.addRow("", self.int8_result)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Folders"))
        layout.addWidget(self.folders)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def _show_int8(self, check: Int8Check | None, on: bool) -> None:
        self._int8_verdict = check
        if check is not None and check.passed:
            self.int8.setEnabled(True)
            self.int8.setChecked(on)
            self.int8_result.setText(
                f"Checked on {check.photos} of your photos: {check.speedup:.1f}x faster, "
                f"cosine >= {check.cosine_min:.3f} against full precision."
            )
        else:
            self.int8.setEnabled(False)
            self.int8.setChecked(False)
            self.int8_result.setText(
                "Not checked on your photos yet."
                if check is None
                else f"Checked on {check.photos} photos: {check.speedup:.1f}x faster, cosine >= "
                f"{check.cosine_min:.3f}; not enough (needs {int8_rules.REQUIREMENT}), "
                "so it stays off."
            )

    def run_int8_check(self) -> None:
        """Quantise and compare in a worker thread (seconds of CPU), never on the GUI thread."""
        if self.host is None or not self.host.ready:
            return
        self.int8_check.setEnabled(False)
        self.int8_result.setText("Checking on your photos…")
        self.host.check_int8(32, self._int8_checked, self._int8_failed)

    def _int8_checked(self, check: Int8Check) -> None:
        self.int8_check.setEnabled(True)
        self._show_int8(check, check.passed)

    def _int8_failed(self, failure: Failure) -> None:
        self.int8_check.setEnabled(True)
        self.int8_result.setText(failure.message)

    def save(self) -> tuple[bool, dict[str, str]]:
        """Write the settings; returns (model or device changed, changed watch modes)."""
        settings = self.library.load_settings()
        before = (settings.model or self.in_use, settings.device, settings.int8_images)
        if self.model.currentText() != "(no model installed)":
            settings.model = self.model.currentText()
        settings.device = str(self.device.currentData())
        settings.results_per_page = self.per_page.value()
        settings.score_threshold = float(self.threshold.value())
        if self.int8.isEnabled():
            settings.int8_images = int8_rules.allowed(self._int8_verdict, self.int8.isChecked())
        self.library.save_settings(settings)
        modes = {path: str(combo.currentData()) for path, combo in self.watch_modes.items()}
        return before != (settings.model, settings.device, settings.int8_images), modes


class FailuresDialog(QDialog):
    def __init__(self, failures: list[FailedFile], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{len(failures)} files could not be read")
        text = QPlainTextEdit(readOnly=True)
        text.setPlainText("\n".join(f"{f.path}\n    {f.error}" for f in failures))
        note = QLabel("Magpie tries these again when they change. Nothing was modified.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.resize(720, 420)
