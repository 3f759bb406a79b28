"""Videos, RAW and pairs in the real window (offscreen): moments as rows with a play badge and
their time, find-similar from a frame, playing from the moment, pairs with a badge."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.gui.app import create_window
from magpie.gui.badges import badge_text
from magpie.gui.item_models import TimeRole
from magpie.gui.main_window import MainWindow
from magpie.gui.player import play_at, player_command
from magpie.gui.thumbnails import load_qimage
from PIL import Image
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from tests.helpers.media import make_dng, make_video
from tests.helpers.packs import COLOURS, solid_image

WAIT_MS = 20_000
RED, GREEN, BLUE = COLOURS["red"], COLOURS["green"], COLOURS["blue"]


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    make_video(root / "clip.mp4", [(RED, 3), (GREEN, 4), (BLUE, 3)])
    solid_image(root / "green.jpg", GREEN)
    solid_image(root / "IMG_0001.JPG", RED)
    make_dng(root / "IMG_0001.dng", RED, preview=Image.new("RGB", (640, 480), RED))
    return root


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, colour_pack: Path, media: Path):
    library = tmp_path / "library"
    import_pack(Library(library), colour_pack)
    window = create_window(str(library))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.ready, timeout=WAIT_MS)
    window.add_folder(str(media))
    qtbot.waitUntil(lambda: window.status.images == 4, timeout=WAIT_MS)
    yield window
    window.host.shutdown()
    window.thumbnails.wait()


def search(window: MainWindow, qtbot: QtBot, text: str, first: str) -> None:
    window.search_bar.edit.setText(text)
    window.run_query_now()
    qtbot.waitUntil(
        lambda: window.results.rowCount() > 0 and Path(window.results.result(0).path).name == first,
        timeout=WAIT_MS,
    )


def test_moments_are_rows_with_a_play_badge_and_time(window: MainWindow, qtbot: QtBot):
    search(window, qtbot, "blue", "clip.mp4")
    assert window.results.rowCount() == 1  # only the blue moment matches; the rest on demand
    window.show_less_likely()
    rows = [window.results.result(i) for i in range(window.results.rowCount())]
    moments = sorted(r.time for r in rows if r.path.endswith("clip.mp4"))
    assert moments == pytest.approx([0.0, 3.0, 7.0])  # three rows, one per moment
    first = window.results.index(0)
    assert first.data(TimeRole) == pytest.approx(7.0)
    assert badge_text(first) == (True, "0:07", "")
    # each moment's own frame, painted with its badge (blue in the middle of the play mark);
    # asked with its real source: if the grid has not painted it yet, this request loads it
    moment = window.results.result(0)
    qtbot.waitUntil(
        lambda: (
            window.thumbnails.pixmap(_key(window, 0), moment.path, moment.fingerprint, moment.time)
            is not None
        ),
        timeout=WAIT_MS,
    )
    image = window.grid.viewport().grab().toImage()
    assert not image.isNull()
    rect = window.grid.visualRect(first)
    # left of the play mark, in the picture's middle row: the blue frame, not the red first one
    left = QColor(image.pixel(rect.center().x() - 40, rect.top() + 6 + window.delegate.size // 2))
    assert left.blue() > 150 and left.red() < 90


def clip_row(window: MainWindow, seconds: float) -> int:
    for row in range(window.results.rowCount()):
        result = window.results.result(row)
        if result.path.endswith("clip.mp4") and result.time == pytest.approx(seconds):
            return row
    raise AssertionError(f"no moment at {seconds}")


def _key(window: MainWindow, row: int) -> str:
    from magpie.gui.item_models import result_key

    return result_key(window.results.result(row))


def test_pair_shows_once_with_a_badge(window: MainWindow, qtbot: QtBot):
    search(window, qtbot, "red", "IMG_0001.JPG")
    names = [Path(window.results.result(i).path).name for i in range(window.results.rowCount())]
    assert "IMG_0001.dng" not in names
    assert badge_text(window.results.index(0)) == (False, "", "RAW")


def test_find_similar_from_a_frame(window: MainWindow, qtbot: QtBot, media: Path):
    search(window, qtbot, "green", "green.jpg")
    index = window.results.index(clip_row(window, 3.0))
    assert index.data(TimeRole) == pytest.approx(3.0)
    menu = window.context_menu([str(media / "clip.mp4")], 3.0)
    actions = {a.text(): a for a in menu.actions()}
    assert "Play from 0:03" in actions
    actions["Find similar"].trigger()
    qtbot.waitUntil(
        lambda: (
            window.results.rowCount() > 0
            and Path(window.results.result(0).path).name == "green.jpg"
        ),
        timeout=WAIT_MS,
    )
    assert window.query.similar_time == pytest.approx(3.0)


def test_preview_of_a_moment(window: MainWindow, qtbot: QtBot):
    search(window, qtbot, "green", "green.jpg")
    window.open_preview(window.results.index(clip_row(window, 3.0)))
    preview = window.preview
    qtbot.waitUntil(lambda: "h264" in preview.info.text(), timeout=WAIT_MS)
    assert "video 0:10" in preview.info.text()
    assert preview.play.isVisible() and preview.play.text().endswith("Play from 0:03")
    qtbot.waitUntil(
        lambda: preview.picture.pixmap() is not None and not preview.picture.pixmap().isNull(),
        timeout=WAIT_MS,
    )
    picture = preview.picture.pixmap().toImage()
    centre = QColor(picture.pixel(picture.width() // 2, picture.height() // 2))
    assert centre.green() > 150 and centre.red() < 90  # the frame at 0:03, not the first


def test_video_thumbnail_without_cache_decodes_the_moment(media: Path):
    image = load_qimage(str(media / "clip.mp4"), None, None, 80, 7.5)
    assert not image.isNull() and max(image.width(), image.height()) == 80
    colour = QColor(image.pixel(image.width() // 2, image.height() // 2))
    assert colour.blue() > 150 and colour.red() < 90


def test_player_starts_at_the_moment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "args.txt"
    mpv = bin_dir / "mpv"
    mpv.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n')
    mpv.chmod(mpv.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    assert player_command("/v/clip.mp4", 7.0) == [str(mpv), "--start=7.000", "/v/clip.mp4"]
    assert play_at("/v/clip.mp4", 7.0)
    deadline = time.monotonic() + 10
    # the shell creates the file before it writes: wait for the words, not the file
    while (not record.exists() or not record.read_text().strip()) and time.monotonic() < deadline:
        qtbot.wait(50)
    assert record.read_text().split() == ["--start=7.000", "/v/clip.mp4"]


def test_progress_reads_in_video_time(window: MainWindow):
    from magpie.core.indexer import Progress

    window._progress(Progress(65, 200, 0, 2.0, 300.0, "clip.mp4", "seconds"))
    assert window.progress_label.text() == "Indexing videos: 1:05 of 3:20 · 5 min left"
    window._progress(Progress(3, 7, 0, 2.0, None, "a.jpg"))
    assert window.progress_label.text().startswith("Indexing 3 of 7")
