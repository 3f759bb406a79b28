"""The indexing progress in the status bar: text, bar and Pause side by side in one widget.

One layout owns the three, so the text never runs under the bar nor Pause over it, and as a
permanent status bar widget it stays in view while a message is shown.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QToolButton, QWidget


class ProgressPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        self.bar = QProgressBar(textVisible=False)
        self.bar.setFixedWidth(160)
        self.pause = QToolButton(text="Pause", autoRaise=True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.pause)
        self.show_busy(False)

    def show_busy(self, busy: bool) -> None:
        """The bar and Pause appear only while indexing (the text may outlive them)."""
        self.bar.setVisible(busy)
        self.pause.setVisible(busy)
