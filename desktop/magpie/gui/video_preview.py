"""What the preview adds for a video: a "Play from" button and duration and codec lines."""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QPushButton, QWidget

from magpie.core.records import PhotoDetails
from magpie.core.video import format_time, is_video
from magpie.gui.icons import icon
from magpie.gui.player import play_at


class PlayButton(QPushButton):
    """Plays the shown video from the shown moment in the system's player."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: str | None = None
        self.seconds = 0.0
        self.clicked.connect(self._play)
        self.hide()

    def show_for(self, path: str, seconds: float | None) -> None:
        self.path, self.seconds = path, seconds or 0.0
        self.setIcon(icon("play"))
        self.setText(f"Play from {format_time(self.seconds)}")
        self.setVisible(is_video(path))

    def _play(self) -> None:
        if self.path is not None and not play_at(self.path, self.seconds):
            self.setText("Opened from the start (install mpv or VLC to start at the moment)")


def add_play_button(parent: QWidget, layout: QBoxLayout) -> PlayButton:
    button = PlayButton(parent)
    layout.addWidget(button)
    return button


def video_details(details: PhotoDetails) -> list[str]:
    if not details.codec:
        return []
    lines = [f"video {format_time(details.duration or 0)}, {details.codec}"]
    if details.fps:
        lines[0] += f", {details.fps:.3g} fps"
    if details.error:
        lines.append(f"note: {details.error}")  # e.g. damaged part-way, indexed up to there
    return lines
