"""The justified grid and timeline: geometry, headers, scrubber jumps, size changes that keep
the top photo, keyboard navigation, selection, accessibility (pytest-qt, offscreen)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from magpie.core.engine import SearchResult
from magpie.gui.item_models import AspectRole, TakenRole
from magpie.gui.matches import MatchedResultsModel
from magpie.gui.photo_grid import JustifiedDelegate, JustifiedGrid
from magpie.gui.thumbnails import ThumbnailLoader
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractItemView
from pytestqt.qtbot import QtBot

from tests.helpers.gui import WAIT_MS
from tests.helpers.packs import solid_image

DAY = 86_400
SHAPES = [4 / 3, 3 / 2, 2 / 3, 1.0, 16 / 9, 3 / 4, None]


def stamp(year: int, month: int, day: int, hour: int = 12) -> float:
    return time.mktime((year, month, day, hour, 0, 0, 0, 0, -1))


def results(count: int, start: float, every_s: float = 0.3 * DAY) -> list[SearchResult]:
    """Newest first, one every `every_s` going back in time; shapes cycle."""
    return [
        SearchResult(
            f"/nowhere/photo-{i:06d}.jpg",
            0.0,
            i + 1,
            None,
            taken=start - i * every_s,
            aspect=SHAPES[i % len(SHAPES)],
        )
        for i in range(count)
    ]


@pytest.fixture
def loader() -> Iterator[ThumbnailLoader]:
    thumbnails = ThumbnailLoader(None, 240, threads=1)
    yield thumbnails
    thumbnails.clear()
    thumbnails.wait()


@pytest.fixture
def grid(qtbot: QtBot, loader: ThumbnailLoader) -> JustifiedGrid:
    model = MatchedResultsModel(loader)
    view = JustifiedGrid()
    view.setItemDelegate(JustifiedDelegate(160, view))
    view.setModel(model)
    view.resize(1000, 700)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def model_of(grid: JustifiedGrid) -> MatchedResultsModel:
    model = grid.model()
    assert isinstance(model, MatchedResultsModel)
    return model


def top_row(grid: JustifiedGrid) -> int:
    found = grid._top_item()
    assert found is not None
    return found[0]


def test_photos_keep_their_proportions_in_rows_of_one_height(grid: JustifiedGrid):
    model_of(grid).set_results(results(60, stamp(2024, 3, 16)), False, scored=False)
    rows: dict[int, set[int]] = {}
    for r in range(60):
        rect = grid.visualRect(model_of(grid).index(r))
        aspect = SHAPES[r % len(SHAPES)] or 4 / 3
        assert abs(rect.width() - aspect * rect.height()) <= 3 or r == 59
        rows.setdefault(rect.top(), set()).add(rect.height())
    assert all(len(heights) == 1 for heights in rows.values())
    assert len(rows) > 3  # not one long row: wrapped to the width
    right = max(grid.visualRect(model_of(grid).index(r)).right() for r in range(10))
    assert grid.viewport().width() - 8 <= right < grid.viewport().width()


def test_the_model_hands_out_size_and_date(grid: JustifiedGrid, qtmodeltester):
    model = model_of(grid)
    model.set_results(results(20, stamp(2024, 3, 16)), True, scored=False)
    qtmodeltester.check(model)
    index = model.index(0)
    assert index.data(AspectRole) == pytest.approx(4 / 3)
    assert index.data(TakenRole) == stamp(2024, 3, 16)
    assert model.index(6).data(AspectRole) is None  # unknown: the grid falls back to 4:3
    spoken = index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith("photo-000000.jpg") and "March 2024" in spoken


def test_the_timeline_has_month_and_day_headers(grid: JustifiedGrid, qtbot: QtBot):
    grid.set_timeline(True)
    model_of(grid).set_results(results(80, stamp(2024, 3, 2), 0.5 * DAY), False, scored=False)
    headers = [(h.level, h.text) for h in grid.layout_.headers]
    assert (0, "March 2024") in headers and (0, "February 2024") in headers
    assert (1, "Sat 2 March") in headers and (1, "Fri 1 March") in headers
    months = [text for level, text in headers if level == 0]
    assert months == ["March 2024", "February 2024", "January 2024"]
    assert grid.scrubber.isVisible()
    # a header is painted where the layout put it (text, not photo, at its height)
    first = grid.layout_.headers[0]
    assert grid.visualRect(model_of(grid).index(0)).top() > first.y
    grid.viewport().grab()  # paints headers and rows without an error
    grid.set_timeline(False)
    assert grid.layout_.headers == [] and not grid.scrubber.isVisible()


def test_the_scrubber_pages_ahead_to_a_month_not_loaded_yet(grid: JustifiedGrid, qtbot: QtBot):
    everything = results(3000, stamp(2024, 3, 16), DAY / 3)  # ~1000 days: 2021 to 2024
    model = model_of(grid)
    pages: list[int] = []

    def next_page(offset: int) -> None:  # what the window does with moreRequested
        size = max(200, grid.fetch_hint)
        pages.append(size)
        chunk = everything[offset : offset + size]
        model.append_results(chunk, offset + size < len(everything))

    model.moreRequested.connect(next_page)
    grid.set_timeline(True)
    model.set_results(everything[:200], True, scored=False)
    grid.scrubber.set_outline(
        [(2024, 3, 300), (2024, 2, 300), (2023, 6, 900), (2022, 1, 900), (2021, 6, 600)]
    )
    grid.jump_to_month(2022, 1)
    qtbot.waitUntil(lambda: grid._jump is None, timeout=5000)
    assert pages and pages[0] == JustifiedGrid.FETCH_AHEAD  # one big page, not 10 small ones
    top = model.result(top_row(grid)).taken
    local = time.localtime(top)
    assert (local.tm_year, local.tm_mon) <= (2022, 1)
    assert (local.tm_year, local.tm_mon) >= (2021, 12)
    assert grid.top_month() == (local.tm_year, local.tm_mon)


def test_dragging_the_scrubber_jumps_and_says_the_month(grid: JustifiedGrid, qtbot: QtBot):
    model = model_of(grid)
    grid.set_timeline(True)
    model.set_results(results(900, stamp(2024, 3, 16), DAY), False, scored=False)
    grid.scrubber.set_outline([(2024, 3, 16), (2023, 6, 500), (2022, 1, 384)])
    scrubber = grid.scrubber
    track = scrubber._track()
    y = round(track.top() + 0.5 * track.height())
    qtbot.mousePress(scrubber, Qt.MouseButton.LeftButton, pos=QPoint(20, y))
    assert scrubber.bubble.isVisible()
    assert scrubber.bubble.text() == "June 2023"
    qtbot.waitUntil(
        lambda: grid.top_month() is not None and grid.top_month() <= (2023, 6), timeout=15_000
    )
    qtbot.mouseRelease(scrubber, Qt.MouseButton.LeftButton, pos=QPoint(20, y))
    assert not scrubber.bubble.isVisible()
    assert grid.verticalScrollBar().value() > 0
    scrubber.grab()  # paints its years and marker


def test_search_results_in_date_order_scrub_by_fraction(grid: JustifiedGrid, qtbot: QtBot):
    grid.set_timeline(True)  # no outline: the loaded rows' own headers
    model_of(grid).set_results(results(600, stamp(2024, 3, 16), DAY), False, scored=False)
    grid.scrubber.jump(1.0)
    assert grid.verticalScrollBar().value() == grid.verticalScrollBar().maximum() > 0
    assert grid.scrubber.label_at(0.0) == "March 2024"


def test_a_new_size_keeps_the_photo_at_the_top(grid: JustifiedGrid, qtbot: QtBot):
    model_of(grid).set_results(results(500, stamp(2024, 3, 16)), False, scored=False)
    grid.scrollTo(model_of(grid).index(200), QAbstractItemView.ScrollHint.PositionAtTop)
    before = top_row(grid)
    assert before > 150
    for height in (240, 100, 320, 160):
        grid.set_row_height(height)
        after = top_row(grid)
        # the same photo (or, at a new width of rows, the one sharing its row) is at the top
        row = grid.layout_.rows[grid.layout_.row_of(before)]
        assert row.first <= after <= row.last
        assert grid.layout_.rows[grid.layout_.row_of(after)].height <= height * 1.5
        before = after


def test_resizing_keeps_the_photo_at_the_top(grid: JustifiedGrid, qtbot: QtBot):
    model_of(grid).set_results(results(500, stamp(2024, 3, 16)), False, scored=False)
    grid.scrollTo(model_of(grid).index(300), QAbstractItemView.ScrollHint.PositionAtTop)
    before = top_row(grid)
    grid.resize(700, 700)
    qtbot.waitUntil(lambda: grid.layout_.settings.width == grid.viewport().width(), timeout=15_000)
    row = grid.layout_.rows[grid.layout_.row_of(before)]
    assert row.first <= top_row(grid) <= row.last


def test_arrow_keys_move_across_justified_rows(grid: JustifiedGrid, qtbot: QtBot):
    model = model_of(grid)
    model.set_results(results(300, stamp(2024, 3, 16)), False, scored=False)
    grid.setFocus()
    grid.setCurrentIndex(model.index(0))
    layout = grid.layout_

    def key(k: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> int:
        qtbot.keyClick(grid, k, modifier)
        return grid.currentIndex().row()

    assert key(Qt.Key.Key_Right) == 1
    assert key(Qt.Key.Key_Left) == 0
    down = key(Qt.Key.Key_Down)
    assert layout.row_of(down) == 1
    assert key(Qt.Key.Key_Up) == 0
    page = key(Qt.Key.Key_PageDown)
    assert layout.row_of(page) >= 3
    assert grid.viewport().rect().contains(grid.visualRect(model.index(page)))
    assert key(Qt.Key.Key_End) == 299
    assert grid.viewport().rect().intersects(grid.visualRect(model.index(299)))
    assert key(Qt.Key.Key_Home) == 0
    # Right at a row's end goes on to the next row's first photo
    end_of_row = layout.rows[0].last
    grid.setCurrentIndex(model.index(end_of_row))
    assert key(Qt.Key.Key_Right) == layout.rows[1].first
    # Shift extends the selection; Ctrl+A selects everything
    key(Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert len(grid.selectionModel().selectedIndexes()) == 2
    qtbot.keyClick(grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(grid.selectionModel().selectedIndexes()) == 300


def test_clicks_select_and_double_click_previews(grid: JustifiedGrid, qtbot: QtBot):
    model = model_of(grid)
    model.set_results(results(30, stamp(2024, 3, 16)), False, scored=False)
    centre = grid.visualRect(model.index(4)).center()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert grid.currentIndex().row() == 4
    other = grid.visualRect(model.index(9)).center()
    qtbot.mouseClick(
        grid.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, other
    )
    assert sorted(i.row() for i in grid.selectedIndexes()) == [4, 9]
    assert grid.indexAt(QPoint(1, 1)) == QModelIndex()  # the margin holds no photo
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    with qtbot.waitSignal(grid.previewRequested) as opened:
        qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert opened.args[0].row() == 4


def test_hovering_shows_the_name_and_the_tooltip_path(grid: JustifiedGrid, qtbot: QtBot):
    model = model_of(grid)
    model.set_results(results(10, stamp(2024, 3, 16)), False, scored=False)
    centre = grid.visualRect(model.index(2)).center()
    qtbot.mouseMove(grid.viewport(), centre)
    qtbot.waitUntil(lambda: grid._hover == 2)
    assert model.index(2).data(Qt.ItemDataRole.ToolTipRole) == "/nowhere/photo-000002.jpg"


def test_the_grid_and_its_photos_are_accessible(grid: JustifiedGrid):
    model_of(grid).set_results(results(10, stamp(2024, 3, 16)), False, scored=False)
    assert grid.accessibleName() == "Photos"
    assert "arrow keys" in grid.accessibleDescription()
    assert grid.scrubber.accessibleName() == "Date scrubber"
    view = QAccessible.queryAccessibleInterface(grid)
    assert view is not None and view.childCount() >= 10
    names = [view.child(i).text(QAccessible.Text.Name) for i in range(view.childCount())]
    assert any(n.startswith("photo-000003.jpg") for n in names)
    cell = next(view.child(i) for i, n in enumerate(names) if n.startswith("photo-000003.jpg"))
    assert cell.rect().isValid()  # the accessible rectangle is the photo's, from our layout


def test_a_hundred_thousand_photos_page_in_without_relaying_everything(
    grid: JustifiedGrid, qtbot: QtBot
):
    model = model_of(grid)
    everything = results(100_000, stamp(2024, 3, 16), 600)
    grid.set_timeline(True)
    model.set_results(everything[:5000], True, scored=False)
    for start in range(5000, 100_000, 5000):
        model.append_results(everything[start : start + 5000], start + 5000 < 100_000)
    assert len(grid.layout_.rects) == 100_000
    grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum() // 2)
    visible = grid.layout_.rows_between(grid.verticalOffset(), grid.verticalOffset() + 700)
    assert 2 <= len(visible) <= 10  # painting touches a few rows, not 100,000 photos
    grid.viewport().grab()


def test_the_window_browses_a_timeline_and_searches_in_justified_rows(
    qtbot: QtBot, tmp_path: Path, colour_pack: Path, photos: Path
):
    from tests.helpers.gui import library_with_pack, open_window

    library = library_with_pack(tmp_path / "library", colour_pack)
    with open_window(qtbot, library) as window:
        window.add_folder(str(photos))
        qtbot.waitUntil(
            lambda: window.results.rowCount() == 7 and window.indexing_state == "idle",
            timeout=15_000,
        )
        assert window.grid.timeline  # no query: the library as a timeline
        qtbot.waitUntil(lambda: window.grid.scrubber.outline.total == 7, timeout=15_000)
        assert [h.level for h in window.grid.layout_.headers][:2] == [0, 1]
        first = window.results.result(0)
        assert first.aspect == pytest.approx(64 / 48) and first.taken is not None
        rect = window.grid.visualRect(window.results.index(0))
        assert abs(rect.width() / rect.height() - 64 / 48) < 0.05
        window.search_bar.edit.setText("red")
        window.run_query_now()
        qtbot.waitUntil(lambda: not window.grid.timeline, timeout=15_000)
        assert window.results.result(0).aspect == pytest.approx(64 / 48)
        assert window.grid.layout_.headers == []
        window.search_options.order.setCurrentIndex(1)  # Date: results as a timeline too
        qtbot.waitUntil(lambda: window.grid.timeline, timeout=15_000)
        assert window.grid.layout_.headers and window.grid.scrubber.isVisible()
        assert window.grid.scrubber.outline.total == 0  # the loaded results' own months
        slider = window.size_slider
        slider.setValue(slider.value() + 40)
        assert window.grid.row_height == slider.value() == window.delegate.size
        window.names_action.setChecked(True)
        assert window.delegate.show_names
        window.grid.viewport().grab()


def test_a_big_grid_is_laid_out_again_in_chunks_keeping_the_top_photo(
    grid: JustifiedGrid, qtbot: QtBot
):
    model = model_of(grid)
    count = JustifiedGrid.CHUNK * 5
    everything = results(count, stamp(2024, 3, 16), 900)
    model.set_results(everything[:1000], True, scored=False)
    model.append_results(everything[1000:], False)
    grid.scrollTo(model.index(count // 2), QAbstractItemView.ScrollHint.PositionAtTop)
    before = top_row(grid)
    old = grid.layout_
    grid.set_row_height(240)
    assert grid.relaying and grid.layout_ is old  # the old layout shows meanwhile
    assert top_row(grid) == before
    qtbot.waitUntil(lambda: not grid.relaying, timeout=10_000)
    assert grid.layout_ is not old and len(grid.layout_.rects) == count
    assert grid.layout_.rows[0].height >= 200
    row = grid.layout_.rows[grid.layout_.row_of(before)]
    assert row.first <= top_row(grid) <= row.last
    # rows appended while a layout is being made are in it when it is done
    grid.set_timeline(True)
    older = [
        replace(r, path=f"/older/{i}.jpg") for i, r in enumerate(results(10, stamp(2020, 1, 1)))
    ]
    model.append_results(older, False)
    qtbot.waitUntil(lambda: not grid.relaying, timeout=10_000)
    assert len(grid.layout_.rects) == count + 10
    assert {"January 2020", "Wed 1 January"} <= {h.text for h in grid.layout_.headers}


def test_scrolling_to_the_end_asks_for_the_next_page_and_drags_carry_files(
    grid: JustifiedGrid, qtbot: QtBot
):
    model = model_of(grid)
    model.set_results(results(300, stamp(2024, 3, 16)), True, scored=False)
    with qtbot.waitSignal(model.moreRequested) as asked:
        grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum())
    assert asked.args == [300]
    grid.selectionModel().select(model.index(3), grid.selectionModel().SelectionFlag.Select)
    mime = model.mimeData(grid.selectedIndexes())
    assert [u.toLocalFile() for u in mime.urls()] == ["/nowhere/photo-000003.jpg"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_thumbnail_loaders_give_way_to_the_gui_thread(
    loader: ThumbnailLoader, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """On a busy 2-core machine the loaders must not take the CPU the window paints with."""
    from magpie.gui import thumbnails

    seen: list[int] = []
    real = thumbnails.load_qimage

    def recording(*args: object, **kwargs: object) -> object:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(thumbnails, "load_qimage", recording)
    photo = solid_image(tmp_path / "red.jpg", (200, 30, 30))
    with qtbot.waitSignal(loader.ready, timeout=WAIT_MS):
        assert loader.pixmap("red", str(photo), None) is None
    gui_thread = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen and seen[0] >= gui_thread + thumbnails.LOADER_NICENESS
    assert loader.pixmap("red", str(photo), None) is not None


def test_thumbnails_come_at_the_size_asked_from_the_cache_or_the_photo(tmp_path: Path):
    from magpie.core.indexer import ThumbnailCache
    from magpie.gui.thumbnails import load_qimage
    from PIL import Image

    cache = ThumbnailCache(tmp_path / "thumbs")
    cache.store("f" * 32, Image.new("RGB", (1200, 800), (20, 120, 200)))  # kept at 320 x 213
    cached = load_qimage("/nowhere/gone.jpg", "f" * 32, cache, 240)
    assert cached.width() == 240 and cached.height() in (159, 160)
    assert cached.pixelColor(120, 80).blue() > 150
    # no cached thumbnail: decoded from the photo itself, at the size asked even when big
    # (a copy to the clipboard asks for 4096: it must not come out thumbnail-sized)
    photo = solid_image(tmp_path / "big.jpg", (200, 30, 30), size=(2400, 1600))
    assert load_qimage(str(photo), None, None, 300).size().toTuple() == (300, 200)
    assert load_qimage(str(photo), None, None, 4096).size().toTuple() == (2400, 1600)
    assert load_qimage(str(tmp_path / "missing.jpg"), None, None, 300).isNull()
