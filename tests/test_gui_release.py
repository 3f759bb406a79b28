"""Big collections are freed by one long-lived worker, never on the caller's thread."""

from __future__ import annotations

import threading

import pytest
from magpie.gui import release
from magpie.gui.photo_grid import JustifiedGrid
from pytestqt.qtbot import QtBot


def workers() -> int:
    return sum(t.name == "magpie-release" for t in threading.enumerate())


def test_big_collections_are_emptied_by_one_worker_thread() -> None:
    release.start()
    before = workers()
    rows = list(range(release.BIG * 3))
    keys = {i: str(i) for i in range(release.BIG)}
    small = list(range(10))
    release.release_in_background(rows, keys, small)
    release.release_in_background(list(range(release.BIG)))
    assert release.drained()
    assert rows == [] and keys == {}
    assert small == list(range(10))  # too small to be worth a hand-over: left as it was
    assert workers() == before >= 1  # one long-lived worker, not a thread per release


def test_the_grid_starts_the_worker_so_no_release_waits_for_a_thread(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting a thread blocks the caller until it is scheduled (90 ms on a loaded machine):
    the GUI thread must never do it in the middle of replacing a page."""
    monkeypatch.setattr(release, "_worker", None)
    grid = JustifiedGrid()
    qtbot.addWidget(grid)
    assert release._worker is not None and release._worker.is_alive()
    started: list[threading.Thread] = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    doomed = list(range(release.BIG))
    release.release_in_background(doomed)
    assert started == []
    assert release.drained() and doomed == []
