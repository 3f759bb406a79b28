"""First run without a model: download the default one, or import a pack folder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from magpie.core.errors import MagpieError
from magpie.core.library import Library
from magpie.gui.host import EngineHost


class _Relay(QObject):
    """Carries worker results to the GUI thread."""

    progress = Signal(int, int)
    finished = Signal(str, str)  # outcome ("ok" | "error" | "cancelled"), message


class ModelSetupDialog(QDialog):
    """First run without a model: download the default one, or import a pack folder."""

    installed = Signal(str)  # the pack's name

    def __init__(
        self, library: Library, parent: QWidget | None = None, endpoint: str | None = None
    ) -> None:
        super().__init__(parent)
        from magpie.core.registry import REGISTRY, recommended

        self.library = library
        self.endpoint = endpoint
        self.entry = recommended()  # by hardware: CPU laptop or GPU
        self.choice = QComboBox()
        for entry in REGISTRY:
            languages = "many languages" if entry.multilingual else "English"
            label = (
                f"{entry.name} (~{entry.approx_size_mb} MB, {entry.dim}-d, {languages}): "
                f"{entry.summary}"
            )
            self.choice.addItem(label, entry.name)
        self.choice.setCurrentIndex(self.choice.findData(self.entry.name))
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
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
        folder = QFileDialog.getExistingDirectory(self, "Choose a model pack folder", start)
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
                "(copied from another computer, or made with Magpie's export tool)."
            )
        else:
            self.message.setText(message)
