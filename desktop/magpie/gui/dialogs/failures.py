"""The files that could not be read, and why."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from magpie.core.records import FailedFile


class FailuresDialog(QDialog):
    def __init__(self, failures: list[FailedFile], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{len(failures)} files could not be read")
        text = QPlainTextEdit(readOnly=True)
        text.setAccessibleName("Files that could not be read, and why")
        text.setPlainText("\n".join(f"{f.path}\n    {f.error}" for f in failures))
        note = QLabel("Magpie tries these again when they change. Nothing was modified.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.resize(720, 420)
