"""The justified grid's layout: photos at their own proportions in rows of equal height.

Pure arithmetic, no Qt (tested on its own): aspect ratios (width / height) and optional
group labels go in; rows with each photo's rectangle, and the headers between groups, come
out. Built incrementally: appending a page re-lays only the last, unfinished row, so paging
through 100,000 photos costs O(page) per page, and finding what is visible is a bisection.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

# Without a size (a video moment, a photo the catalog has no size for): 4:3, a photo's shape.
FALLBACK_ASPECT = 4 / 3
# A panorama wider than this is laid out as if it were this wide (it is cropped to fit).
MAX_ASPECT = 4.0
MIN_ASPECT = 0.25
# A filled row may grow to this multiple of the target height rather than leave a gap.
MAX_GROWTH = 1.5


def clamp_aspect(aspect: float | None) -> float:
    if aspect is None or not aspect > 0:  # also catches NaN
        return FALLBACK_ASPECT
    return min(max(aspect, MIN_ASPECT), MAX_ASPECT)


@dataclass(frozen=True)
class Header:
    """A group's title above its photos: level 0 (a month), 1 (a day)."""

    y: int
    height: int
    text: str
    level: int
    first: int  # the first photo under it


@dataclass(frozen=True)
class Row:
    y: int
    height: int
    first: int  # item indexes first..last, inclusive
    last: int


@dataclass
class Settings:
    width: int  # the viewport's width
    height: int  # the target row height
    spacing: int = 4
    header_heights: tuple[int, int] = (34, 26)  # month, day


