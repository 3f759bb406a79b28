"""The date scrubber on the timeline's right side: years along its height, drag or click to
jump; a bubble says the month while dragging.

Positions come from the library's outline (photos per month, newest first, read off the GUI
thread), so the whole library fits the scrubber's height even while only its first pages are
loaded; without one (date-ordered search results) they come from the loaded rows' headers.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from itertools import accumulate
from typing import Any

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QLabel, QWidget

Month = tuple[int, int]  # (year, month)


def month_name(month: Month) -> str:
    year, number = month
    return time.strftime("%B %Y", (year, number, 1, 0, 0, 0, 0, 1, -1))


class Outline:
    """Photos per month, newest first: the scrubber's map from heights to months."""

    def __init__(self, months: list[tuple[int, int, int]]) -> None:
        self.months: list[Month] = [(y, m) for y, m, _count in months]
        counts = [max(0, c) for _y, _m, c in months]
        self.total = sum(counts)
        self._starts = [0, *accumulate(counts)][:-1]  # rows before each month

    def __bool__(self) -> bool:
        return self.total > 0

    def month_at(self, fraction: float) -> Month | None:
        if not self.months:
            return None
        row = min(max(fraction, 0.0), 1.0) * self.total
        return self.months[max(0, bisect_right(self._starts, row) - 1)]

    def fraction_of(self, month: Month) -> float:
        """Where a month starts (0: the newest); a month not listed: the next older one."""
        for start, listed in zip(self._starts, self.months, strict=True):
            if listed <= month:
                return start / self.total if self.total else 0.0
        return 1.0

    def years(self) -> list[tuple[float, int]]:
        """(fraction, year) where each year's newest month starts."""
        out: list[tuple[float, int]] = []
        for start, (year, _month) in zip(self._starts, self.months, strict=True):
            if not out or out[-1][1] != year:
                out.append((start / self.total if self.total else 0.0, year))
        return out


class DateScrubber(QWidget):
    jumpTo = Signal(int, int)  # year, month
    jumpToFraction = Signal(float)  # no outline: a fraction of the loaded rows

    WIDTH = 58

    def __init__(self, grid: Any) -> None:
        super().__init__(grid)
        self.grid = grid
        self.outline = Outline([])
        self.dragging = False
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMouseTracking(True)
        self.setAccessibleName("Date scrubber")
        self.setAccessibleDescription("Drag or click to jump through the years and months")
        self.setToolTip("Drag or click to jump to a year or month")
        self.bubble = QLabel(grid)
        self.bubble.setObjectName("scrubberBubble")
        self.bubble.setAutoFillBackground(True)
        self.bubble.setMargin(6)
        self.bubble.setVisible(False)

    def set_outline(self, months: list[tuple[int, int, int]]) -> None:
        self.outline = Outline(months)
        self.update()

    # --- positions ------------------------------------------------------------------------

    def _track(self) -> QRect:
        return self.rect().adjusted(0, 10, 0, -10)

    def _fraction(self, y: float) -> float:
        track = self._track()
        return min(max((y - track.top()) / max(1, track.height()), 0.0), 1.0)

    def _y(self, fraction: float) -> int:
        track = self._track()
        return round(track.top() + fraction * track.height())

    def label_at(self, fraction: float) -> str:
        if self.outline:
            month = self.outline.month_at(fraction)
            return month_name(month) if month else ""
        return self.grid.header_near(fraction)

    def position(self) -> float:
        """Where the view is, as a fraction (the marker)."""
        if self.outline:
            month = self.grid.top_month()
            return self.outline.fraction_of(month) if month else 0.0
        bar = self.grid.verticalScrollBar()
        return bar.value() / bar.maximum() if bar.maximum() else 0.0

    # --- jumping --------------------------------------------------------------------------

    def jump(self, fraction: float) -> str:
        """Jump to a fraction of the timeline; returns the month's label."""
        if self.outline:
            month = self.outline.month_at(fraction)
            if month is not None:
                self.jumpTo.emit(*month)
        else:
            self.jumpToFraction.emit(fraction)
        return self.label_at(fraction)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.dragging = True
            self._drag_to(event.position().y())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.dragging:
            self._drag_to(event.position().y())
        else:
            self.setToolTip(self.label_at(self._fraction(event.position().y())))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.dragging = False
        self.bubble.setVisible(False)
        self.update()

    def _drag_to(self, y: float) -> None:
        label = self.jump(self._fraction(y))
        self.bubble.setText(label)
        self.bubble.adjustSize()
        at = self.mapTo(self.grid, self.rect().topLeft())
        top = round(at.y() + y - self.bubble.height() / 2)
        self.bubble.move(at.x() - self.bubble.width() - 6, max(at.y(), top))
        self.bubble.setVisible(bool(label))
        self.bubble.raise_()
        self.update()

    # --- painting -------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        faint = QColor(text)
        faint.setAlpha(90)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        painter.setFont(font)
        height = painter.fontMetrics().height()
        last_y = -height
        if self.outline:
            marks = [(f, str(year)) for f, year in self.outline.years()]
        else:
            total = max(1, self.grid.layout_.total_height)
            marks = [
                (h.y / total, h.text.split()[-1]) for h in self.grid.layout_.headers if h.level == 0
            ]
            marks = [m for i, m in enumerate(marks) if i == 0 or marks[i - 1][1] != m[1]]
        for fraction, label in marks:
            y = self._y(fraction)
            painter.setPen(faint)
            painter.drawLine(self.width() - 10, y, self.width() - 4, y)
            if y - last_y >= height:  # labels never overlap: a crowded decade shows fewer
                painter.setPen(text)
                painter.drawText(
                    QRect(0, y - height // 2, self.width() - 12, height),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    label,
                )
                last_y = y
        marker = self._y(self.position())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
        painter.drawRoundedRect(QRect(self.width() - 12, marker - 2, 10, 4), 2, 2)
        painter.end()
