"""The photo area: a justified grid (photos at their own proportions in rows of equal height),
grouped into a timeline with month and day headers, and its delegate.

A QListView whose geometry (visualRect, indexAt, moveCursor, setSelection, scrolling) comes
from magpie.gui.justified instead of QListView's own layout, so selection, Ctrl+A, drag out,
tool tips, fetchMore paging and the accessibility of a list view (its items are read out by
name) keep working. Only visible rows are painted, and only their thumbnails are asked for.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QLinearGradient,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from magpie.gui import release
from magpie.gui.badges import paint_badges
from magpie.gui.item_models import FailedRole
from magpie.gui.justified import JustifiedLayout, Settings
from magpie.gui.matches import CueRole, draw_badge
from magpie.gui.scrubber import DateScrubber

SPACING = 4
Index = QModelIndex | QPersistentModelIndex


# Pages this big (results and their layout: long-lived) are moved out of the garbage
# collector's sight: a full collection over 100k results takes ~100 ms on the GUI thread.
FREEZE_AFTER = 1000


def _freeze_long_lived() -> None:
    """gc.freeze(): what is alive now is never scanned again by the cyclic collector (it is
    freed as usual when its last reference goes: results and layouts hold no cycles)."""
    gc.freeze()


def thumbnail_pixels(row_height: int) -> int:
    """The thumbnails' longest side for a row height: a 3:2 photo fills its cell sharply."""
    return round(row_height * 1.5)


def day_labels(stamp: float | None, cache: dict[tuple[int, int, int], tuple[str, str]]) -> tuple:
    """("March 2024", "Sat 14 March") for a date; memoised per day (100k photos, ~3k days)."""
    if stamp is None:
        return ("Undated", None)
    local = time.localtime(stamp)
    key = (local.tm_year, local.tm_mon, local.tm_mday)
    found = cache.get(key)
    if found is None:
        month = time.strftime("%B %Y", local)
        day = time.strftime("%a %d %B", local).replace(" 0", " ")
        found = cache[key] = (month, day)
    return found


class JustifiedDelegate(QStyledItemDelegate):
    """A photo filling its cell (cropped to the cell's shape, which is the photo's own), the
    name on hover (or always, as a View option), the match cue and the selection."""

    def __init__(self, size: int, parent: Any = None) -> None:
        super().__init__(parent)
        self.size = size  # the row height
        self.show_names = False

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        painter.save()
        palette = option.palette
        cell = QRect(option.rect)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(QRectF(cell), pixmap, _cover(pixmap, cell))
            paint_badges(painter, cell, index)
        else:
            placeholder = QColor(palette.color(QPalette.ColorRole.Mid))
            placeholder.setAlpha(60)
            painter.fillRect(cell, placeholder)
            if index.data(FailedRole):
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, "cannot show")
        kind = index.data(CueRole)
        metrics = option.fontMetrics
        if kind == "less":
            veil = QColor(palette.color(QPalette.ColorRole.Base))
            veil.setAlpha(110)
            painter.fillRect(cell, veil)
            model = index.model()
            if index.row() == 0 or model.index(index.row() - 1, 0).data(CueRole) != "less":
                draw_badge(painter, cell, metrics, "Less likely", QColor(90, 90, 90, 200))
        elif kind is not None:
            dots = "●●●" if kind == "strong" else "●●○"
            draw_badge(painter, cell, metrics, dots, QColor(30, 120, 60, 210))
        if hovered or self.show_names:
            self._paint_name(painter, option, index)
        if selected:
            pen_colour = palette.color(QPalette.ColorRole.Highlight)
            veil = QColor(pen_colour)
            veil.setAlpha(70)
            painter.fillRect(cell, veil)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pen_colour)
            frame = QRegion(cell).subtracted(QRegion(cell.adjusted(3, 3, -3, -3)))
            painter.setClipRegion(frame)
            painter.drawRect(cell)
            painter.setClipping(False)
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(cell.adjusted(1, 1, -2, -2))
        painter.restore()

    @staticmethod
    def _paint_name(painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        metrics = option.fontMetrics
        cell = option.rect
        band = QRect(
            cell.x(), cell.bottom() - metrics.height() - 6, cell.width(), metrics.height() + 7
        )
        shade = QLinearGradient(0, band.top(), 0, band.bottom())
        shade.setColorAt(0, QColor(0, 0, 0, 0))
        shade.setColorAt(1, QColor(0, 0, 0, 170))
        painter.fillRect(band, shade)
        painter.setPen(QColor("white"))
        name = metrics.elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole) or ""),
            Qt.TextElideMode.ElideMiddle,
            max(0, cell.width() - 8),
        )
        painter.drawText(band.adjusted(4, 0, -4, -2), Qt.AlignmentFlag.AlignBottom, name)


