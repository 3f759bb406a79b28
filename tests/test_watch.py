"""Watching: a real watchdog observer (and the polling fallback) keeps the index current."""

from __future__ import annotations

import errno
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from magpie.core import watcher as watcher_module
from magpie.core.engine import Engine

from tests.helpers.packs import COLOURS, solid_image
from tests.helpers.watching import TIMEOUT_S, Watching, wait_for


def _watching(tmp_path: Path, colour_pack: Path, mode: str) -> Iterator[tuple[Watching, Path]]:
    photos = tmp_path / "photos"
    solid_image(photos / "red.jpg", COLOURS["red"])
    engine = Engine(tmp_path / "lib", model=str(colour_pack), writer=True)
    engine.add_folder(photos, mode)
    engine.update()
    session = Watching(engine)
    session.thread.start()
    assert session.ready.wait(TIMEOUT_S)
    yield session, photos
    session.stop.set()
    # the watch loop finishes the update it is in (slow on a loaded machine) before it
    # stops; closing the engine under it would fail that update, not the test
    session.thread.join(timeout=120)
    assert not session.thread.is_alive(), "the watch loop did not stop within 120 s"
    engine.close()


@pytest.fixture(params=["native", "polling"])
def watching(request, tmp_path: Path, colour_pack: Path) -> Iterator[tuple[Watching, Path]]:
    yield from _watching(tmp_path, colour_pack, request.param)


def test_new_changed_moved_and_deleted_files(watching: tuple[Watching, Path]):
    session, photos = watching
    solid_image(photos / "incoming" / "blue.jpg", COLOURS["blue"])
    assert wait_for(lambda: session.names("blue") == ["blue.jpg"])

    solid_image(photos / "red.jpg", COLOURS["green"], size=(50, 40))  # edited in place
    assert wait_for(lambda: session.names("green") == ["red.jpg"])
    assert session.names("red") == []

    (photos / "incoming" / "blue.jpg").rename(photos / "sky.jpg")
    assert wait_for(lambda: session.names("blue") == ["sky.jpg"])

    (photos / "incoming").rename(photos / "renamed-folder")
    (photos / "sky.jpg").unlink()
    # search hides a deleted file at once; the catalog forgets it when the watcher reports
    assert wait_for(lambda: session.engine.status().images == 1)
    assert session.names("blue") == []
    assert sum(r.moved for r in session.reports) >= 1


def test_a_burst_is_handled_in_batches(watching: tuple[Watching, Path]):
    session, photos = watching
    for i in range(150):
        solid_image(photos / "burst" / f"{i:03}.png", COLOURS["yellow"], size=(8, 8))
    assert wait_for(lambda: session.engine.status().images == 151, timeout=180)
    assert len(session.reports) < 150  # coalesced, not one update per event
    assert session.engine.status().pending == 0


@pytest.mark.logs_warnings
def test_native_failure_falls_back_to_polling(
    tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    class FullInotify(watcher_module.Observer):  # type: ignore[misc, valid-type]
        def schedule(self, *args, **kwargs):
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watcher_module, "Observer", FullInotify)
    generator = _watching(tmp_path, colour_pack, "native")
    session, photos = next(generator)
    try:
        watcher = session.engine.last_watcher
        assert watcher.modes == {str(photos): "polling"}
        assert "limit on watched folders" in watcher.fallbacks[str(photos)]
        solid_image(photos / "blue.jpg", COLOURS["blue"])
        assert wait_for(lambda: session.names("blue") == ["blue.jpg"])
    finally:
        next(generator, None)


def test_a_file_still_being_written_waits(tmp_path: Path, colour_pack: Path):
    generator = _watching(tmp_path, colour_pack, "native")
    session, photos = next(generator)
    try:
        target = photos / "slow.jpg"
        data = tmp_path / "src.jpg"
        solid_image(data, COLOURS["blue"], size=(300, 200))
        payload = data.read_bytes()
        with open(target, "wb") as fh:  # written in pieces, like a slow copy
            for start in range(0, len(payload), max(1, len(payload) // 5)):
                fh.write(payload[start : start + max(1, len(payload) // 5)])
                fh.flush()
                time.sleep(0.1)
        assert wait_for(lambda: session.names("blue") == ["slow.jpg"])
        assert session.engine.status().failed == []
    finally:
        next(generator, None)


@pytest.mark.logs_warnings
def test_network_shares_are_polled(
    tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    photos = tmp_path / "photos"
    monkeypatch.setattr(watcher_module, "_mounts", lambda: [(str(tmp_path), "cifs"), ("/", "ext4")])
    assert watcher_module.network_filesystem(str(photos)) == "cifs"
    assert watcher_module.network_filesystem("/usr") is None
    generator = _watching(tmp_path, colour_pack, "native")
    session, photos = next(generator)
    try:
        watcher = session.engine.last_watcher
        assert watcher.modes == {str(photos): "polling"}
        assert "network share (cifs)" in watcher.fallbacks[str(photos)]
        solid_image(photos / "blue.jpg", COLOURS["blue"])
        assert wait_for(lambda: session.names("blue") == ["blue.jpg"])
    finally:
        next(generator, None)
