"""The justified grid's layout as a pure function: aspect ratios (and groups) in, rows out."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from magpie.gui.justified import (
    FALLBACK_ASPECT,
    MAX_ASPECT,
    MAX_GROWTH,
    JustifiedLayout,
    Settings,
    clamp_aspect,
)

WIDTH, HEIGHT, SPACING = 1000, 160, 4


def laid(aspects, groups=None, width=WIDTH, height=HEIGHT) -> JustifiedLayout:
    layout = JustifiedLayout(Settings(width, height, SPACING))
    layout.extend(aspects, groups)
    return layout


def mixed(n: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.choice([4 / 3, 3 / 2, 2 / 3, 3 / 4, 1.0, 16 / 9, 3.2]) for _ in range(n)]


def test_full_rows_fill_the_width_at_one_height_and_keep_each_photos_shape():
    aspects = mixed(200)
    layout = laid(aspects)
    assert len(layout.rects) == 200
    for row in layout.rows[:-1]:  # every row but the last is full
        cells = layout.rects[row.first : row.last + 1]
        assert {h for _x, _y, _w, h in cells} == {row.height}
        assert cells[0][0] == SPACING
        right = cells[-1][0] + cells[-1][2]
        assert right == WIDTH - SPACING  # flush with the right edge, no ragged gap
        for k, (_x, _y, w, h) in zip(range(row.first, row.last + 1), cells, strict=True):
            # the photo's own proportions (to a pixel of rounding; the last cell absorbs it)
            assert abs(w - aspects[k] * h) <= 2 + (k == row.last) * len(cells)
        gaps = [b[0] - (a[0] + a[2]) for a, b in itertools.pairwise(cells)]
        assert all(SPACING - 1 <= g <= SPACING + 1 for g in gaps)
        assert HEIGHT / 2 <= row.height <= HEIGHT * MAX_GROWTH


def test_rows_follow_each_other_without_overlap_and_the_height_adds_up():
    layout = laid(mixed(300, seed=7))
    for above, below in zip(layout.rows, layout.rows[1:], strict=False):
        assert below.y == above.y + above.height + SPACING
        assert below.first == above.last + 1
    last = layout.rows[-1]
    assert layout.total_height == last.y + last.height + SPACING


def test_the_last_row_stays_at_the_target_height_left_aligned():
    layout = laid([1.0, 1.0])  # two squares do not fill 1000 px
    assert len(layout.rows) == 1
    assert layout.rows[0].height == HEIGHT
    assert layout.rects[0] == (SPACING, 0, HEIGHT, HEIGHT)
    assert layout.rects[1][0] == SPACING + HEIGHT + SPACING


@pytest.mark.parametrize("unknown", [None, 0, -1.5, math.nan])
def test_photos_without_a_size_fall_back_to_four_by_three(unknown):
    assert clamp_aspect(unknown) == FALLBACK_ASPECT
    layout = laid([unknown])
    _x, _y, w, h = layout.rects[0]
    assert w == round(FALLBACK_ASPECT * h)


def test_a_panorama_is_capped_so_one_photo_never_makes_a_sliver_row():
    assert clamp_aspect(40.0) == MAX_ASPECT
    layout = laid([40.0, 1.0])
    assert layout.rows[0].height >= WIDTH / MAX_ASPECT / 2


def test_groups_start_new_rows_under_month_and_day_headers():
    groups = [("March 2024", "Sat 16 March")] * 3 + [("March 2024", "Thu 14 March")] * 2
    groups += [("February 2024", "Thu 29 February")]
    layout = laid([1.5] * 6, groups)
    texts = [(h.text, h.level, h.first) for h in layout.headers]
    assert texts == [
        ("March 2024", 0, 0),
        ("Sat 16 March", 1, 0),
        ("Thu 14 March", 1, 3),  # same month: no second month header
        ("February 2024", 0, 5),
        ("Thu 29 February", 1, 5),
    ]
    assert [(r.first, r.last) for r in layout.rows] == [(0, 2), (3, 4), (5, 5)]
    for header in layout.headers:  # a header sits right above its first photo's row
        row = layout.rows[layout.row_of(header.first)]
        assert header.y < row.y
        assert layout.rects[header.first][1] == row.y
    # headers and rows never overlap
    spans = sorted([(h.y, h.y + h.height) for h in layout.headers])
    spans += [(r.y, r.y + r.height) for r in layout.rows]
    spans.sort()
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_appending_pages_gives_the_same_layout_as_laying_out_everything_at_once():
    aspects = mixed(1000, seed=3)
    groups = [("M", f"day {i // 37}") for i in range(1000)]
    whole = laid(aspects, groups)
    paged = JustifiedLayout(Settings(WIDTH, HEIGHT, SPACING))
    for start in range(0, 1000, 90):  # pages end mid-row and mid-group
        paged.extend(aspects[start : start + 90], groups[start : start + 90])
    assert paged.rects == whole.rects
    assert paged.rows == whole.rows
    assert paged.headers == whole.headers
    assert paged.total_height == whole.total_height


def test_reset_lays_out_again_for_a_new_width_or_height():
    layout = laid(mixed(50))
    layout.reset(Settings(600, 240, SPACING))
    fresh = laid(mixed(50), width=600, height=240)
    assert layout.rects == fresh.rects


def test_what_is_visible_is_found_by_bisection():
    layout = laid(mixed(5000, seed=5))
    top, bottom = 40_000, 40_800
    rows = layout.rows_between(top, bottom)
    expected = [r for r in layout.rows if r.y <= bottom and r.y + r.height >= top]
    assert rows == expected
    assert 3 <= len(rows) <= 8


def test_item_at_and_neighbours_across_rows():
    layout = laid(mixed(100, seed=9))
    for k in (0, 17, 63):
        x, y, w, h = layout.rects[k]
        assert layout.item_at(x + w // 2, y + h // 2) == k
    assert layout.item_at(0, 0) is None  # the spacing between cells is nobody's
    row = layout.rows[1]
    below = layout.neighbour(row.first, +1)
    assert layout.rows[2].first <= below <= layout.rows[2].last
    assert layout.neighbour(below, -1) in range(row.first, row.last + 1)
    assert layout.neighbour(0, -1) == 0  # the top row has no row above
    last_row = layout.rows[-1]
    assert layout.neighbour(0, 10_000) in range(last_row.first, last_row.last + 1)


def test_a_hundred_thousand_photos_lay_out_in_one_pass():
    layout = laid(mixed(100_000, seed=11))
    assert len(layout.rects) == 100_000
    assert layout.rows[-1].last == 99_999
