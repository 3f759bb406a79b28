"""The OCR pass in the status bar, apart from indexing: "Reading text: 120 / 900"."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from magpie.core.enrichment import EnrichProgress


class TextStatus(QLabel):
    """Shows the text pass while it reads; hidden when it is idle or has nothing to read."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("textStatus")
        self.setAccessibleName("Reading text progress")
        self.setToolTip("Magpie reads the words in your photos so that you can search for them")
        self.state = "idle"  # "reading" | "paused" | "idle", as the host last said
        self.last: EnrichProgress | None = None
        self.hide()

    def show_progress(self, progress: EnrichProgress) -> None:
        self.last = progress
        if self.state != "idle":
            self._say()

    def set_state(self, state: str) -> None:
        self.state = state
        if state == "idle":
            self.last = None
            self.hide()
        elif state == "paused" or self.last is not None:
            self._say()

    def _say(self) -> None:
        done, total = (self.last.done, self.last.total) if self.last else (0, 0)
        counts = f": {done:,} / {total:,}" if total else ""
        verb = "Reading text paused" if self.state == "paused" else "Reading text"
        self.setText(verb + counts)
        self.show()
