"""The grid's view of judged results: matches first, the less likely ones on demand.

MatchedResultsModel shows only the matches until the user asks for the rest (then they follow,
dimmed, behind a "Less likely" mark); the grid (photo_grid.py) paints their confidence cue a
person reads ("strong" / "likely" dots, no raw cosine) with draw_badge.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter

from magpie.core.engine import SearchResult
from magpie.gui.item_models import ResultsModel

CueRole = Qt.ItemDataRole.UserRole + 20  # "strong" | "likely" | "less" | None (browsing)
DayRole = Qt.ItemDataRole.UserRole + 21  # "12 May 2024" / "May 2024": a group's first photo

Index = QModelIndex | QPersistentModelIndex

# A match this sure (1 - chance of a resemblance this strong among the library) is "strong".
STRONG = 0.999
CUE_TEXT = {
    "strong": "Strong match",
    "likely": "Likely match",
    "less": "Less likely",
}


def cue(result: SearchResult) -> str:
    if not result.match:
        return "less"
    return "strong" if result.confidence >= STRONG else "likely"


# Matches spread over more than this are grouped by month, else by day.
MONTHS_FROM_S = 62 * 86_400


def day_label(stamp: float | None, by_month: bool = False) -> str:
    if stamp is None:
        return "Undated"
    if by_month:
        return time.strftime("%B %Y", time.localtime(stamp))
    return time.strftime("%d %B %Y", time.localtime(stamp)).lstrip("0")


class MatchedResultsModel(ResultsModel):
    """ResultsModel that hides the less likely results until expand()."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.matches = 0
        self.expanded = True
        self.date_order = False
        self.by_month = False

    def set_results(self, results: list[SearchResult], has_more: bool, scored: bool) -> None:
        self.matches = self._leading_matches(results) if scored else 0
        self.expanded = not scored
        dates = [r.taken for r in results[: self.matches] if r.taken is not None]
        self.by_month = bool(dates) and max(dates) - min(dates) > MONTHS_FROM_S
        super().set_results(results, has_more, scored)

    def append_results(self, results: list[SearchResult], has_more: bool) -> None:
        if self.expanded:
            super().append_results(results, has_more)
            return
        # folded: keep every page, show the ones that continue the matches
        fresh = [r for r in results if r.path not in self._row_of]
        self._fetching = False
        self._has_more = has_more and bool(fresh)
        for result in fresh:
            self._row_of[result.path] = len(self._rows)
            self._rows.append(result)
        leading = self._leading_matches(self._rows)
        if leading > self.matches:
            self.beginInsertRows(QModelIndex(), self.matches, leading - 1)
            self.matches = leading
            self.endInsertRows()

    @staticmethod
    def _leading_matches(results: list[SearchResult]) -> int:
        count = 0
        for result in results:
            if not result.match:
                break
            count += 1
        return count

    @property
    def more(self) -> bool:
        """More results wait on the next page."""
        return self._has_more

    @property
    def less_likely(self) -> int:
        """Results loaded but not shown (the less likely ones)."""
        return 0 if self.expanded else len(self._rows) - self.matches

    def expand(self) -> None:
        if self.expanded:
            return
        hidden = len(self._rows) - self.matches
        if hidden > 0:
            self.beginInsertRows(QModelIndex(), self.matches, len(self._rows) - 1)
            self.expanded = True
            self.endInsertRows()
        else:
            self.expanded = True

    # --- QAbstractListModel ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        if parent.isValid():
            return 0
        return len(self._rows) if self.expanded else min(self.matches, len(self._rows))

    def canFetchMore(self, parent: Index) -> bool:
        if not self.expanded and self.matches < len(self._rows):
            return False  # the next page only matters once the less likely ones show
        return super().canFetchMore(parent)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        result = self._rows[index.row()]
        if role == CueRole:
            return cue(result) if self.scored else None
        if role == DayRole:
            if not (self.scored and self.date_order and result.match):
                return None
            label = day_label(result.taken, self.by_month)
            previous = self._rows[index.row() - 1] if index.row() else None
            if previous is None or day_label(previous.taken, self.by_month) != label:
                return label
            return None
        if role == Qt.ItemDataRole.ToolTipRole and self.scored:
            found = f"\nits {', '.join(result.why)} holds your words" if result.why else ""
            return f"{result.path}\n{CUE_TEXT[cue(result)]} (score {result.score:.3f}){found}"
        return super().data(index, role)

    def refresh_thumbnails(self) -> None:
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0), self.index(self.rowCount() - 1), [Qt.ItemDataRole.DecorationRole]
            )

    def _thumbnail_ready(self, key: str) -> None:
        row = self._row_of.get(key)
        if row is not None and row < self.rowCount():
            super()._thumbnail_ready(key)


def draw_badge(painter: QPainter, box: QRect, metrics: Any, text: str, colour: QColor) -> None:
    """A small rounded label in a photo's top-left corner (the match cue)."""
    width = metrics.horizontalAdvance(text) + 10
    badge = QRect(box.x() + 3, box.y() + 3, width, metrics.height() + 2)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(badge, 4, 4)
    painter.setPen(QColor("white"))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
