"""The exclusions editor: patterns and sub-folders kept out (per folder or everywhere), the
library's size limits, and deleting the vectors of excluded photos once the user confirms.

Every read and write of the catalog runs on a worker (the host's background lane); results
come back through a relay signal, so the GUI thread never touches the disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from magpie.core.errors import MagpieError
from magpie.core.exclusions import SUGGESTED_PATTERNS

EVERY_FOLDER = "Every folder"


class _Relay(QObject):
    """Carries a worker's outcome to the GUI thread."""

    listed = Signal(object)  # the listing dict
    failed = Signal(str)
    done = Signal(str)  # what happened, in words


def describe_hidden(counts: dict[str, int]) -> str:
    by_pattern, by_size = counts.get("pattern", 0), counts.get("size", 0)
    if not by_pattern and not by_size:
        return "No photo is kept out of the results."
    return (
        f"Kept out of the results: {by_pattern} photos by name or folder, {by_size} by size. "
        "Their vectors are kept, so re-including them is instant."
    )


class ExclusionsDialog(QDialog):
    """Edits the library's exclusions through `host` (an EngineHost with a writer engine)."""

    changed = Signal()  # the results to show changed: run the query again

    def __init__(
        self,
        host: Any,
        folders: list[str],
        folder: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Excluded photos" + (f": {os.path.basename(folder)}" if folder else ""))
        self.host = host
        self.folders = folders
        self.relay = _Relay()
        self._runs = 0  # changes and listings asked for, for dropping stale listings
        self.relay.listed.connect(self._show_listing)
        self.relay.failed.connect(self._show_error)
        self.relay.done.connect(self._done)
        self.busy = False
        self._reindex_after = False  # re-included photos may be new to the catalog: scan

        self.rules = QListWidget()
        self.rules.setToolTip("Patterns and sub-folders whose photos are not indexed or shown")
        self.pattern = QComboBox(editable=True)
        self.pattern.addItems(SUGGESTED_PATTERNS)
        self.pattern.setAccessibleName("Pattern or sub-folder to exclude")
        self.pattern.setCurrentText("")
        self.pattern.lineEdit().setPlaceholderText("Screenshots, *.thumbnail, 2019/Backup…")
        self.scope = QComboBox()
        self.scope.setAccessibleName("Where the exclusion applies")
        self.scope.addItem(EVERY_FOLDER, None)
        for path in folders:
            self.scope.addItem(path, path)
        if folder is not None:
            self.scope.setCurrentIndex(max(0, self.scope.findData(folder)))
        self.add_button = QPushButton("Exclude")
        self.subfolder_button = QPushButton("Exclude a sub-folder…")
        self.remove_button = QPushButton("Include again")
        self.remove_button.setToolTip("The photos come back at once, without re-encoding")
        self.min_side = QSpinBox(minimum=0, maximum=10_000, singleStep=16, suffix=" px")
        self.min_side.setSpecialValueText("no minimum")
        self.min_side.setToolTip("Skip images whose shorter side is below this (icons)")
        self.max_mp = QDoubleSpinBox(minimum=0.0, maximum=10_000.0, decimals=1, suffix=" MP")
        self.max_mp.setSpecialValueText("no maximum")
        self.max_mp.setToolTip("Skip images with more megapixels than this")
        self.limits_button = QPushButton("Apply size limits")
        self.summary = QLabel("Loading…")
        self.summary.setWordWrap(True)
        self.purge_button = QPushButton("Delete vectors of excluded photos…")
        self.purge_button.setToolTip("Frees their space in the library; files are not touched")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        add_row = QHBoxLayout()
        add_row.addWidget(self.pattern, 2)
        add_row.addWidget(self.scope, 2)
        add_row.addWidget(self.add_button)
        rule_buttons = QHBoxLayout()
        rule_buttons.addWidget(self.subfolder_button)
        rule_buttons.addStretch(1)
        rule_buttons.addWidget(self.remove_button)
        limits = QFormLayout()
        limits.addRow("Smallest side", self.min_side)
        limits.addRow("Largest image", self.max_mp)
        limits.addRow("", self.limits_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Not indexed</b> (names match in any sub-folder)"))
        layout.addWidget(self.rules, 1)
        layout.addLayout(add_row)
        layout.addLayout(rule_buttons)
        layout.addWidget(QLabel("<b>Size limits</b> (this library)"))
        layout.addLayout(limits)
        layout.addWidget(self.summary)
        layout.addWidget(self.purge_button)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.resize(620, 520)

        self.add_button.clicked.connect(self.add_pattern)
        self.pattern.lineEdit().returnPressed.connect(self.add_pattern)
        self.subfolder_button.clicked.connect(self.choose_subfolder)
        self.remove_button.clicked.connect(self.remove_selected)
        self.limits_button.clicked.connect(self.apply_limits)
        self.purge_button.clicked.connect(self.confirm_purge)
        self._set_busy(True)
        self._run(lambda engine: None, None)

    # --- worker plumbing --------------------------------------------------------------------

    def _run(self, change: Callable[[Any], str | None], done_text: str | None) -> None:
        """Apply `change` to the engine on a worker, then list again; None: only list."""
        relay, host = self.relay, self.host
        # jobs run on a lane of two threads: an older listing may arrive after a newer one
        # and must not put stale values back in the fields (a size limit the user just set)
        self._runs += 1
        run = self._runs

        def work(engine: Any) -> None:
            if engine is None:
                relay.failed.emit("The library is not open yet.")
                return
            if done_text is not None and not engine.is_writer:
                relay.failed.emit("Another Magpie is updating this library: try again later.")
                return
            try:
                said = change(engine)
                store = engine.exclusions
                limits = store.limits()
                listing = {
                    "rules": [(e.pattern, e.folder) for e in store.list()],
                    "min_side": limits.min_side,
                    "max_megapixels": limits.max_megapixels,
                    "hidden": store.counts(),
                    "writer": engine.is_writer,
                    "run": run,
                }
            except MagpieError as exc:
                relay.failed.emit(str(exc))
                return
            relay.listed.emit(listing)
            if done_text is not None or said:
                relay.done.emit(said or done_text or "")

        self._set_busy(True)
        host.run_with_engine(work)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in (
            self.add_button,
            self.subfolder_button,
            self.remove_button,
            self.limits_button,
            self.purge_button,
        ):
            widget.setEnabled(not busy)

    def _show_listing(self, listing: dict[str, Any]) -> None:
        if listing["run"] != self._runs:
            return  # a newer change is on its way, with its own listing
        self.rules.clear()
        for pattern, folder in listing["rules"]:
            where = f"in {folder}" if folder else "in every folder"
            item = QListWidgetItem(f"{pattern}    ({where})")
            item.setData(Qt.ItemDataRole.UserRole, (pattern, folder))
            self.rules.addItem(item)
        self.min_side.setValue(int(listing["min_side"]))
        self.max_mp.setValue(float(listing["max_megapixels"]))
        self.summary.setText(describe_hidden(listing["hidden"]))
        self._set_busy(False)
        self.purge_button.setEnabled(bool(sum(listing["hidden"].values())))
        if not listing["writer"]:
            self._set_busy(True)
            self.message.setText("Another Magpie is updating this library: look only, for now.")

    def _show_error(self, message: str) -> None:
        self.message.setText(message)
        self._set_busy(False)

    def _done(self, text: str) -> None:
        self.message.setText(text)
        if self._reindex_after:
            self._reindex_after = False
            self.host.reindex()
        self.changed.emit()

    # --- actions ----------------------------------------------------------------------------

    def add_pattern(self) -> None:
        pattern = self.pattern.currentText().strip()
        if not pattern or self.busy:
            return
        folder = self.scope.currentData()
        self.pattern.setCurrentText("")
        self._run(
            lambda engine: f"Excluded {pattern}: {engine.exclude(pattern, folder)} photos hidden.",
            "",
        )

    def exclude_path(self, path: str) -> None:
        """Exclude one sub-folder (an absolute path inside a watched folder)."""
        self._run(
            lambda engine: f"Excluded {path}: {engine.exclude(path)} photos hidden.",
            "",
        )

    def choose_subfolder(self) -> None:
        start = self.scope.currentData() or (self.folders[0] if self.folders else "")
        path = QFileDialog.getExistingDirectory(self, "Exclude a sub-folder", start)
        if path:
            self.exclude_path(path)

    def remove_selected(self) -> None:
        item = self.rules.currentItem()
        if item is None or self.busy:
            return
        pattern, folder = item.data(Qt.ItemDataRole.UserRole)

        def change(engine: Any) -> str:
            shown = engine.include(pattern, folder)
            return f"Included {pattern} again: {shown} photos are back."

        self._reindex_after = True  # files there were never scanned: pick up the new ones
        self._run(change, "")

    def apply_limits(self) -> None:
        min_side, max_mp = self.min_side.value(), self.max_mp.value()

        def change(engine: Any) -> str:
            hidden, shown = engine.set_size_limits(min_side, max_mp)
            return f"Size limits set: {hidden} photos hidden, {shown} back."

        self._reindex_after = True  # photos no longer skipped are due
        self._run(change, "")

    def confirm_purge(self) -> None:
        answer = QMessageBox.question(
            self,
            "Delete vectors",
            "Delete the stored vectors of the excluded photos? The photos on disk are not "
            "touched; including them again later means indexing them again.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.purge()

    def purge(self) -> None:
        self._run(lambda engine: f"Deleted the vectors of {engine.purge_excluded()} photos.", "")