@dataclass
class JustifiedLayout:
    """Rows of photos; `extend` appends, `reset` starts again (new width or content)."""

    settings: Settings
    rects: list[tuple[int, int, int, int]] = field(default_factory=list)  # x, y, w, h per item
    rows: list[Row] = field(default_factory=list)
    headers: list[Header] = field(default_factory=list)
    _aspects: list[float] = field(default_factory=list)
    _groups: list[tuple[str | None, ...]] = field(default_factory=list)
    _row_tops: list[int] = field(default_factory=list)
    _header_tops: list[int] = field(default_factory=list)

    def reset(self, settings: Settings | None = None) -> None:
        if settings is not None:
            self.settings = settings
        aspects, groups = self._aspects, self._groups
        self.rects, self.rows, self.headers = [], [], []
        self._aspects, self._groups, self._row_tops, self._header_tops = [], [], [], []
        self.extend(aspects, groups)

    def clear(self) -> None:
        self._aspects, self._groups = [], []
        self.reset()

    def __len__(self) -> int:
        return len(self._aspects)

    @property
    def total_height(self) -> int:
        tops = [self.rows[-1].y + self.rows[-1].height if self.rows else 0]
        if self.headers:
            tops.append(self.headers[-1].y + self.headers[-1].height)
        return max(tops) + self.settings.spacing

    def extend(
        self,
        aspects: Sequence[float | None],
        groups: Sequence[tuple[str | None, ...]] | None = None,
    ) -> None:
        """Append photos. `groups`: per photo, its labels from the outermost (month, day);
        a label that differs from the photo before's starts a new header and row."""
        start = len(self._aspects)
        self._aspects.extend(clamp_aspect(a) for a in aspects)
        self._groups.extend(groups if groups is not None else [()] * len(aspects))
        # the last row may be unfinished (short, left-aligned): lay it out again with the new
        first = start
        if self.rows and self.rows[-1].last == start - 1 and not self._group_starts(start):
            first = self.rows.pop().first
            self._row_tops.pop()
            del self.rects[first:]
        self._lay(first)

    def _group_starts(self, i: int) -> bool:
        return i == 0 or self._groups[i] != self._groups[i - 1]

    def _next_y(self) -> int:
        spacing = self.settings.spacing
        bottoms = [0]
        if self.rows:
            bottoms.append(self.rows[-1].y + self.rows[-1].height + spacing)
        if self.headers:
            bottoms.append(self.headers[-1].y + self.headers[-1].height)
        return max(bottoms)

    def _lay(self, first: int) -> None:
        s = self.settings
        spacing, target = s.spacing, max(8, s.height)
        width = max(s.width - 2 * spacing, target)
        y = self._next_y()
        aspects, groups = self._aspects, self._groups
        n = len(aspects)
        i = first
        while i < n:
            if self._group_starts(i) and not (self.headers and self.headers[-1].first == i):
                y = self._add_headers(i, y)
            # greedy: fill the row at the target height until it reaches the width
            j, total = i, 0.0
            while j < n and (j == i or groups[j] == groups[i]):
                total += aspects[j]
                j += 1
                if total * target + (j - i - 1) * spacing >= width:
                    break
            count = j - i
            room = width - (count - 1) * spacing
            full = total * target + (count - 1) * spacing >= width
            if full:
                height = room / total
                # one photo fewer, stretched, may be closer to the target height
                if count > 1:
                    fewer = (width - (count - 2) * spacing) / (total - aspects[j - 1])
                    if abs(fewer - target) < abs(height - target) and fewer <= target * MAX_GROWTH:
                        j, count, total, height = j - 1, count - 1, total - aspects[j - 1], fewer
                        room = width - (count - 1) * spacing
            else:
                height = float(target)  # a group's last row stays at the target, left-aligned
            row_height = max(1, round(height))
            x = float(spacing)
            for k in range(i, j):
                # the row's last photo takes what rounding left, so a full row ends flush
                w = aspects[k] * height
                left = round(x)
                right = spacing + width if full and k == j - 1 else round(x + w)
                self.rects.append((left, y, max(1, right - left), row_height))
                x += w + spacing
            self.rows.append(Row(y, row_height, i, j - 1))
            self._row_tops.append(y)
            y += row_height + spacing
            i = j

    def _add_headers(self, i: int, y: int) -> int:
        labels = self._groups[i]
        before = self._groups[i - 1] if i else ()
        changed = False
        for level, label in enumerate(labels):
            changed = changed or level >= len(before) or before[level] != label
            if changed and label:
                height = self.settings.header_heights[min(level, 1)]
                self.headers.append(Header(y, height, label, level, i))
                self._header_tops.append(y)
                y += height
        return y

    # --- queries ------------------------------------------------------------------------------

    def rows_between(self, top: int, bottom: int) -> list[Row]:
        """The rows that show between two heights (what to paint)."""
        start = max(0, bisect_right(self._row_tops, top) - 1)
        out = []
        for row in self.rows[start:]:
            if row.y > bottom:
                break
            if row.y + row.height >= top:
                out.append(row)
        return out

    def headers_between(self, top: int, bottom: int) -> list[Header]:
        start = max(0, bisect_right(self._header_tops, top) - 1)
        return [h for h in self.headers[start:] if h.y <= bottom and h.y + h.height >= top][:64]

    def row_of(self, item: int) -> int:
        """The row holding an item (bisection on the rows' first items)."""
        lo, hi = 0, len(self.rows) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.rows[mid].first <= item:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def item_at(self, x: int, y: int) -> int | None:
        for row in self.rows_between(y, y):
            if row.y <= y < row.y + row.height:
                for k in range(row.first, row.last + 1):
                    left, _top, w, _h = self.rects[k]
                    if left <= x < left + w:
                        return k
        return None

    def header_for(self, y: int, level: int) -> Header | None:
        """The header of the given level in force at height y (the scrubber's label)."""
        index = bisect_right(self._header_tops, y) - 1
        while index >= 0:
            if self.headers[index].level == level:
                return self.headers[index]
            index -= 1
        return None

    def neighbour(self, item: int, rows_down: int) -> int:
        """The item in the row `rows_down` away (negative: up) nearest in x; arrows, pages."""
        if not self.rows:
            return item
        row = self.row_of(item)
        target = min(max(row + rows_down, 0), len(self.rows) - 1)
        if target == row:
            return item
        left, _y, w, _h = self.rects[item]
        centre = left + w / 2
        other = self.rows[target]
        return min(
            range(other.first, other.last + 1),
            key=lambda k: abs(self.rects[k][0] + self.rects[k][2] / 2 - centre),
        )
