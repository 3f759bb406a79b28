"""Videos as searchable moments: scenes found at the right time, moments kept and dropped with
their file, bad videos reported, pause/cancel honoured, photos untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from magpie.cli import main as cli_main
from magpie.core import video
from magpie.core.catalog import MOMENT_ID_BASE
from magpie.core.engine import Engine
from magpie.core.errors import DecodeError
from magpie.core.indexer import IndexControl, Progress

from tests.helpers.media import make_video
from tests.helpers.packs import COLOURS, solid_image

RED, GREEN, BLUE = COLOURS["red"], COLOURS["green"], COLOURS["blue"]


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """Three scenes: red 0-3 s, green 3-7 s, blue 7-10 s."""
    return make_video(tmp_path / "media" / "clip.mp4", [(RED, 3), (GREEN, 4), (BLUE, 3)])


@pytest.fixture
def engine(tmp_path: Path, colour_pack: Path):
    lib = Engine(tmp_path / "library", model=str(colour_pack), device="cpu", writer=True)
    yield lib
    lib.close()


def test_scene_changes_become_moments(clip: Path):
    reader = video.MomentReader(clip)
    moments = list(reader)
    assert [round(m.seconds, 2) for m in moments] == [0.0, 3.0, 7.0]
    assert reader.info is not None
    assert (reader.info.codec, reader.info.width, reader.info.height) == ("h264", 160, 96)
    assert reader.info.duration == pytest.approx(10.0, abs=0.2)
    means = [np.asarray(m.image, np.float32).mean(axis=(0, 1)) for m in moments]
    for mean, rgb in zip(means, (RED, GREEN, BLUE), strict=True):
        assert np.abs(mean - rgb).max() < 12


def test_long_static_scene_gets_a_moment_every_few_seconds(tmp_path: Path):
    still = make_video(tmp_path / "still.mp4", [(GREEN, 25)], fps=4)
    times = [m.seconds for m in video.MomentReader(still)]
    assert times == pytest.approx([0.0, 10.0, 20.0], abs=0.01)


def test_each_scene_is_found_at_its_time(engine: Engine, clip: Path):
    engine.add_folder(clip.parent)
    report = engine.update()
    assert (report.indexed, report.failed) == (1, 0)
    for colour, start in (("red", 0.0), ("green", 3.0), ("blue", 7.0)):
        best = engine.search(colour, k=3)[0]
        assert Path(best.path) == clip.resolve()
        assert best.time == pytest.approx(start, abs=0.01)
        assert best.score > 0.98
    # every moment is its own hit, and has its own thumbnail
    hits = engine.search("red", k=10)
    assert sorted(h.time for h in hits) == pytest.approx([0.0, 3.0, 7.0], abs=0.01)
    assert all(engine.thumbnails.path_for(h.fingerprint).is_file() for h in hits)
    details = engine.catalog.details(hits[0].file_id)
    assert details.codec == "h264" and details.duration == pytest.approx(10, abs=0.2)
    assert (details.width, details.height) == (160, 96)


def test_photos_keep_file_ids_and_videos_sit_beside_them(
    engine: Engine, clip: Path, tmp_path: Path
):
    solid_image(clip.parent / "red.jpg", RED)
    engine.add_folder(clip.parent)
    engine.update()
    top = {(Path(h.path).name, h.time) for h in engine.search("red", k=2)}
    assert top == {("red.jpg", None), ("clip.mp4", 0.0)}
    photo = next(h for h in engine.search("red", k=4) if h.time is None)
    assert photo.fingerprint is not None and "-" not in photo.fingerprint
    ids, _ = engine.catalog.vectors(engine.model_name, engine.clip.dim)
    # the photo by its file id, the video only by its three moments
    assert int((ids < MOMENT_ID_BASE).sum()) == 1 and int((ids >= MOMENT_ID_BASE).sum()) == 3
    assert len(engine.index) == 4
    assert engine.status().images == 2


def test_find_similar_from_a_frame(engine: Engine, clip: Path):
    solid_image(clip.parent / "green.jpg", GREEN)
    engine.add_folder(clip.parent)
    engine.update()
    similar = engine.similar(clip, k=3, time=3.0)
    assert Path(similar[0].path).name == "green.jpg"
    assert all(not (h.time == pytest.approx(3.0) and h.path == str(clip)) for h in similar)
    # a frame of a video outside the library: decoded at that time
    outside = make_video(clip.parent.parent / "elsewhere" / "b.mp4", [(RED, 1), (GREEN, 2)])
    hits = engine.similar(outside, k=1, time=1.5)
    assert Path(hits[0].path).name == "green.jpg"


def test_moments_follow_their_file(engine: Engine, clip: Path, tmp_path: Path):
    engine.add_folder(clip.parent)
    engine.update()
    assert len(engine.index) == 3
    # changed: re-indexed, the old moments' vectors replaced
    make_video(clip, [(BLUE, 2), (RED, 2)])
    engine.update()
    assert len(engine.index) == 2
    assert engine.search("blue", k=1)[0].time == pytest.approx(0.0)
    assert engine.search("red", k=1)[0].time == pytest.approx(2.0)
    # moved: same vectors, new path
    moved = tmp_path / "media" / "sub" / "renamed.mp4"
    moved.parent.mkdir()
    clip.rename(moved)
    report = engine.update()
    assert report.moved == 1 and report.indexed == 0
    assert Path(engine.search("red", k=1)[0].path) == moved.resolve()
    # deleted: its moments leave the index and the catalog
    moved.unlink()
    engine.update()
    assert len(engine.index) == 0 and engine.search("red") == []
    assert engine.catalog._query("SELECT count(*) FROM moments")[0][0] == 0


def test_index_rebuilt_from_catalog_holds_moments(engine: Engine, clip: Path, tmp_path: Path):
    engine.add_folder(clip.parent)
    engine.update()
    engine.close()
    for saved in (tmp_path / "library" / "index").iterdir():
        saved.unlink()  # force the rebuild from the catalog
    again = Engine(tmp_path / "library", model=engine._model_spec, device="cpu")
    try:
        assert again.search("green", k=1)[0].time == pytest.approx(3.0)
        assert again.search("blue", k=1, folder=clip.parent)[0].time == pytest.approx(7.0)
        assert again.search("blue", folder=tmp_path / "elsewhere") == []
    finally:
        again.close()


def test_bad_videos_are_reported_and_others_still_index(engine: Engine, clip: Path):
    folder = clip.parent
    (folder / "random.mp4").write_bytes(np.random.default_rng(0).bytes(50_000))
    (folder / "empty.mov").write_bytes(b"")
    whole = clip.read_bytes()
    (folder / "truncated.mp4").write_bytes(whole[: len(whole) // 2])
    (folder / "notes.mkv").write_text("not a video at all")
    engine.add_folder(folder)
    report = engine.update()
    assert report.indexed >= 1
    failed = {Path(f.path).name: f.error for f in engine.status().failed}
    assert {"random.mp4", "empty.mov", "notes.mkv"} <= set(failed)
    assert all(error and "Traceback" not in error for error in failed.values())
    assert engine.search("green", k=1)[0].time == pytest.approx(3.0)
    # a truncated file is indexed up to the damage, or reported: never a crash
    row = engine.catalog.file_by_path((folder / "truncated.mp4").resolve())
    assert row is not None and row.state in {"indexed", "failed"}


def test_videos_go_after_photos_with_progress_in_seconds(engine: Engine, clip: Path):
    solid_image(clip.parent / "red.jpg", RED)
    engine.add_folder(clip.parent)
    seen: list[Progress] = []
    engine.update(progress=seen.append)
    units = [p.unit for p in seen]
    assert units[0] == "photos" and units[-1] == "seconds"
    assert units.index("seconds") > units.index("photos")
    seconds = [p for p in seen if p.unit == "seconds"]
    assert seconds[-1].done == seconds[-1].total == 10
    assert [p.done for p in seconds] == sorted(p.done for p in seconds)


def test_cancel_mid_video_leaves_it_pending(engine: Engine, clip: Path):
    engine.add_folder(clip.parent)
    control = IndexControl()

    def cancel_after_four_seconds(progress: Progress) -> None:
        if progress.unit == "seconds" and progress.done >= 4:
            control.cancel()

    report = engine.update(progress=cancel_after_four_seconds, control=control)
    assert report.indexed == 0
    assert engine.catalog.counts(engine.model_name).pending == 1
    assert len(engine.index) == 0
    assert engine.update().indexed == 1  # the next run does it whole
    assert len(engine.index) == 3


def test_pause_holds_a_video_until_resumed(engine: Engine, clip: Path):
    import threading

    engine.add_folder(clip.parent)
    control = IndexControl()
    paused_at: list[int] = []

    def pause_once(progress: Progress) -> None:
        if progress.unit == "seconds" and progress.done >= 2 and not paused_at:
            paused_at.append(progress.done)
            control.pause()
            threading.Timer(0.5, control.resume).start()

    report = engine.update(progress=pause_once, control=control)
    assert paused_at and report.indexed == 1 and len(engine.index) == 3


def test_probe_and_errors(clip: Path, tmp_path: Path):
    info = video.probe(clip)
    assert info.fps == pytest.approx(12) and info.codec == "h264"
    text = tmp_path / "text.mp4"
    text.write_text("hello")
    with pytest.raises(DecodeError, match="not a video"):
        video.probe(text)
    with pytest.raises(DecodeError, match="not found"):
        video.probe(tmp_path / "missing.mp4")
    assert video.format_time(65) == "1:05" and video.format_time(3723) == "1:02:03"
    frame = video.frame_at(clip, 8.0)
    assert np.abs(np.asarray(frame, np.float32).mean(axis=(0, 1)) - BLUE).max() < 12


def test_rotated_video_is_upright(tmp_path: Path):
    clip = make_video(tmp_path / "phone.mp4", [(RED, 1)], size=(160, 96), rotation=90)
    reader = video.MomentReader(clip)
    first = next(iter(reader))
    assert first.image.size == (96, 160)
    assert (reader.info.width, reader.info.height) == (96, 160)


def test_cli_search_json_has_time(
    clip: Path, colour_pack: Path, library_dir: Path, capsys: pytest.CaptureFixture[str]
):
    shutil.copy(clip, clip.parent / "second.mp4")
    assert cli_main(["--model", str(colour_pack), "index", str(clip.parent), "--json"]) == 0
    capsys.readouterr()
    assert cli_main(["--model", str(colour_pack), "search", "blue", "-k", "2", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [round(r["time"], 2) for r in found["results"]] == [7.0, 7.0]
    assert {Path(r["path"]).name for r in found["results"]} == {"clip.mp4", "second.mp4"}


def test_long_videos_decode_keyframes_only(clip: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(video, "KEYFRAMES_ONLY_FROM_S", 5)  # the 10 s clip counts as long
    decoded = []
    reader = video.MomentReader(clip, on_time=decoded.append)
    times = [m.seconds for m in reader]
    assert len(decoded) < 10  # keyframes only, not 120 frames
    assert times[0] == 0.0 and len(times) >= 1


@pytest.mark.logs_warnings  # a video too slow to decode is warned about
def test_a_stalling_video_keeps_what_it_found(
    engine: Engine, clip: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(video, "BUDGET_FLOOR_S", 0.0)  # every frame is over budget
    monkeypatch.setattr(video, "BUDGET_PER_SECOND", 0.0)
    engine.add_folder(clip.parent)
    report = engine.update()
    assert (report.indexed, report.failed) == (1, 0)
    details = engine.catalog.details(engine.catalog.file_by_path(clip.resolve()).id)
    assert "too slow" in details.error
    assert len(engine.index) >= 1


@pytest.mark.logs_warnings  # the unexpected error is logged with its traceback
def test_an_unexpected_decoder_error_fails_one_video_only(
    engine: Engine, clip: Path, monkeypatch: pytest.MonkeyPatch
):
    make_video(clip.parent / "odd.mp4", [(RED, 1)])
    original = video._to_image

    def picky(frame: object, short_side: int):
        if frame.width == 160 and getattr(picky, "armed", True):  # the first video it sees
            picky.armed = False
            raise ValueError("unsupported pixel layout")
        return original(frame, short_side)

    monkeypatch.setattr(video, "_to_image", picky)
    engine.add_folder(clip.parent)
    report = engine.update()
    assert (report.indexed, report.failed) == (1, 1)
    (failure,) = engine.status().failed
    assert "unsupported pixel layout" in failure.error
