"""Settings: model, device, results per page, score threshold, int8, watch mode per folder."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from magpie.core import int8 as int8_rules
from magpie.core.int8 import Int8Check
from magpie.core.library import Library
from magpie.core.pack_store import installed_packs
from magpie.core.records import FolderStatus
from magpie.gui.dialogs.model_setup import ModelSetupDialog
from magpie.gui.host import EngineHost
from magpie.gui.search_options import sensitivity_box
from magpie.gui.tasks import Failure

NO_MODEL = "(no model installed)"


class SettingsDialog(QDialog):
    """Model, device, results per page, match sensitivity, and watch mode per folder."""

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
        self.model.setAccessibleName("Model")  # its form row holds a layout: no label buddy
        self.refresh_models(settings.model or in_use)
        self.device = QComboBox()
        for label, value in (("Automatic", "auto"), ("CPU", "cpu"), ("CUDA (NVIDIA GPU)", "cuda")):
            self.device.addItem(label, value)
        self.device.setCurrentIndex(max(0, self.device.findData(settings.device)))
        self.per_page = QSpinBox(
            minimum=20, maximum=2000, singleStep=20, value=settings.results_per_page
        )
        self.sensitivity = sensitivity_box(settings.match_sensitivity)
        from magpie.core.languages import LANGUAGE_TO_FLORES200, flores_code

        self.language = QComboBox()  # told to NLLB models, which search in one language
        self.language.addItem(f"System ({flores_code('')})", "")
        for tag in sorted(LANGUAGE_TO_FLORES200):
            self.language.addItem(f"{tag} ({LANGUAGE_TO_FLORES200[tag]})", tag)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        from magpie.core.int8 import load_check
        from magpie.core.packs import load_pack

        self.read_text = QCheckBox("Read the words in photos (signs, receipts, screenshots)")
        self.read_text.setChecked(settings.read_text)
        self.read_text.setToolTip(
            "After indexing, Magpie reads the text in your photos so that typing a word finds "
            "the photo that shows it. Turning it off stops the reading; words already read stay."
        )
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
        self.folders.setAccessibleName("Folders")
        self.folders.setHorizontalHeaderLabels(["Folder", "Watching"])
        self.folders.verticalHeader().setVisible(False)  # row numbers mean nothing here
        header = self.folders.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        header.setSectionResizeMode(1, header.ResizeMode.ResizeToContents)
        self.watch_modes: dict[str, QComboBox] = {}
        for row, folder in enumerate(folders):
            item = QTableWidgetItem(folder.path)
            item.setToolTip(folder.path)
            self.folders.setItem(row, 0, item)
            combo = QComboBox()
            combo.addItem("Native events", "native")
            combo.addItem("Polling (network drives)", "polling")
            combo.setCurrentIndex(max(0, combo.findData(folder.watch)))
            self.folders.setCellWidget(row, 1, combo)
            self.watch_modes[folder.path] = combo
        self.folders.resizeRowsToContents()
        self.more_models = QPushButton("Get another model…")
        self.exclusions_button = QPushButton("Excluded photos and size limits…")
        self.more_models.clicked.connect(self.get_another_model)
        self.model_setup: ModelSetupDialog | None = None
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.more_models)
        form = QFormLayout()
        form.addRow("Model", model_row)
        form.addRow("Device", self.device)
        form.addRow("", QLabel(device_note))
        form.addRow("Results per page", self.per_page)
        form.addRow("Matches", self.sensitivity)
        form.addRow("Search language (NLLB models)", self.language)
        form.addRow("Text in photos", self.read_text)
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
        layout.addWidget(self.exclusions_button)
        layout.addWidget(buttons)
        self.resize(720, 520)

    def refresh_models(self, select: str = "") -> None:
        """List the installed packs (again, after one was added), choosing `select`."""
        packs = [p.name for p in installed_packs(self.library)]
        self.model.clear()
        self.model.addItems(packs or [NO_MODEL])
        if select in packs:
            self.model.setCurrentText(select)

    def get_another_model(self) -> None:
        self.model_setup = ModelSetupDialog(self.library, self)
        self.model_setup.setWindowTitle("Get another model")
        self.model_setup.installed.connect(self.refresh_models)
        self.model_setup.open()

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
        before = (
            settings.model or self.in_use,
            settings.device,
            settings.int8_images,
            settings.language,
        )
        if self.model.currentText() != NO_MODEL:
            settings.model = self.model.currentText()
        settings.device = str(self.device.currentData())
        settings.results_per_page = self.per_page.value()
        settings.match_sensitivity = int(self.sensitivity.currentData())
        if self.int8.isEnabled():
            settings.int8_images = int8_rules.allowed(self._int8_verdict, self.int8.isChecked())
        settings.language = str(self.language.currentData())
        settings.read_text = self.read_text.isChecked()  # the host is told (no reopen)
        self.library.save_settings(settings)
        modes = {path: str(combo.currentData()) for path, combo in self.watch_modes.items()}
        after = (settings.model, settings.device, settings.int8_images, settings.language)
        return before != after, modes