def _cover(pixmap: QPixmap, cell: QRect) -> QRectF:
    """The part of the pixmap that fills the cell without distortion (centred crop)."""
    pw, ph = pixmap.width(), pixmap.height()
    if cell.height() <= 0 or ph <= 0:
        return QRectF(0, 0, pw, ph)
    want = cell.width() / cell.height()
    if pw / ph > want:  # wider than the cell: crop the sides
        w = ph * want
        return QRectF((pw - w) / 2, 0, w, ph)
    h = pw / want
    return QRectF(0, (ph - h) / 2, pw, h)


class JustifiedGrid(QListView):
    """Photos in justified rows; a timeline (month and day headers, date scrubber) on demand."""

    previewRequested = Signal(QModelIndex)
    deleteIgnored = Signal()  # Delete was pressed: nothing happens to files, the window says so
    # a page bigger than the usual is wanted (a scrubber jump far ahead): main window's paging
    FETCH_AHEAD = 2500
    CHUNK = 2000  # photos laid out per turn of the event loop when laying out again (~8 ms)
    _rebuild: tuple[JustifiedLayout, tuple[int, int] | None] | None = None
    # QListView calls the overrides below while it is being built: they see an empty grid
    _built = False
    layout_ = JustifiedLayout(Settings(1, 160, SPACING))
    row_height = 160
    _hover = -1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setUniformItemSizes(True)  # QListView's own (unused) layout stays O(1) per item
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMouseTracking(True)
        self.setAccessibleName("Photos")
        self.setAccessibleDescription(
            "Your photos in rows; arrow keys move, Enter or Space previews, "
            "the menu key opens actions"
        )
        self.row_height = 160
        self.timeline = False
        self.fetch_hint = 0  # rows wanted in the next page (0: the usual page)
        self.layout_ = JustifiedLayout(Settings(self._width(), self.row_height, SPACING))
        self._laid = 0  # model rows laid out so far
        self._labels: dict[tuple[int, int, int], tuple[str, str]] = {}
        self._hover = -1
        self._jump: tuple[int, int] | None = None  # (year, month) waiting for its rows
        self.scrubber = DateScrubber(self)
        self.scrubber.jumpTo.connect(self.jump_to_month)
        self.scrubber.jumpToFraction.connect(self._jump_to_fraction)
        self.scrubber.setVisible(False)
        self.activated.connect(self.previewRequested)  # double-click (or Enter) opens preview
        self._rebuild_timer = QTimer(self, interval=0)
        self._rebuild_timer.timeout.connect(self._rebuild_step)
        self._built = True
        release.start()

    # --- content and layout ----------------------------------------------------------------

    def set_timeline(self, on: bool) -> None:
        """Month and day headers and the date scrubber (the library, or date-ordered results)."""
        if on != self.timeline:
            self.timeline = on
            self._relayout()
        self.scrubber.setVisible(on)
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff if on else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )
        self.setViewportMargins(0, 0, self.scrubber.WIDTH if on else 0, 0)
        self._place_scrubber()

    def set_row_height(self, height: int) -> None:
        """A new thumbnail size; the photo at the top stays at the top."""
        if height == self.row_height:
            return
        anchor = self._top_item()
        self.row_height = height
        delegate = self.itemDelegate()
        if isinstance(delegate, JustifiedDelegate):
            delegate.size = height
        self._relayout(anchor)

    def fill_width(self) -> None:
        """Lay out again for the current width (kept for the window's older callers)."""
        self._relayout(self._top_item())

    def setModel(self, model: Any) -> None:
        super().setModel(model)
        if model is not None:
            model.modelReset.connect(self._model_reset)
            model.rowsRemoved.connect(self._model_reset)
            model.layoutChanged.connect(self._model_reset)
            model.rowsInserted.connect(self._rows_inserted)
        self._relayout()

    def _model_reset(self, *_args: Any) -> None:
        self._hover = -1
        self._relayout(now=True)

    def _rows_inserted(self, parent: QModelIndex, first: int, _last: int) -> None:
        if self._rebuild is not None:
            return  # the layout being made reads the new rows on its next chunk
        if first == self._laid:
            self._extend()  # a page appended: only the new rows (and the last one) are laid
        else:
            self._relayout(self._top_item())
        self._retry_jump()

    def _width(self) -> int:
        return max(1, self.viewport().width())

    def _relayout(self, anchor: tuple[int, int] | None = None, now: bool = False) -> None:
        """Lay everything out again (new width, size, grouping or content). A big grid is
        laid out a chunk per turn of the event loop while the old layout stays on screen,
        so no turn stalls the window; `now`: at once (new content: the old layout is wrong)."""
        if not self._built:
            return
        fresh = JustifiedLayout(Settings(self._width(), self.row_height, SPACING))
        model = self.model()
        count = model.rowCount() if model is not None else 0
        self._rebuild = None
        self._rebuild_timer.stop()
        if now or count <= self.CHUNK:
            self._release(self.layout_)
            self.layout_, self._laid = fresh, 0
            self._extend()
            self._restore(anchor)
            return
        self._rebuild = (fresh, anchor)
        self._rebuild_timer.start()

    @staticmethod
    def _release(layout: JustifiedLayout) -> None:
        if layout is not JustifiedGrid.layout_:  # never the shared empty one
            release.release_in_background(
                layout.rects, layout.rows, layout._aspects, layout._groups, layout._row_tops
            )

    @property
    def relaying(self) -> bool:
        """A big layout is being made, chunk by chunk (the old one shows meanwhile)."""
        return self._rebuild is not None

    def _rebuild_step(self) -> None:
        if self._rebuild is None:
            self._rebuild_timer.stop()
            return
        fresh, anchor = self._rebuild
        model = self.model()
        count = model.rowCount() if model is not None else 0
        laid = len(fresh)
        end = min(count, laid + self.CHUNK)
        if end > laid:
            fresh.extend(*self._groups_of(laid, end))
        if len(fresh) < count:
            return  # more next turn
        self._rebuild_timer.stop()
        self._rebuild = None
        self._release(self.layout_)
        self.layout_, self._laid = fresh, count
        _freeze_long_lived()
        self.updateGeometries()
        self.viewport().update()
        self.scrubber.update()
        self._restore(anchor)
        self._retry_jump()

    def _restore(self, anchor: tuple[int, int] | None) -> None:
        """Scroll so the photo that was at the top is at the top again."""
        if anchor is not None and anchor[0] < len(self.layout_.rects):
            item, inset = anchor
            row = self.layout_.rows[self.layout_.row_of(item)]
            self.verticalScrollBar().setValue(row.y + min(inset, row.height - 1))

    def _groups_of(self, first: int, last: int) -> tuple[list[float | None], list[tuple] | None]:
        aspects, stamps = self._items(first, last)
        groups = [day_labels(s, self._labels) for s in stamps] if self.timeline else None
        return aspects, groups

    def _extend(self) -> None:
        model = self.model()
        count = model.rowCount() if model is not None else 0
        if self._rebuild is not None:
            return  # the layout being made catches up with the new rows itself
        if count > self._laid:
            self.layout_.extend(*self._groups_of(self._laid, count))
            if count - self._laid >= FREEZE_AFTER:
                _freeze_long_lived()
            self._laid = count
        self.updateGeometries()
        self.viewport().update()
        self.scrubber.update()

    def _items(self, first: int, last: int) -> tuple[list[float | None], list[float | None]]:
        """Aspect ratios and dates of rows first..last-1: straight from the results when the
        model has them (100k data() calls through Qt would stall), else from its roles."""
        model = self.model()
        result = getattr(model, "result", None)
        if callable(result):
            rows = [result(r) for r in range(first, last)]
            return [r.aspect for r in rows], [r.taken for r in rows]
        from magpie.gui.item_models import AspectRole, TakenRole

        indexes = [model.index(r, 0) for r in range(first, last)]
        return [i.data(AspectRole) for i in indexes], [i.data(TakenRole) for i in indexes]

    def _top_item(self) -> tuple[int, int] | None:
        """The first photo showing at the top, and how far above its top the view is."""
        offset = self.verticalOffset()
        # the first row still showing (under a header the top may be between rows)
        for row in self.layout_.rows_between(offset, offset + self.viewport().height()):
            if row.y + row.height > offset:
                return row.first, offset - row.y
        return None

    # --- geometry for QAbstractItemView ----------------------------------------------------

    def updateGeometries(self) -> None:
        if not self._built:
            return
        page = self.viewport().height()
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, self.layout_.total_height - page))
        bar.setPageStep(page)
        bar.setSingleStep(max(20, self.row_height // 3))
        self.horizontalScrollBar().setRange(0, 0)
        QAbstractItemView.updateGeometries(self)  # not QListView's: its layout is not ours

    def doItemsLayout(self) -> None:
        # not QListView's: it walks every row (two rowCount calls each, 40 ms at 20k photos)
        # for a layout this view never uses
        QAbstractItemView.doItemsLayout(self)

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()

    def visualRect(self, index: Index) -> QRect:
        if not index.isValid() or index.row() >= len(self.layout_.rects):
            return QRect()
        x, y, w, h = self.layout_.rects[index.row()]
        return QRect(x, y - self.verticalOffset(), w, h)

    def rectForIndex(self, index: Index) -> QRect:
        return self.visualRect(index).translated(0, self.verticalOffset())

    def indexAt(self, point: QPoint) -> QModelIndex:
        item = self.layout_.item_at(point.x(), point.y() + self.verticalOffset())
        model = self.model()
        return model.index(item, 0) if item is not None and model is not None else QModelIndex()

    def isIndexHidden(self, index: Index) -> bool:
        return False

    def scrollTo(
        self, index: Index, hint: Any = QAbstractItemView.ScrollHint.EnsureVisible
    ) -> None:
        if not index.isValid() or index.row() >= len(self.layout_.rects):
            return
        _x, y, _w, h = self.layout_.rects[index.row()]
        bar, page = self.verticalScrollBar(), self.viewport().height()
        top = self._top_with_headers(index.row(), y)
        if hint == QAbstractItemView.ScrollHint.PositionAtTop:
            bar.setValue(top)
        elif hint == QAbstractItemView.ScrollHint.PositionAtCenter:
            bar.setValue(y + h // 2 - page // 2)
        elif y < bar.value():
            bar.setValue(top)
        elif y + h > bar.value() + page:
            bar.setValue(y + h - page + SPACING)

    def _top_with_headers(self, item: int, y: int) -> int:
        """Where to scroll to show an item's row and the headers just above it."""
        row = self.layout_.rows[self.layout_.row_of(item)]
        above = [h.y for h in self.layout_.headers_between(y - 80, y) if h.first == row.first]
        return min([y, *above])

    def setSelection(self, rect: QRect, command: QItemSelectionModel.SelectionFlag) -> None:
        model, offset = self.model(), self.verticalOffset()
        area = rect.normalized().translated(0, offset)
        selection = QItemSelection()
        for row in self.layout_.rows_between(area.top(), area.bottom()):
            run: list[int] = []
            for k in range(row.first, row.last + 1):
                x, y, w, h = self.layout_.rects[k]
                if QRect(x, y, w, h).intersects(area):
                    run.append(k)
            if run:
                selection.select(model.index(run[0], 0), model.index(run[-1], 0))
        self.selectionModel().select(selection, command)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        return QRegion(self.viewport().rect())  # repaint what shows: cheap, and always right

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        model = self.model()
        count = len(self.layout_.rects)
        if model is None or count == 0:
            return QModelIndex()
        current = self.currentIndex().row() if self.currentIndex().isValid() else -1
        if current < 0:
            return model.index(0, 0)
        move = QAbstractItemView.CursorAction
        rows_per_page = max(1, self.viewport().height() // (self.row_height + SPACING))
        step = {
            move.MoveLeft: lambda: current - 1,
            move.MovePrevious: lambda: current - 1,
            move.MoveRight: lambda: current + 1,
            move.MoveNext: lambda: current + 1,
            move.MoveUp: lambda: self.layout_.neighbour(current, -1),
            move.MoveDown: lambda: self.layout_.neighbour(current, +1),
            move.MovePageUp: lambda: self.layout_.neighbour(current, -rows_per_page),
            move.MovePageDown: lambda: self.layout_.neighbour(current, rows_per_page),
            move.MoveHome: lambda: 0,
            move.MoveEnd: lambda: count - 1,
        }.get(action)
        target = step() if step is not None else current
        return model.index(min(max(target, 0), count - 1), 0)

    # --- painting --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        if model is None:
            return
        painter = QPainter(self.viewport())
        offset = self.verticalOffset()
        area = event.rect().translated(0, offset)
        top, bottom = area.top(), area.bottom()
        self._paint_headers(painter, offset, top, bottom)
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        base_state = option.state
        selection = self.selectionModel()
        current = self.currentIndex()
        focus = self.hasFocus()
        rects = self.layout_.rects
        for row in self.layout_.rows_between(top, bottom):
            for k in range(row.first, min(row.last + 1, len(rects))):
                index = model.index(k, 0)
                if not index.isValid():
                    continue
                x, y, w, h = rects[k]
                option.rect = QRect(x, y - offset, w, h)
                state = base_state
                if selection is not None and selection.isSelected(index):
                    state |= QStyle.StateFlag.State_Selected
                if k == self._hover:
                    state |= QStyle.StateFlag.State_MouseOver
                if focus and index == current:
                    state |= QStyle.StateFlag.State_HasFocus
                option.state = state
                self.itemDelegateForIndex(index).paint(painter, option, index)
        painter.end()

    def _paint_headers(self, painter: QPainter, offset: int, top: int, bottom: int) -> None:
        palette = self.palette()
        for header in self.layout_.headers_between(top, bottom):
            font = QFont(self.font())
            if header.level == 0:
                font.setPointSizeF(font.pointSizeF() * 1.35)
                font.setBold(True)
            else:
                font.setPointSizeF(font.pointSizeF() * 1.0)
            painter.setFont(font)
            role = QPalette.ColorRole.Text if header.level == 0 else QPalette.ColorRole.WindowText
            painter.setPen(palette.color(role))
            box = QRect(SPACING + 2, header.y - offset, self._width() - 8, header.height)
            painter.drawText(
                box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, header.text
            )

    # --- events ----------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._built:
            return
        self._place_scrubber()
        if self.layout_.settings.width != self._width():
            self._relayout(self._top_item())

    def _place_scrubber(self) -> None:
        rect = self.contentsRect()
        width = self.scrubber.WIDTH
        self.scrubber.setGeometry(rect.right() - width + 1, rect.top(), width, rect.height())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        hover = index.row() if index.isValid() else -1
        if hover != self._hover:
            self._hover = hover
            self.viewport().update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: Any) -> None:
        if self._hover != -1:
            self._hover = -1
            self.viewport().update()
        super().leaveEvent(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()  # headers and rows move together: repaint, never blit stale
        if self._built:
            self.scrubber.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        preview_keys = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if event.key() in preview_keys and self.currentIndex().isValid():
            self.previewRequested.emit(self.currentIndex())
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            event.accept()  # never deletes anything: Magpie does not touch photo files
            self.deleteIgnored.emit()
            return
        super().keyPressEvent(event)

    # --- the timeline: where the top is, and jumps -----------------------------------------

    def top_month(self) -> tuple[int, int] | None:
        """(year, month) of the photo at the top (the scrubber's position)."""
        top = self._top_item()
        if top is None:
            return None
        model = self.model()
        result = getattr(model, "result", None)
        stamp = result(top[0]).taken if callable(result) else None
        if stamp is None:
            return None
        local = time.localtime(stamp)
        return local.tm_year, local.tm_mon

    def jump_to_month(self, year: int, month: int) -> None:
        """Scroll to a month's first photo; when it is not loaded yet, page ahead to it."""
        self._jump = (year, month)
        self._retry_jump()

    def _retry_jump(self) -> None:
        if self._jump is None:
            return
        model = self.model()
        result = getattr(model, "result", None)
        count = len(self.layout_.rects)
        if not callable(result) or count == 0:
            return
        wanted = self._jump
        row = _first_on_or_before(wanted, count, lambda r: result(r).taken)
        if row is not None or not getattr(model, "more", False):
            self._jump = None
            self.fetch_hint = 0
            target = row if row is not None else count - 1
            self.scrollTo(model.index(target, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        elif model.canFetchMore(QModelIndex()):  # else a page is on its way: retried on it
            self.fetch_hint = self.FETCH_AHEAD
            model.fetchMore(QModelIndex())

    def _jump_to_fraction(self, fraction: float) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(round(fraction * bar.maximum()))

    def header_near(self, fraction: float) -> str:
        """The month shown at a fraction of the loaded timeline (no outline: search results)."""
        y = round(fraction * max(1, self.layout_.total_height))
        header = self.layout_.header_for(y, 0)
        return header.text if header is not None else ""


def _month_of(stamp: float | None) -> tuple[int, int]:
    if stamp is None:
        return (0, 0)
    local = time.localtime(stamp)
    return local.tm_year, local.tm_mon


def _first_on_or_before(wanted: tuple[int, int], count: int, taken: Any) -> int | None:
    """The first row (newest first) taken in `wanted`'s month or earlier; None: not loaded."""
    lo, hi = 0, count
    while lo < hi:  # dates only fall down the rows: bisect
        mid = (lo + hi) // 2
        if _month_of(taken(mid)) <= wanted and taken(mid) is not None:
            hi = mid
        else:
            lo = mid + 1
    return lo if lo < count else None
