"""The preview: the cached thumbnail at once, the full photo decoded off the GUI thread and
swapped in, neighbours decoded ahead, zoom (fit, 100%, keys, wheel), details with the lens,
previous/next, Find similar, Esc; and the lens and the place browse in the core."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from magpie.core import imaging
from magpie.core.engine import Engine
from magpie.gui.dialogs import preview as preview_module
from magpie.gui.dialogs.preview import PreviewDialog, PreviewItem
from magpie.gui.main_window import MainWindow
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from pytestqt.qtbot import QtBot

from tests.helpers.exif import lens_photo
from tests.helpers.gui import WAIT_MS, library_with_pack, open_window, shown
from tests.helpers.packs import COLOURS, solid_image
from tests.helpers.scenes import LISBON, gps_photo

LENS = "RF24-105mm F4 L IS USM"


@pytest.fixture
def album(tmp_path: Path) -> Path:
    """Three photos: a big one with a camera and lens, two small ones."""
    root = tmp_path / "photos"
    lens_photo(root / "red.jpg", COLOURS["red"], LENS, size=(2400, 1600))
    solid_image(root / "green.jpg", COLOURS["green"], (320, 240))
    solid_image(root / "blue.jpg", COLOURS["blue"], (300, 200))
    return root


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, colour_pack: Path, album: Path) -> Iterator[MainWindow]:
    library = library_with_pack(tmp_path / "library", colour_pack)
    with open_window(qtbot, library) as opened:
        opened.host.set_read_text(False)  # no OCR here: these tests are about the preview
        opened.add_folder(str(album))
        qtbot.waitUntil(lambda: opened.results.rowCount() == 3, timeout=WAIT_MS)
        yield opened


class _HeldDecodes:
    """decode_full held until released, recording what was asked for (and in which order)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = threading.Event()
        self.paths: list[str] = []
        original = preview_module.decode_full

        def decode(path: str, *args: Any) -> preview_module.Decoded | None:
            self.paths.append(Path(path).name)
            self.release.wait(30)
            return original(path, *args)

        monkeypatch.setattr(preview_module, "decode_full", decode)


def _thumbnails_cached(window: MainWindow, qtbot: QtBot) -> None:
    for row in range(window.results.rowCount()):
        qtbot.waitUntil(
            lambda row=row: (
                window.results.index(row).data(Qt.ItemDataRole.DecorationRole) is not None
            ),
            timeout=WAIT_MS,
        )


def _row_of(window: MainWindow, name: str) -> int:
    return shown(window).index(name)


def test_the_cached_thumbnail_shows_at_once_then_the_full_photo_replaces_it(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
):
    held = _HeldDecodes(monkeypatch)
    _thumbnails_cached(window, qtbot)
    row = _row_of(window, "red.jpg")
    window.open_preview(window.results.index(row))
    preview = window.preview
    assert preview is not None
    # no event loop turn yet: the thumbnail is already there, the photo is being decoded
    thumb = preview.picture.pixmap()
    assert not thumb.isNull() and max(thumb.width(), thumb.height()) <= 320
    assert not preview.full_shown and preview.zoom_label.text() == "Zoom: Fit"
    held.release.set()
    qtbot.waitUntil(lambda: preview.full_shown, timeout=WAIT_MS)
    frame = preview.picture.sceneRect()
    assert (frame.width(), frame.height()) == (2400, 1600)  # the photo's own frame
    assert preview.picture.pixmap().width() > 320  # the photo, no longer its thumbnail
    # the neighbours were decoded ahead (the current one first)
    assert held.paths[0] == "red.jpg"
    neighbours = {shown(window)[r] for r in (row - 1, row + 1) if 0 <= r < 3}
    assert neighbours <= set(held.paths)


