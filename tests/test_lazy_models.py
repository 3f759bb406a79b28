"""Models load only when the work needs them: no-op updates load none, text search only the
text tower, and the image tower is released after a quiet period (the text tower stays)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from magpie.core import runtime
from magpie.core.engine import Engine

from tests.helpers.packs import solid_image


class SessionLog:
    """Records every onnxruntime session Magpie creates, by graph file."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.created: list[Path] = []
        original = runtime.create_session

        def recording(model_path: Path, *args: object, **kwargs: object) -> object:
            self.created.append(Path(model_path))
            return original(model_path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(runtime, "create_session", recording)
        # and no bare InferenceSession anywhere else (a CUDA probe, a stray preload)
        rt = runtime.ort()
        raw = rt.InferenceSession

        def raw_recording(path: object, *args: object, **kwargs: object) -> object:
            if not self.created or self.created[-1] != Path(str(path)):
                self.created.append(Path(str(path)))
            return raw(path, *args, **kwargs)

        monkeypatch.setattr(rt, "InferenceSession", raw_recording)

    def towers(self) -> list[str]:
        return [p.parent.name for p in self.created]  # "visual" / "textual"


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> SessionLog:
    return SessionLog(monkeypatch)


def _engine(library: Path, pack: Path) -> Engine:
    return Engine(library, model=str(pack), device="cpu", writer=True)


def _indexed(library: Path, pack: Path, photos: Path, sessions: SessionLog) -> Path:
    """A library over the test photos, indexed; the sessions that took are forgotten."""
    with _engine(library, pack) as engine:
        engine.add_folder(photos)
        engine.update()
    sessions.created.clear()
    return library


def test_noop_update_loads_no_model(
    tmp_path: Path, colour_pack: Path, photos: Path, sessions: SessionLog
) -> None:
    with _engine(tmp_path / "lib", colour_pack) as engine:
        engine.add_folder(photos)
        assert engine.update().indexed == 7
    assert sessions.towers() == ["visual"]

    sessions.created.clear()
    with _engine(tmp_path / "lib", colour_pack) as engine:  # a fresh start, as `magpie index`
        report = engine.update()
        assert (report.indexed, report.unchanged) == (0, 7)
        assert engine._index is None  # not even the vector index was needed
        assert len(engine.index) == 7  # and it loads without any model
        assert not engine.clip.image_loaded and not engine.clip.text_loaded
        engine.status()
    assert sessions.created == []


def test_renames_and_deletes_load_no_model(
    tmp_path: Path, colour_pack: Path, photos: Path, sessions: SessionLog
) -> None:
    library = _indexed(tmp_path / "lib", colour_pack, photos, sessions)
    (photos / "red.jpg").rename(photos / "renamed-red.jpg")
    (photos / "green.jpg").unlink()
    with _engine(library, colour_pack) as engine:
        report = engine.update()
        assert (report.moved, report.removed, report.indexed) == (1, 1, 0)
    assert sessions.created == []


def test_text_search_loads_only_the_text_tower(
    tmp_path: Path, colour_pack: Path, photos: Path, sessions: SessionLog
) -> None:
    library = _indexed(tmp_path / "lib", colour_pack, photos, sessions)
    with Engine(library, model=str(colour_pack), device="cpu") as reader:
        assert Path(reader.search("red", k=1)[0].path).name == "red.jpg"
        assert reader.clip.text_loaded and not reader.clip.image_loaded
    assert sessions.towers() == ["textual"]


def test_image_tower_loads_for_new_photos_and_is_released_when_idle(
    tmp_path: Path, colour_pack: Path, photos: Path, sessions: SessionLog
) -> None:
    engine = _engine(tmp_path / "lib", colour_pack)
    engine.image_idle_s = 0.3
    try:
        engine.add_folder(photos)
        engine.update()
        engine.search("red")
        assert engine.clip.image_loaded and engine.clip.text_loaded
        deadline = time.monotonic() + 10
        while engine.clip.image_loaded and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not engine.clip.image_loaded  # released after the quiet period
        assert engine.clip.text_loaded  # kept: the next query is not cold
        assert sessions.towers() == ["visual", "textual"]

        solid_image(photos / "new-red.jpg", (215, 35, 30))
        assert engine.update().indexed == 1  # loads again when a photo needs it
        assert sessions.towers() == ["visual", "textual", "visual"]
        assert {Path(r.path).name for r in engine.search("red", k=2)} == {
            "red.jpg",
            "new-red.jpg",
        }
        assert sessions.towers().count("textual") == 1
    finally:
        engine.close()


def test_image_tower_is_never_released_during_a_run(
    tmp_path: Path, colour_pack: Path, photos: Path
) -> None:
    engine = _engine(tmp_path / "lib", colour_pack)
    engine.image_idle_s = 0.0
    try:
        with engine.clip.using_image() as encoder:
            time.sleep(0.2)  # the timer would fire now if it were armed
            assert engine.clip.image_loaded
            assert not engine.clip.release_image()
            assert engine.clip.image is encoder
        deadline = time.monotonic() + 10
        while engine.clip.image_loaded and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not engine.clip.image_loaded
    finally:
        engine.close()


def test_image_query_loads_the_image_tower(
    tmp_path: Path, colour_pack: Path, photos: Path, sessions: SessionLog
) -> None:
    library = _indexed(tmp_path / "lib", colour_pack, photos, sessions)
    with Engine(library, model=str(colour_pack), device="cpu") as reader:
        hits = reader.search_image(photos / "yellow.jpg", k=1)
        assert Path(hits[0].path).name == "yellow.jpg"
        assert sessions.towers() == ["visual"]
