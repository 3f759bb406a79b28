"""The library engine with the colour pack: indexing, search, moves, edits, deletes, faults."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from magpie.core.engine import Engine, LibraryBusyError, open_library
from magpie.core.errors import MagpieError
from magpie.core.indexer import IndexControl
from magpie.core.records import FailedFile
from PIL import Image

from tests.helpers.encodes import EncodeCounter
from tests.helpers.packs import COLOURS, solid_image


@pytest.fixture
def encodes(monkeypatch: pytest.MonkeyPatch) -> EncodeCounter:
    return EncodeCounter(monkeypatch)


@pytest.fixture
def engine(tmp_path: Path, colour_pack: Path, photos: Path):
    lib = Engine(tmp_path / "library", model=str(colour_pack), device="cpu", writer=True)
    lib.add_folder(photos)
    yield lib
    lib.close()


def names(results) -> list[str]:
    return [Path(r.path).name for r in results]


def test_index_then_text_search(engine: Engine):
    report = engine.update()
    assert (report.indexed, report.failed, report.moved, report.removed) == (7, 0, 0, 0)
    assert names(engine.search("red", k=1)) == ["red.jpg"]
    assert set(names(engine.search("blue", k=2))) == {"blue.jpg", "blue-2.png"}
    results = engine.search("green", k=7)
    assert results[0].score > 0.99
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert engine.update().to_json()["unchanged"] == 7  # nothing to do the second time


def test_similar_uses_the_stored_vector(engine: Engine, photos: Path, encodes: EncodeCounter):
    engine.update()
    before = encodes.images
    results = engine.similar(photos / "blue.jpg", k=3)
    assert encodes.images == before  # no re-encode
    assert names(results)[0] == "blue-2.png"
    assert "blue.jpg" not in names(results)


def test_similar_to_an_outside_image(engine: Engine, tmp_path: Path):
    engine.update()
    outside = solid_image(tmp_path / "elsewhere" / "query.png", (240, 230, 50))
    assert names(engine.similar(outside, k=1)) == ["yellow.jpg"]
    assert names(engine.search_image(outside.read_bytes(), k=1)) == ["yellow.jpg"]
    combined = engine.search_images(
        [photos_path(engine, "red.jpg"), photos_path(engine, "yellow.jpg")], k=2
    )
    assert set(names(combined)) == {"red.jpg", "yellow.jpg"}


def photos_path(engine: Engine, name: str) -> Path:
    return Path(engine.catalog.folders()[0].path) / name


def test_rename_move_and_folder_rename_keep_embeddings(
    engine: Engine, photos: Path, encodes: EncodeCounter
):
    engine.update()
    after_first = encodes.images
    (photos / "red.jpg").rename(photos / "crimson.jpg")
    (photos / "archive").mkdir()
    (photos / "green.jpg").rename(photos / "archive" / "green.jpg")
    (photos / "trip").rename(photos / "holiday-2024")
    report = engine.update()
    assert (report.moved, report.indexed, report.removed) == (3, 0, 0)
    assert encodes.images == after_first
    assert names(engine.search("red", k=1)) == ["crimson.jpg"]
    blues = {r.path for r in engine.search("blue", k=2)}
    assert str(photos / "holiday-2024" / "blue-2.png") in blues


def test_move_with_new_mtime_is_found_by_fingerprint(
    engine: Engine, photos: Path, encodes: EncodeCounter
):
    engine.update()
    count = encodes.images
    shutil.copyfile(photos / "white.jpg", photos / "copied-white.jpg")  # a copy: new mtime
    (photos / "white.jpg").unlink()
    report = engine.update()
    assert (report.moved, report.indexed) == (1, 0)
    assert encodes.images == count


def test_edit_re_embeds_and_delete_drops(engine: Engine, photos: Path):
    engine.update()
    time.sleep(0.01)
    solid_image(photos / "white.jpg", COLOURS["green"])  # overwritten with new content
    os.utime(photos / "white.jpg", ns=(time.time_ns(), time.time_ns() + 10_000_000))
    (photos / "black.jpg").unlink()
    report = engine.update()
    assert (report.indexed, report.removed) == (1, 1)
    assert set(names(engine.search("green", k=2))) == {"green.jpg", "white.jpg"}
    assert "black.jpg" not in names(engine.search("black", k=10))
    assert engine.status().images == 6


def test_bad_files_are_recorded_and_retried_when_changed(engine: Engine, photos: Path):
    (photos / "broken.jpg").write_bytes(b"not a picture at all" * 20)
    (photos / "empty.png").write_bytes(b"")
    report = engine.update()
    assert (report.indexed, report.failed) == (7, 2)
    failed = {Path(f.path).name: f.error for f in engine.status().failed}
    assert set(failed) == {"broken.jpg", "empty.png"}
    assert "not an image" in failed["broken.jpg"]
    assert engine.update().indexed == 0  # not retried while unchanged
    solid_image(photos / "broken.jpg", COLOURS["red"], size=(30, 30))
    report = engine.update()
    assert (report.indexed, report.failed) == (1, 0)
    assert [Path(f.path).name for f in engine.status().failed] == ["empty.png"]


def test_unreadable_file_does_not_stop_the_others(
    engine: Engine, photos: Path, monkeypatch: pytest.MonkeyPatch
):
    """A permission error (simulated: the tests may run as root, who reads anything)."""
    import magpie.core.indexer as indexer_module

    locked = solid_image(photos / "locked.jpg", COLOURS["red"])
    real = indexer_module.fingerprint

    def guarded(path: str, size: int | None = None) -> str:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real(path, size)

    monkeypatch.setattr(indexer_module, "fingerprint", guarded)
    report = engine.update()
    assert (report.failed, report.indexed) == (1, 7)
    assert engine.status().failed == [FailedFile(str(locked), "permission denied")]


def test_hidden_system_symlinks_and_library_inside_root(tmp_path: Path, colour_pack: Path):
    root = tmp_path / "root"
    solid_image(root / "keep.jpg", COLOURS["red"])
    solid_image(root / ".hidden" / "secret.jpg", COLOURS["red"])
    solid_image(root / "@eaDir" / "thumb.jpg", COLOURS["red"])
    solid_image(root / ".dotfile.jpg", COLOURS["red"])
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "outside").symlink_to(tmp_path, target_is_directory=True)
    (root / "link.jpg").symlink_to(root / "keep.jpg")
    (root / "notes.txt").write_text("not a photo")
    (root / "folder.jpg").mkdir()
    with Engine(root / "magpie-library", model=str(colour_pack), writer=True) as lib:
        # the library may live inside a photo folder; Magpie must not index its own files
        lib.add_folder(root)
        report = lib.update()
        assert report.indexed == 1
        assert lib.update().indexed == 0  # thumbnails it wrote are not picked up


@pytest.mark.logs_warnings
def test_offline_root_keeps_its_photos(engine: Engine, photos: Path):
    engine.update()
    moved_away = photos.with_name("unplugged")
    photos.rename(moved_away)
    report = engine.update()
    assert report.removed == 0 and report.offline == [str(photos)]
    assert engine.status().folders[0].online is False
    assert names(engine.search("red", k=1)) == ["red.jpg"]  # still found, marked offline
    moved_away.rename(photos)
    report = engine.update()
    assert report.unchanged == 7 and engine.status().folders[0].online is True


def test_remove_folder_forgets_photos_but_not_files(engine: Engine, photos: Path):
    engine.update()
    before = sorted(p.name for p in photos.rglob("*"))
    assert engine.remove_folder(photos) == 7
    assert engine.search("red", k=5) == []
    assert sorted(p.name for p in photos.rglob("*")) == before


def test_overlapping_folders_are_refused(engine: Engine, photos: Path, tmp_path: Path):
    with pytest.raises(MagpieError, match="already included"):
        engine.add_folder(photos / "trip")
    with pytest.raises(MagpieError, match="contains the watched folder"):
        engine.add_folder(tmp_path)
    with pytest.raises(MagpieError, match="not a folder"):
        engine.add_folder(tmp_path / "nope")


def test_filters_paging_and_threshold(engine: Engine, photos: Path):
    engine.update()
    trip = engine.search("blue", k=5, folder=photos / "trip")
    assert names(trip) == ["blue-2.png"]
    everything = engine.search("yellow", k=7)
    assert names(engine.search("yellow", k=2, offset=2)) == names(everything)[2:4]
    strong = engine.search("yellow", k=7, threshold=0.9)
    assert names(strong) == ["yellow.jpg"]
    now = time.time()
    assert len(engine.search("red", k=10, date_from=now - 3600, date_to=now + 3600)) == 7
    assert engine.search("red", k=10, date_to=now - 3600) == []


def test_date_taken_from_exif_is_used(engine: Engine, photos: Path):
    exif = Image.Exif()
    exif[0x8769] = {0x9003: "2001:02:03 04:05:06"}
    Image.new("RGB", (20, 20), COLOURS["red"]).save(photos / "old.jpg", exif=exif)
    engine.update()
    from datetime import datetime, timezone

    start = datetime(2001, 1, 1, tzinfo=timezone.utc).timestamp()
    end = datetime(2002, 1, 1, tzinfo=timezone.utc).timestamp()
    assert names(engine.search("red", k=10, date_from=start, date_to=end)) == ["old.jpg"]


def test_progress_pause_cancel_and_resume(engine: Engine, photos: Path, encodes: EncodeCounter):
    for i in range(20):
        solid_image(photos / "many" / f"{i:02}.jpg", COLOURS["white"])
    control = IndexControl()
    seen = []

    def progress(p) -> None:
        seen.append(p)
        if p.done >= 8:
            control.cancel()

    engine.catalog  # noqa: B018
    first = engine.update(progress=progress, control=control)
    # batches of 16 on the CPU: the cancel lands after the first batch
    assert first.indexed == 16 and seen[0].total == 27
    assert seen[0].rate > 0 and seen[0].current
    second = engine.update()
    assert second.indexed == 11  # resumed: the committed batch is not encoded again
    assert encodes.images == 27


def test_second_writer_is_refused_and_readers_still_work(engine: Engine, colour_pack: Path):
    engine.update()
    other = Engine(engine.library, model=str(colour_pack))
    with pytest.raises(LibraryBusyError, match="another Magpie"):
        other.acquire_writer()
    assert names(other.search("red", k=1)) == ["red.jpg"]  # a reader is fine
    other.close()


def test_index_is_rebuilt_when_it_disagrees_with_the_catalog(
    tmp_path: Path, colour_pack: Path, photos: Path
):
    library = tmp_path / "lib"
    with Engine(library, model=str(colour_pack), writer=True) as lib:
        lib.add_folder(photos)
        lib.update()
    index_file = library / "index" / "colour-pack.faiss"
    assert index_file.is_file()
    stamp = index_file.with_suffix(".json")

    # 1. a stale stamp (as after a crash between catalog commit and index save)
    stamp.write_text(stamp.read_text().replace('"stamp": "', '"stamp": "0'))
    with Engine(library, model=str(colour_pack)) as lib:
        assert names(lib.search("red", k=1)) == ["red.jpg"]
        assert len(lib.index) == 7
    # 2. a corrupted index file
    index_file.write_bytes(b"garbage" * 10)
    with Engine(library, model=str(colour_pack), writer=True) as lib:
        assert names(lib.search("green", k=1)) == ["green.jpg"]
    # 3. an index holding a vector the catalog has dropped
    with Engine(library, model=str(colour_pack), writer=True) as lib:
        lib.catalog.remove_files([lib.catalog.file_by_path(photos / "red.jpg").id])
    with Engine(library, model=str(colour_pack)) as lib:
        assert "red.jpg" not in names(lib.search("red", k=7))
        assert len(lib.index) == 6


def test_two_line_api(tmp_path: Path, colour_pack: Path, photos: Path):
    hits = open_library(photos, library=tmp_path / "lib2", model=str(colour_pack)).search("yellow")
    assert Path(hits[0].path).name == "yellow.jpg"


def test_thumbnails_come_from_the_same_decode(engine: Engine, photos: Path):
    engine.update()
    row = engine.catalog.file_by_path(photos / "red.jpg")
    thumb = engine.thumbnails.path_for(row.fingerprint)
    with Image.open(thumb) as image:
        assert max(image.size) <= 320
        assert abs(image.getpixel((5, 5))[0] - COLOURS["red"][0]) < 10
    assert str(engine.library.root) in str(thumb)  # never next to the photo


def test_model_change_re_embeds_and_search_works(tmp_path: Path, photos: Path):
    from tests.helpers.packs import make_colour_pack

    first = make_colour_pack(tmp_path / "first", dim=8)
    second = make_colour_pack(tmp_path / "second", dim=6)
    library = tmp_path / "lib"
    with Engine(library, model=str(first), writer=True) as lib:
        lib.add_folder(photos)
        assert lib.update().indexed == 7
    with Engine(library, model=str(second), writer=True) as lib:
        assert lib.status().pending == 7  # the new model has nothing yet
        assert lib.update().indexed == 7
        assert names(lib.search("red", k=1)) == ["red.jpg"]
    with Engine(library, model=str(first)) as lib:  # the old vectors are still there
        assert names(lib.search("red", k=1)) == ["red.jpg"]


def test_browse_newest_first_and_details(engine: Engine, photos: Path):
    base = time.time() - 1000
    for i, name in enumerate(["red.jpg", "green.jpg", "blue.jpg"]):
        os.utime(photos / name, (base + i, base + i))  # blue newest of these three
    engine.update()
    page = engine.browse(0, 3)
    assert len(page) == 3 and names(page)[-1] != "red.jpg"
    everything = names(engine.browse(0, 100))
    assert everything[-3:] == ["blue.jpg", "green.jpg", "red.jpg"]
    assert names(engine.browse(5, 100)) == everything[5:]
    assert names(engine.browse(0, 10, folder=photos / "trip")) == ["blue-2.png"]
    assert all(r.fingerprint for r in page)
    details = engine.catalog.details(page[0].file_id)
    assert details is not None and details.path == page[0].path
    assert details.width and details.state == "indexed"


def test_catalog_migrations_run_once_and_in_order(tmp_path, monkeypatch):
    from magpie.core import catalog as catalog_module

    monkeypatch.setattr(
        catalog_module,
        "MIGRATIONS",
        [
            ("test-notes", "CREATE TABLE notes (file_id INTEGER, text TEXT)"),
            ("test-notes-column", "ALTER TABLE notes ADD COLUMN lang TEXT"),
        ],
    )
    path = tmp_path / "catalog.sqlite"
    first = catalog_module.Catalog(path)
    first._query("INSERT INTO notes(file_id, text, lang) VALUES (1, 'x', 'en')")
    first.close()
    again = catalog_module.Catalog(path)  # a second open must not re-run ALTER TABLE
    assert again._query("SELECT text, lang FROM notes") == [("x", "en")]
    again.close()