def test_zoom_fit_100_keys_and_wheel(window: MainWindow, qtbot: QtBot):
    window.open_preview(window.results.index(_row_of(window, "red.jpg")))
    preview = window.preview
    assert preview is not None
    qtbot.waitUntil(lambda: preview.full_shown, timeout=WAIT_MS)
    view = preview.picture
    fit = view.zoom()
    assert 0 < fit < 1  # 2400 px wide in a window about 1000 wide
    preview.actual_button.click()
    assert view.zoom() == pytest.approx(1.0) and preview.zoom_label.text() == "Zoom: 100%"
    qtbot.keyClick(preview, Qt.Key.Key_Minus)
    assert view.zoom() == pytest.approx(0.8) and preview.zoom_label.text() == "Zoom: 80%"
    qtbot.keyClick(preview, Qt.Key.Key_Plus)
    assert view.zoom() == pytest.approx(1.0)
    wheel = QWheelEvent(
        QPointF(50, 50),
        QPointF(view.mapToGlobal(QPoint(50, 50))),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    view.wheelEvent(wheel)
    assert view.zoom() == pytest.approx(1.25)
    assert view.horizontalScrollBar().maximum() > 0  # zoomed in: there is room to pan
    qtbot.keyClick(preview, Qt.Key.Key_F)
    assert view.zoom() == pytest.approx(fit) and preview.zoom_label.text() == "Zoom: Fit"
    preview.actual_button.click()
    preview.resize(preview.width() + 100, preview.height())  # a resize keeps a chosen zoom
    qtbot.wait(50)
    assert view.zoom() == pytest.approx(1.0)


def test_fit_draws_a_copy_the_size_shown_and_zooming_in_the_photo_s_own_pixels(
    window: MainWindow, qtbot: QtBot
):
    window.open_preview(window.results.index(_row_of(window, "red.jpg")))
    preview = window.preview
    assert preview is not None
    qtbot.waitUntil(lambda: preview.full_shown, timeout=WAIT_MS)
    view = preview.picture
    viewport = view.viewport().size()
    drawn = view.pixmap()
    # fit: the worker's copy, no bigger than the window shows it (cheap to paint)
    assert drawn.width() <= max(viewport.width(), 1200) and drawn.width() < 2400
    assert view.sceneRect().width() == 2400  # ...stretched over the photo's frame
    preview.actual_button.click()
    assert view.pixmap().width() == 2400 and view.zoom() == pytest.approx(1.0)
    qtbot.keyClick(preview, Qt.Key.Key_F)
    assert view.pixmap().width() == drawn.width()


def test_details_show_date_camera_lens_size_and_folder(
    window: MainWindow, qtbot: QtBot, album: Path
):
    window.open_preview(window.results.index(_row_of(window, "red.jpg")))
    preview = window.preview
    assert preview is not None
    qtbot.waitUntil(lambda: "Lens: " in preview.info.text(), timeout=WAIT_MS)
    text = preview.info.text()
    assert f"Lens: {LENS}" in text and "Camera: Canon EOS R5" in text
    assert "2400 × 1600 pixels" in text and " KB" in text
    assert f"Folder: {album}" in text


def test_previous_next_follow_the_window_s_order_and_esc_closes(window: MainWindow, qtbot: QtBot):
    order = shown(window)
    window.open_preview(window.results.index(0))
    preview = window.preview
    assert preview is not None
    assert [Path(i.path).name for i in preview.items] == order
    assert not preview.previous_button.isEnabled() and preview.next_button.isEnabled()
    preview.next_button.click()
    assert preview.row == 1 and preview.windowTitle() == order[1]
    qtbot.keyClick(preview, Qt.Key.Key_Right)
    assert preview.row == 2 and not preview.next_button.isEnabled()
    qtbot.keyClick(preview, Qt.Key.Key_Right)  # the last: stays
    assert preview.row == 2
    qtbot.keyClick(preview, Qt.Key.Key_Left)
    assert preview.row == 1
    qtbot.waitUntil(lambda: preview.full_shown, timeout=WAIT_MS)
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert not preview.isVisible()


def test_find_similar_from_the_preview(window: MainWindow, qtbot: QtBot):
    row = _row_of(window, "green.jpg")
    window.open_preview(window.results.index(row))
    preview = window.preview
    assert preview is not None
    preview.similar_button.click()
    assert not preview.isVisible()
    assert window.query.similar_to is not None and window.query.similar_to.endswith("green.jpg")
    # its neighbours, not itself
    qtbot.waitUntil(lambda: "green.jpg" not in shown(window), timeout=WAIT_MS)


def test_a_photo_that_cannot_be_decoded_says_so(window: MainWindow, qtbot: QtBot, tmp_path: Path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    preview = PreviewDialog([PreviewItem(str(broken), 10_000)], 0, window.host, None, window)
    qtbot.addWidget(preview)
    preview.show()
    qtbot.waitUntil(lambda: preview.picture.message.text() != "Loading…", timeout=WAIT_MS)
    assert preview.picture.message.isVisible()
    assert preview.picture.message.text() == "This photo cannot be shown"
    assert preview.info.text() == str(broken) and preview.isVisible()


def test_a_preview_without_the_grid_s_thumbnail_says_loading_then_shows_it(
    window: MainWindow, qtbot: QtBot
):
    items = [PreviewItem.of(r) for r in window.results.results()]
    preview = PreviewDialog(items, 0, window.host, None, window)
    qtbot.addWidget(preview)
    assert preview.picture.message.text() == "Loading…"
    qtbot.waitUntil(lambda: preview.full_shown, timeout=WAIT_MS)
    assert not preview.picture.message.isVisible()


# --- the core: the lens, and browsing a place ------------------------------------------------


def test_the_lens_is_read_from_the_exif_header(tmp_path: Path):
    assert imaging.read_lens(lens_photo(tmp_path / "a.jpg", (9, 9, 9), LENS)) == LENS
    with_make = lens_photo(tmp_path / "b.jpg", (9, 9, 9), "24-70mm F2.8 DG DN", "Sigma")
    assert imaging.read_lens(with_make) == "Sigma 24-70mm F2.8 DG DN"
    assert imaging.read_lens(solid_image(tmp_path / "c.jpg", (9, 9, 9))) is None
    (tmp_path / "d.jpg").write_bytes(b"not an image")
    assert imaging.read_lens(tmp_path / "d.jpg") is None
    assert imaging.read_lens(tmp_path / "missing.jpg") is None


def test_engine_details_and_browsing_a_place(tmp_path: Path, colour_pack: Path, album: Path):
    gps_photo(album / "tram.jpg", COLOURS["red"], LISBON)
    with Engine(tmp_path / "lib", str(colour_pack), "cpu", writer=True) as engine:
        engine.add_folder(album)
        engine.update()
        engine.enrich(read_text=False)
        by_name = {Path(r.path).name: r for r in engine.browse()}
        assert set(by_name) == {"red.jpg", "green.jpg", "blue.jpg", "tram.jpg"}
        details = engine.details(by_name["red.jpg"].file_id)
        assert details is not None and details.lens == LENS and details.camera
        assert [Path(r.path).name for r in engine.browse(place="Lisbon")] == ["tram.jpg"]
        assert [Path(r.path).name for r in engine.browse(place="portugal")] == ["tram.jpg"]
        assert engine.browse(place="Zürich") == []
        assert engine.browse(place="Lisbon", folder=album / "nowhere") == []
