"""About Magpie: version, where the library lives, the model in use, and what it never does."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from magpie import __version__
from magpie.gui.theme import app_icon


class AboutDialog(QDialog):
    def __init__(self, library: str, model: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Magpie")
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        model_line = html.escape(model) if model else "none installed yet"
        self.text = QLabel(
            f"<h3>Magpie {__version__}</h3>"
            "<p>Finds your photos by what they show, with a model that runs on this computer."
            " Nothing leaves it except a model download you start, and Magpie never changes"
            " your photo folders.</p>"
            f"<p>Library: {html.escape(library)}<br>Model: {model_line}</p>"
        )
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(440, 260)
