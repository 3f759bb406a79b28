"""Words and places in the app: the text pass run by the host after indexing (real PP-OCR
models), its own status line, Settings turning it off, Pause, the Places view, the place
filter chip, and the preview's text and place."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from magpie.core import enrichment
from magpie.core.ocr import READER_ID, TextReader
from magpie.gui.dialogs import SettingsDialog
from magpie.gui.main_window import MainWindow
from magpie.gui.places_panel import PlaceRole, place_tree
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from tests.helpers.gui import WAIT_MS, library_with_pack, open_window, shown
from tests.helpers.packs import COLOURS
from tests.helpers.scenes import LISBON, ZURICH, gps_photo, sign_photo

OCR_WAIT_MS = 60_000  # the real OCR models on a busy 2-core machine


def _words_and_places(root: Path) -> Path:
    sign_photo(root / "receipt.jpg", "MIGROS 12.50")
    gps_photo(root / "tram.jpg", COLOURS["red"], LISBON)
    gps_photo(root / "lake.jpg", COLOURS["blue"], ZURICH)
    return root


@pytest.fixture
def read_window(qtbot: QtBot, tmp_path: Path, colour_pack: Path) -> Iterator[MainWindow]:
    """The window over three photos (a sign, two with GPS), the text pass finished."""
    photos = _words_and_places(tmp_path / "photos")
    library = library_with_pack(tmp_path / "library", colour_pack)
    with open_window(qtbot, library) as window:
        window.states: list[str] = []  # type: ignore[attr-defined]
        window.lines: list[str] = []  # type: ignore[attr-defined]
        window.host.textChanged.connect(window.states.append)  # type: ignore[attr-defined]
        window.host.textProgress.connect(  # the label as the window shows it for each report
            lambda _p: window.lines.append(window.text_status.text())  # type: ignore[attr-defined]
        )
        window.add_folder(str(photos))
        qtbot.waitUntil(lambda: window.status.text.get("read") == 3, timeout=OCR_WAIT_MS)
        qtbot.waitUntil(lambda: window.host.reading_now is False, timeout=WAIT_MS)
        yield window


def search(window: MainWindow, qtbot: QtBot, text: str, first: str) -> None:
    window.search_bar.edit.setText(text)
    window.run_query_now()
    qtbot.waitUntil(lambda: bool(shown(window)) and shown(window)[0] == first, timeout=WAIT_MS)


def test_the_app_reads_the_words_after_indexing_and_shows_its_progress_apart(
    read_window: MainWindow, qtbot: QtBot
):
    window = read_window
    assert window.status.text == {"enabled": True, "read": 3, "pending": 0}
    assert "reading" in window.states and window.states[-1] == "idle"  # type: ignore[attr-defined]
    assert "Reading text: 3 / 3" in window.lines  # type: ignore[attr-defined]
    assert not window.text_status.isVisible()  # idle: the line goes
    assert not window.progress_label.text().startswith("Reading")  # indexing's own line
    search(window, qtbot, "migros", "receipt.jpg")
    assert window.results.result(0).match


def test_the_places_view_lists_places_and_shows_a_place_s_photos(
    read_window: MainWindow, qtbot: QtBot
):
    window = read_window
    panel = window.places_panel
    qtbot.waitUntil(lambda: panel.tree.model().rowCount() == 2, timeout=WAIT_MS)
    model = panel.tree.model()
    countries = {model.index(r, 0).data() for r in range(2)}
    assert countries == {"Portugal (1)", "Switzerland (1)"}
    panel.tree.expandAll()
    lisbon = model.match(model.index(0, 0), PlaceRole, "Lisbon", 1, Qt.MatchFlag.MatchRecursive)
    assert lisbon and lisbon[0].data() == "Lisbon (1)"
    assert lisbon[0].parent().data(PlaceRole) == "Portugal"  # the region Lisbon is the city
    zurich = model.match(model.index(0, 0), PlaceRole, "Zürich", 1, Qt.MatchFlag.MatchRecursive)
    assert zurich[0].parent().parent().data(PlaceRole) == "Switzerland"  # country > region > city
    rect = panel.tree.visualRect(lisbon[0])
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: shown(window) == ["tram.jpg"], timeout=WAIT_MS)
    assert window.query.place == "Lisbon"
    chips = [c.text() for c in window.search_options.filter_chips()]
    assert any(text.startswith("At Lisbon") for text in chips)
    # words within the place: the receipt was not photographed in Lisbon
    window.search_bar.edit.setText("migros")
    window.run_query_now()
    qtbot.waitUntil(lambda: "tram.jpg" not in shown(window), timeout=WAIT_MS)
    qtbot.wait(300)
    assert "receipt.jpg" not in shown(window)
    # the chip removes the filter
    window.search_options.filter_chips()[0].click()
    qtbot.waitUntil(lambda: shown(window)[:1] == ["receipt.jpg"], timeout=WAIT_MS)
    assert window.query.place is None


def test_the_place_filter_completes_known_places(read_window: MainWindow, qtbot: QtBot):
    window = read_window
    options = window.search_options
    qtbot.waitUntil(lambda: "Zürich" in options.place_names.stringList(), timeout=WAIT_MS)
    assert {"Lisbon", "Portugal", "Switzerland"} <= set(options.place_names.stringList())
    completer = options.place.completer()
    completer.setCompletionPrefix("zür")
    assert completer.currentCompletion() == "Zürich"  # case-insensitive, as typed
    options.place.setText("Zürich")
    qtbot.keyClick(options.place, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shown(window) == ["lake.jpg"], timeout=WAIT_MS)
    assert options.place.text() == ""  # it became a chip
    assert any(c.text().startswith("At Zürich") for c in options.filter_chips())
    window.clear_search()  # Esc clears the words, not the filters
    assert window.query.place == "Zürich"


def test_the_preview_shows_the_words_and_the_place(read_window: MainWindow, qtbot: QtBot):
    window = read_window
    search(window, qtbot, "migros", "receipt.jpg")
    window.open_preview(window.results.index(0))
    preview = window.preview
    assert preview is not None
    qtbot.waitUntil(lambda: "MIGROS" in preview.text_box.toPlainText(), timeout=WAIT_MS)
    assert preview.text_box.isVisible()
    window.set_place_filter("Lisbon")
    window.clear_search()
    qtbot.waitUntil(lambda: shown(window) == ["tram.jpg"], timeout=WAIT_MS)
    window.open_preview(window.results.index(0))
    qtbot.waitUntil(lambda: "Place: " in preview.info.text(), timeout=WAIT_MS)
    assert "Lisbon" in preview.info.text() and "Portugal" in preview.info.text()
    assert not preview.text_box.isVisible()  # no words in a red photo: no empty box


class _SlowReader:
    """TextReader.read held on its first call until released (to act while it reads)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self.calls = 0
        original = TextReader.read

        def read(reader: TextReader, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.entered.set()
            self.release.wait(30)
            return original(reader, *args, **kwargs)

        monkeypatch.setattr(TextReader, "read", read)
        monkeypatch.setattr(enrichment, "TEXT_BATCH", 1)  # yield points between photos


def _signs(root: Path, count: int) -> Path:
    for i in range(count):
        sign_photo(root / f"sign-{i}.jpg", f"WORD{i} SHOP", size=(480, 320), font_px=48)
    return root


def _read_count(window: MainWindow) -> int:
    engine = window.host.engine
    assert engine is not None
    return engine.catalog.text_counts(READER_ID)[0]


def test_turning_reading_off_in_settings_stops_the_pass_and_on_resumes_it(
    qtbot: QtBot, tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    slow = _SlowReader(monkeypatch)
    photos = _signs(tmp_path / "photos", 4)
    library = library_with_pack(tmp_path / "library", colour_pack)
    wanted = {"on": False}

    def settings_ok(dialog: SettingsDialog) -> int:  # the user unticks (or ticks) and says OK
        dialog.read_text.setChecked(wanted["on"])
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", settings_ok)
    with open_window(qtbot, library) as window:
        window.add_folder(str(photos))
        assert slow.entered.wait(30)
        qtbot.waitUntil(lambda: window.text_status.isVisible(), timeout=WAIT_MS)
        assert window.pause_button.isVisible()  # Pause holds the text pass too
        window.open_settings()
        assert window.library.load_settings().read_text is False
        slow.release.set()
        qtbot.waitUntil(lambda: window.host.reading_now is False, timeout=OCR_WAIT_MS)
        qtbot.wait(500)
        assert _read_count(window) == 1  # the photo in hand is finished; no more
        assert slow.calls == 1
        assert window.status.text["enabled"] is False
        assert not window.text_status.isVisible()
        wanted["on"] = True
        window.open_settings()
        qtbot.waitUntil(lambda: window.status.text.get("read") == 4, timeout=OCR_WAIT_MS)
        assert window.status.text == {"enabled": True, "read": 4, "pending": 0}


def test_pause_holds_the_text_pass_and_resume_finishes_it(
    qtbot: QtBot, tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    slow = _SlowReader(monkeypatch)
    photos = _signs(tmp_path / "photos", 3)
    library = library_with_pack(tmp_path / "library", colour_pack)
    with open_window(qtbot, library) as window:
        window.add_folder(str(photos))
        assert slow.entered.wait(30)
        qtbot.waitUntil(lambda: window.host.reading_now, timeout=WAIT_MS)
        assert window.pause_button.isVisible() and window.text_status.text() == (
            "Reading text: 0 / 3"
        )
        qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
        assert window.text_status.text().startswith("Reading text paused")
        assert window.pause_button.text() == "Resume"
        assert window.indexing_state == "idle"  # indexing is done: it was the text pass
        slow.release.set()
        qtbot.waitUntil(lambda: _read_count(window) == 1, timeout=OCR_WAIT_MS)
        qtbot.wait(1500)  # paused: the next photo waits
        assert _read_count(window) == 1 and window.host.reading_now and slow.calls == 1
        qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.status.text.get("read") == 3, timeout=OCR_WAIT_MS)
        qtbot.waitUntil(lambda: not window.pause_button.isVisible(), timeout=WAIT_MS)
        assert not window.progress_bar.isVisible()


def test_a_new_photo_is_read_after_it_is_indexed(qtbot: QtBot, tmp_path: Path, colour_pack: Path):
    photos = _signs(tmp_path / "photos", 1)
    library = library_with_pack(tmp_path / "library", colour_pack)
    with open_window(qtbot, library) as window:
        window.add_folder(str(photos))
        qtbot.waitUntil(lambda: window.status.text.get("read") == 1, timeout=OCR_WAIT_MS)
        sign_photo(photos / "later.jpg", "KOWALSKI BAKERY")  # the watcher sees it
        qtbot.waitUntil(lambda: window.status.text.get("read") == 2, timeout=OCR_WAIT_MS)
        search(window, qtbot, "kowalski", "later.jpg")


def test_a_quit_while_reading_stops_the_pass(
    qtbot: QtBot, tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    slow = _SlowReader(monkeypatch)
    photos = _signs(tmp_path / "photos", 3)
    library = library_with_pack(tmp_path / "library", colour_pack)
    with open_window(qtbot, library) as window:
        window.add_folder(str(photos))
        assert slow.entered.wait(30)
        threading.Timer(0.5, slow.release.set).start()  # while shutdown waits for the lane
        assert window.host.shutdown(30)  # every lane ended, the engine closed after the pass
        assert slow.calls == 1


def test_the_places_tree_passes_qtmodeltester(qtmodeltester: Any):
    model = place_tree(
        [
            ("Lisbon", "Lisbon", "Portugal", 12),
            ("Porto", "Porto", "Portugal", 3),
            ("Zürich", "Zurich", "Switzerland", 5),
            ("", "", "Iceland", 1),  # a place with no city: counted under its country
        ]
    )
    qtmodeltester.check(model)
    first = model.index(0, 0)
    assert first.data() == "Portugal (15)" and model.rowCount(first) == 2
    assert model.index(2, 0).data() == "Iceland (1)"
    assert model.rowCount(model.index(2, 0)) == 0
    assert not model.index(0, 0, QModelIndex()).parent().isValid()


def test_the_pass_gives_way_between_photos_not_only_between_batches(
    tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    from magpie.core.engine import Engine

    photos = _signs(tmp_path / "photos", 3)  # one batch of 8 would hold all three
    read: list[str] = []
    original = TextReader.read

    def counting(reader: TextReader, path: Any, *args: Any, **kwargs: Any) -> Any:
        read.append(Path(path).name)
        return original(reader, path, *args, **kwargs)

    monkeypatch.setattr(TextReader, "read", counting)
    with Engine(tmp_path / "lib", str(colour_pack), "cpu", writer=True) as engine:
        engine.add_folder(photos)
        engine.update()
        run = engine.enrich(should_yield=lambda: len(read) >= 1)  # new photos came meanwhile
        assert run.stopped_early and run.texts == 1 and len(read) == 1
        assert engine.catalog.text_counts(READER_ID) == (1, 2)  # the photo read was kept
        again = engine.enrich()
        assert not again.stopped_early and again.texts == 2
        assert engine.catalog.text_counts(READER_ID) == (3, 0)
