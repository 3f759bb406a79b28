"""One owner per thread at the GUI/engine boundary: each race that was possible has a test.

The writer lane owns the engine (opens, replaces, closes, writes); queries borrow it; widgets
call the host; everything ends in EngineHost.shutdown.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from magpie.core.engine import Engine
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.gui.app import create_window
from magpie.gui.dialogs import SettingsDialog
from magpie.gui.host import EngineHost, Query
from magpie.gui.main_window import MainWindow
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.helpers.packs import COLOURS, solid_image

WAIT_MS = 15_000


@pytest.fixture
def pack_library(tmp_path: Path, colour_pack: Path) -> Path:
    root = tmp_path / "library"
    import_pack(Library(root), colour_pack)
    return root


@pytest.fixture
def indexed_window(qtbot: QtBot, pack_library: Path, photos: Path) -> Iterator[MainWindow]:
    window = create_window(str(pack_library))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.ready, timeout=WAIT_MS)
    window.add_folder(str(photos))
    qtbot.waitUntil(lambda: window.status.images == 7, timeout=WAIT_MS)
    yield window
    window.host.shutdown()
    window.thumbnails.shutdown()


def test_a_query_running_while_the_library_reopens_keeps_its_engine_open(
    indexed_window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
):
    host = indexed_window.host
    entered, release = threading.Event(), threading.Event()
    original = Engine.search

    outcomes: list[object] = []

    def slow_search(self: Engine, *args: object, **kwargs: object) -> object:
        entered.set()
        release.wait(10)
        try:
            found = original(self, *args, **kwargs)
        except Exception as exc:
            outcomes.append(exc)
            raise
        outcomes.append(Path(found[0].path).name)
        return found

    monkeypatch.setattr(Engine, "search", slow_search)
    errors: list[str] = []
    opened: list[object] = []
    host.error.connect(errors.append)
    host.opened.connect(opened.append)
    host.search(Query("red"))
    assert entered.wait(10)
    host.reopen()  # a model or device change: the writer replaces the engine
    qtbot.wait(500)  # before: the old engine was closed beneath the running query here
    release.set()
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT_MS)
    qtbot.wait(200)
    assert errors == []
    assert outcomes[0] == "red.jpg"  # before: "Cannot operate on a closed database"


def test_preview_details_during_a_reopen_come_from_an_open_engine(
    indexed_window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
):
    from magpie.core.catalog import Catalog

    host = indexed_window.host
    entered, release = threading.Event(), threading.Event()
    original = Catalog.details

    def slow_details(self: Catalog, file_id: int) -> object:
        entered.set()
        release.wait(10)
        return original(self, file_id)

    monkeypatch.setattr(Catalog, "details", slow_details)
    errors: list[str] = []
    host.error.connect(errors.append)
    qtbot.waitUntil(lambda: indexed_window.results.rowCount() == 7, timeout=WAIT_MS)
    indexed_window.open_preview(indexed_window.results.index(0))
    preview = indexed_window.preview
    assert preview is not None and entered.wait(10)
    host.reopen()
    qtbot.wait(500)
    release.set()
    qtbot.waitUntil(lambda: "pixels" in preview.info.text(), timeout=WAIT_MS)
    assert errors == []


def test_a_pause_survives_removing_a_folder(
    indexed_window: MainWindow, qtbot: QtBot, photos: Path, tmp_path: Path
):
    window = indexed_window
    window._toggle_pause()  # the Pause button
    window.remove_folder(str(photos))  # cancels the run over that folder
    qtbot.waitUntil(lambda: window.status.folders == [], timeout=WAIT_MS)
    more = tmp_path / "more"
    for name in ("red", "green", "blue"):
        solid_image(more / f"{name}.png", COLOURS[name])
    window.add_folder(str(more))
    qtbot.waitUntil(lambda: len(window.status.folders) == 1, timeout=WAIT_MS)
    qtbot.wait(1500)
    # before: the cancel un-paused, and a fresh control replaced the paused one
    assert window.status.images == 0
    assert window.pause_button.text() == "Resume"
    window._toggle_pause()
    qtbot.waitUntil(lambda: window.status.images == 3, timeout=WAIT_MS)


def test_the_int8_check_runs_only_where_the_writer_lock_is_held(
    qtbot: QtBot, pack_library: Path, photos: Path
):
    holder = Engine(pack_library, writer=True)  # `magpie watch` or another window
    holder.add_folder(photos)
    holder.update()
    window = create_window(str(pack_library))
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(lambda: window.ready, timeout=WAIT_MS)
        dialog = SettingsDialog(window.library, [], "", window, "colour-pack", window.host)
        qtbot.addWidget(dialog)
        dialog.run_int8_check()
        qtbot.waitUntil(lambda: "Checking" not in dialog.int8_result.text(), timeout=WAIT_MS)
        assert "read-only" in dialog.int8_result.text()
        # before: it quantised on a raw thread and wrote into the pack beside the writer
        assert not list((pack_library / "models").rglob("*int8*"))
    finally:
        window.host.shutdown()
        holder.close()


@pytest.mark.logs_warnings  # that the work outlived the wait
def test_shutdown_never_closes_the_engine_beneath_a_running_job(
    qtbot: QtBot, pack_library: Path, photos: Path, monkeypatch: pytest.MonkeyPatch
):
    host = EngineHost(pack_library)
    with qtbot.waitSignal(host.opened, timeout=WAIT_MS):
        host.start()
    entered, release = threading.Event(), threading.Event()
    seen: list[object] = []

    def stuck_update(self: Engine, *args: object, **kwargs: object) -> object:
        entered.set()
        release.wait(10)
        seen.append(self.catalog.folders())  # raises on a closed catalog
        return original(self, *args, **kwargs)

    original = Engine.update
    monkeypatch.setattr(Engine, "update", stuck_update)
    host.reindex()
    assert entered.wait(10)
    assert host.shutdown(timeout_s=0.5) is False  # the job outlived the wait
    release.set()
    assert host.tasks.shutdown(timeout_s=10)  # it finishes, then the writer lane closes
    assert seen == [[]]
    assert host._engine is None  # closed after the job, by the lane that owned it


def test_shutdown_cancels_long_background_work(pack_library: Path):
    host = EngineHost(pack_library)
    cancel, started = threading.Event(), threading.Event()

    def download() -> None:  # as the model dialog's download: it watches its cancel event
        started.set()
        cancel.wait(60)

    host.tasks.run("io", download, cancel=cancel)
    assert started.wait(10)
    assert host.shutdown(timeout_s=10)  # before: a raw thread left running past quit
    assert cancel.is_set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_indexing_runs_below_the_gui_thread_and_searches_beside_it(
    indexed_window: MainWindow, monkeypatch: pytest.MonkeyPatch
):
    """A 2-core laptop indexing at full speed must still scroll: the writer lane (indexing,
    the encoder's compute threads it starts, the decoders below it) gives way to the window;
    searches do not."""

    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    gui = priority()
    seen: dict[str, int] = {}
    done = threading.Event()
    tasks = indexed_window.host.tasks
    tasks.run("writer", lambda: seen.setdefault("writer", priority()))
    tasks.run("query", lambda: seen.setdefault("query", priority()))
    tasks.run("writer", done.set)  # FIFO: after the first writer job
    assert done.wait(10)
    assert seen["writer"] >= gui + 5
    assert seen["query"] == gui


def test_the_words_and_places_pass_waits_until_the_user_pauses(pack_library: Path):
    """Its first batch loads the OCR models and the places data; that must not land under
    the user's typing: it starts only once the user has been idle for the grace period."""
    host = EngineHost(pack_library)
    try:
        typing = threading.Event()
        typing.set()

        def typist() -> None:
            while typing.is_set():
                host.note_user_activity()
                time.sleep(0.02)

        threading.Thread(target=typist, daemon=True).start()
        threading.Timer(0.6, typing.clear).start()
        started = time.monotonic()
        assert host._quiet_for(0.3)
        assert time.monotonic() - started >= 0.6 + 0.3 - 0.05
    finally:
        host.shutdown()


def test_typing_and_scrolling_count_as_the_user_being_active(
    indexed_window: MainWindow, qtbot: QtBot
):
    host = indexed_window.host
    before = host._user_active_at
    QTest.keyClicks(indexed_window.search_bar.edit, "r")
    assert host._user_active_at > before
    before = host._user_active_at
    bar = indexed_window.grid.verticalScrollBar()
    bar.setMaximum(max(bar.maximum(), 100))
    bar.setValue(bar.value() + 10)
    assert host._user_active_at > before


def test_new_photos_wait_until_the_user_scrolls_back_to_the_top(
    indexed_window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A refresh starts at the top: it must not yank a user who is looking further down."""
    window = indexed_window
    qtbot.waitUntil(lambda: window.indexing_state == "idle", timeout=WAIT_MS)
    window.resize(420, 320)
    window.size_slider.setValue(window.size_slider.maximum())
    bar = window.grid.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=WAIT_MS)
    bar.setValue(bar.maximum())
    qtbot.wait(200)  # the layout settled: still down there
    assert bar.value() == bar.maximum() > 0
    shown = window.results.rowCount()
    refreshes: list[str] = []  # who asked, if one comes too early (a failure says)
    run_query_now = window.run_query_now

    def recording() -> None:
        refreshes.append("".join(traceback.format_stack(limit=6)[:-1]))
        run_query_now()

    monkeypatch.setattr(window, "run_query_now", recording)
    more = tmp_path / "more"
    for i, rgb in enumerate([(250, 250, 250), (5, 5, 5)]):
        solid_image(more / f"new-{i}.jpg", rgb)
    window.add_folder(str(more))
    qtbot.waitUntil(
        lambda: window.status.images == 9 and window.indexing_state == "idle", timeout=WAIT_MS
    )
    qtbot.wait(300)  # a refresh would have been asked for by now, and its page come back
    assert refreshes == [], refreshes
    assert window.results.rowCount() == shown and bar.value() == bar.maximum() > 0
    assert "New photos are in" in window.statusBar().currentMessage()
    bar.setValue(0)  # back at the top: the new photos come in
    qtbot.waitUntil(lambda: window.results.rowCount() == shown + 2, timeout=WAIT_MS)


def test_a_refresh_that_lands_after_the_user_scrolled_away_waits_for_them(
    indexed_window: MainWindow, qtbot: QtBot
):
    """New photos asked for while at the top; the page comes back once the user is down."""
    window = indexed_window
    window.resize(420, 320)
    window.size_slider.setValue(window.size_slider.maximum())
    bar = window.grid.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=WAIT_MS)
    with qtbot.waitSignal(window.host.pageReady, timeout=WAIT_MS):
        window.refresh_at_top()  # at the top: the refresh is asked for at once
        bar.setValue(bar.maximum())  # and the user scrolls down before it lands
    assert bar.value() == bar.maximum() > 0
    assert "New photos are in" in window.statusBar().currentMessage()
    bar.setValue(0)
    with qtbot.waitSignal(window.host.pageReady, timeout=WAIT_MS):
        pass  # back at the top: asked again, and shown
