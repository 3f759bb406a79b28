"""The fast fault suite (issue: reliability): bad files, kills, full disks, corruption, storms.

Long soak and kill loops are in tests/benchmarks/soak.py (run by hand).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from magpie.core.catalog import Catalog
from magpie.core.engine import Engine
from magpie.core.errors import LibraryFullError
from PIL import Image

from tests.helpers.faults import kill_trial, make_noise_photos
from tests.helpers.packs import COLOURS, solid_image
from tests.helpers.pictures import STORED, quadrants
from tests.helpers.watching import Watching, wait_for

REPO = Path(__file__).resolve().parent.parent


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under root: size, mtime and content hash (bytes and times must not move)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            out[str(path)] = (len(data), path.stat().st_mtime_ns, hashlib.sha256(data).hexdigest())
    return out


def test_awkward_names_and_files(tmp_path: Path, colour_pack: Path):
    photos = tmp_path / "photos"
    solid_image(photos / "with spaces.jpg", COLOURS["red"])
    solid_image(photos / "ünïcødé 東京.png", COLOURS["green"])
    solid_image(photos / "new\nline.jpg", COLOURS["blue"])
    bad_name = os.fsencode(photos) + b"/caf\xe9-latin1.jpg"  # not valid UTF-8
    Image.new("RGB", (20, 20), COLOURS["yellow"]).save(os.fsdecode(bad_name), "JPEG")
    (photos / "broken-link.jpg").symlink_to(photos / "nowhere.jpg")
    frames = [Image.new("RGB", (30, 30), COLOURS["white"]), Image.new("RGB", (30, 30), (0, 0, 0))]
    frames[0].save(photos / "animated.webp", save_all=True, append_images=frames[1:], duration=50)
    (photos / "photo.jpg").mkdir()  # a folder with an image name
    solid_image(photos / "photo.jpg" / "inside.jpg", COLOURS["black"])
    huge = photos / "huge-video-really.jpg"  # 2 GB, not an image: must not be read whole
    with open(huge, "wb") as fh:
        fh.truncate(2 * 1024**3)
    read_before = _bytes_read()
    with Engine(tmp_path / "lib", model=str(colour_pack), writer=True) as lib:
        lib.add_folder(photos)
        report = lib.update()
        assert (report.indexed, report.failed) == (6, 1)
        assert _bytes_read() - read_before < 64 * 1024**2
        status = lib.status()
        assert [Path(f.path).name for f in status.failed] == ["huge-video-really.jpg"]
        assert "not an image" in status.failed[0].error
        assert [Path(r.path).name for r in lib.search("yellow", k=1)] == ["caf\udce9-latin1.jpg"]
        assert Path(lib.search("red", k=1)[0].path).name == "with spaces.jpg"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "magpie",
            "--library",
            str(tmp_path / "lib"),
            "--model",
            str(colour_pack),
            "search",
            "blue",
            "-k",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["results"][0]["path"] == str(photos / "new\nline.jpg")


def _bytes_read() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def test_files_that_change_under_the_indexer(
    tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    """Replaced, grown and deleted between the scan and the read."""
    import magpie.core.indexer as indexer_module

    photos = tmp_path / "photos"
    for name in ("replaced", "growing", "deleted", "steady"):
        solid_image(photos / f"{name}.jpg", COLOURS["red"])
    real = indexer_module.Indexer._decode

    def meddle(self, item):
        name = Path(item.path).stem
        if name == "replaced":
            solid_image(Path(item.path), COLOURS["blue"], size=(70, 50))
        elif name == "growing":
            with open(item.path, "ab") as fh:
                fh.write(b"\0" * 1000)
        elif name == "deleted":
            os.unlink(item.path)
        return real(self, item)

    monkeypatch.setattr(indexer_module.Indexer, "_decode", meddle)
    with Engine(tmp_path / "lib", model=str(colour_pack), writer=True) as lib:
        lib.add_folder(photos)
        report = lib.update()
        assert report.failed == 1  # the deleted one
        assert lib.status().failed[0].error == "file disappeared before it could be read"
        assert Path(lib.search("blue", k=1)[0].path).name == "replaced.jpg"  # its new content
        monkeypatch.setattr(indexer_module.Indexer, "_decode", real)
        again = lib.update()  # nothing embedded twice; the vanished one is dropped
        assert (again.indexed, again.removed) == (0, 1)
        assert lib.status().failed == []


def test_sigkill_while_indexing(tmp_path: Path, colour_pack: Path):
    photos = make_noise_photos(tmp_path / "photos", 600)
    outcomes = [
        kill_trial(tmp_path / f"lib-{seed}", colour_pack, photos, seed) for seed in range(3)
    ]
    assert all(0 < o["committed_before_kill"] < 600 for o in outcomes), outcomes  # mid-run kills


def _mk(folder: Path, i: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{i:03}.jpg"


def test_full_disk_injected(tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch):
    """SQLite reports a full disk inside the second batch's transaction."""
    photos = tmp_path / "photos"
    for i in range(40):
        solid_image(photos / f"{i:02}.png", COLOURS["green"], size=(10, 10))
    calls = {"n": 0}
    real = Catalog._bump

    def bump(db: sqlite3.Connection, key: str) -> None:
        if key.startswith("generation:"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise sqlite3.OperationalError("database or disk is full")
        real(db, key)

    with Engine(tmp_path / "lib", model=str(colour_pack), writer=True) as lib:
        lib.add_folder(photos)
        monkeypatch.setattr(Catalog, "_bump", staticmethod(bump))
        with pytest.raises(LibraryFullError, match="is full or failing"):
            lib.update()
        assert lib.status().images == 16 and lib.catalog.integrity_ok()  # batch 2 rolled back
        monkeypatch.setattr(Catalog, "_bump", staticmethod(real))
        assert lib.update().indexed == 24  # space is back: it resumes
        assert lib.status().failed == []


@pytest.fixture
def tiny_disk(tmp_path: Path):
    mount = tmp_path / "tiny-disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root); the injected test covers it")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.logs_warnings
def test_full_disk_for_real(tmp_path: Path, colour_pack: Path, tiny_disk: Path):
    photos = tmp_path / "photos"
    rng = np.random.default_rng(1)
    for i in range(300):
        Image.fromarray(rng.integers(0, 255, (200, 300, 3), np.uint8)).save(
            _mk(photos, i), quality=95
        )
    library = tiny_disk / "library"
    with Engine(library, model=str(colour_pack), writer=True) as lib:
        lib.add_folder(photos)
        with pytest.raises(LibraryFullError):
            lib.update()
        done = lib.status().images
        assert 0 < done < 300 and lib.catalog.integrity_ok()
        subprocess.run(["mount", "-o", "remount,size=64m", str(tiny_disk)], check=True)
        report = lib.update()
        assert report.indexed == 300 - done and report.failed == 0
        assert len(lib.search("red", k=400)) == 300


@pytest.mark.logs_warnings
@pytest.mark.parametrize("damage", ["truncate", "garbage", "zero-page"])
def test_damaged_catalog_is_rebuilt_and_the_user_told(
    tmp_path: Path, colour_pack: Path, damage: str
):
    photos = tmp_path / "photos"
    for name, rgb in COLOURS.items():
        solid_image(photos / f"{name}.jpg", rgb)
    library = tmp_path / "lib"
    with Engine(library, model=str(colour_pack), writer=True) as lib:
        lib.add_folder(photos)
        lib.update()
    db = library / "catalog.sqlite"
    data = db.read_bytes()
    if damage == "truncate":
        db.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        db.write_bytes(b"this is not a database" * 100)
    else:
        db.write_bytes(data[:16384] + b"\xff" * 16384 + data[32768:])
    with Engine(library, model=str(colour_pack), writer=True) as lib:
        status = lib.status()
        assert status.notices and "rebuilt" in status.notices[0]
        assert list(library.glob("catalog.sqlite.damaged-*"))  # the damaged copy is kept
        if not status.folders:
            lib.add_folder(photos)  # the folder list itself was unreadable
        lib.update()
        assert lib.status().images == len(COLOURS)
        assert Path(lib.search("red", k=1)[0].path).name == "red.jpg"


def test_a_storm_of_new_files_then_delete_then_rename(tmp_path: Path, colour_pack: Path):
    root = tmp_path / "photos"
    root.mkdir()
    engine = Engine(tmp_path / "lib", model=str(colour_pack), writer=True)
    engine.add_folder(root)
    session = Watching(engine)
    session.thread.start()
    assert session.ready.wait(20)
    try:
        storm = root / "storm"
        storm.mkdir()
        rng = np.random.default_rng(2)
        for i in range(2000):
            Image.fromarray(rng.integers(0, 255, (8, 8, 3), np.uint8)).save(storm / f"{i:05}.png")
        assert wait_for(lambda: engine.status().images == 2000, timeout=180)
        assert engine.catalog._query("SELECT count(*) FROM embeddings")[0][0] == 2000  # once each
        # the report of the last update arrives after its last batch is committed
        assert wait_for(lambda: sum(r.indexed for r in session.reports) >= 2000, timeout=60)
        indexed_total = sum(r.indexed for r in session.reports)
        assert indexed_total == 2000
        storm.rename(root / "renamed")
        assert wait_for(lambda: sum(r.moved for r in session.reports) == 2000, timeout=120)
        assert sum(r.indexed for r in session.reports) == 2000  # no re-encoding
        for path in (root / "renamed").iterdir():
            path.unlink()
        assert wait_for(lambda: engine.status().images == 0, timeout=120)
        assert engine.search("red", k=10) == []
    finally:
        session.stop.set()
        session.thread.join(timeout=120)  # it ends the update it is in first
        assert not session.thread.is_alive(), "the watch loop did not stop within 120 s"
        engine.close()


def test_searches_keep_answering_while_indexing(tmp_path: Path, colour_pack: Path):
    photos = tmp_path / "photos"
    rng = np.random.default_rng(3)
    for i in range(300):
        Image.fromarray(rng.integers(0, 255, (60, 80, 3), np.uint8)).save(_mk(photos, i))
    solid_image(photos / "red.jpg", COLOURS["red"])
    with Engine(tmp_path / "lib", model=str(colour_pack), writer=True) as lib:
        lib.add_folder(photos)
        worker = threading.Thread(target=lib.update)
        worker.start()
        answered = 0
        while worker.is_alive():
            lib.search("red", k=5)
            answered += 1
        worker.join()
        assert answered > 3
        assert Path(lib.search("red", k=1)[0].path).name == "red.jpg"


def test_photo_folders_are_never_written(tmp_path: Path, colour_pack: Path):
    from tests.helpers.packs import make_colour_pack

    photos = tmp_path / "photos"
    for name, rgb in COLOURS.items():
        solid_image(photos / "a" / f"{name}.jpg", rgb)
    (photos / "bad.jpg").write_bytes(b"junk")
    library = tmp_path / "lib"
    other_model = make_colour_pack(tmp_path / "other-pack", dim=5)
    with Engine(library, model=str(colour_pack), writer=True) as lib:
        lib.add_folder(photos)
        lib.update()
        (photos / "a").rename(photos / "b")  # the user moves things...
        before = snapshot(photos)
        listing = sorted(os.listdir(photos))
        lib.update()  # ...Magpie follows, and must not touch a byte or a time stamp
        lib.search("red")
        lib.similar(photos / "b" / "red.jpg")
        stop = threading.Event()
        watcher = threading.Thread(target=lib.watch, args=(stop,), kwargs={"quiet_s": 0.2})
        watcher.start()
        time.sleep(1.0)
        stop.set()
        watcher.join()
    with Engine(library, model=str(other_model), writer=True) as lib:  # a model change
        lib.update()
        lib.remove_folder(photos)
    assert snapshot(photos) == before
    assert sorted(os.listdir(photos)) == listing


RUNTIME_SOURCES = [p for p in (REPO / "desktop").rglob("*.py")]


def test_no_pickle_torchscript_or_shell_at_runtime():
    offenders = []
    for path in RUNTIME_SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                offenders += [
                    f"{path.name}: import {n}"
                    for n in names
                    if n.split(".")[0] in ("pickle", "torch", "dill", "shelve", "marshal")
                ]
            if isinstance(node, ast.Call):
                func = ast.unparse(node.func)
                if func in (
                    "os.system",
                    "os.popen",
                    "eval",
                    "exec",
                    "torch.load",
                    "torch.jit.load",
                ):
                    offenders.append(f"{path.name}: {func}()")
                for keyword in node.keywords:
                    if keyword.arg == "shell" and ast.unparse(keyword.value) != "False":
                        offenders.append(f"{path.name}: shell={ast.unparse(keyword.value)}")
    assert offenders == []


def test_downloads_refuse_plain_http_and_check_integrity():
    from magpie.core.download import endpoint_url
    from magpie.core.errors import DownloadError

    assert endpoint_url("https://huggingface.co").startswith("https://")
    with pytest.raises(DownloadError, match="HTTPS only"):
        endpoint_url("http://huggingface.co")
    assert endpoint_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"  # loopback tests


def test_every_orientation_embeds_and_thumbnails_upright(tmp_path: Path):
    """A pack that sees only the top-left quarter: red there only if the photo is upright."""
    from tests.helpers.packs import colour_vector, make_colour_pack

    pack = make_colour_pack(tmp_path / "corner-pack", top_left_only=True, resize_mode="squash")
    photos = tmp_path / "photos"
    photos.mkdir()
    for orientation, store in STORED.items():
        exif = Image.Exif()
        exif[0x0112] = orientation
        Image.fromarray(np.ascontiguousarray(store(quadrants()))).save(
            photos / f"o{orientation}.jpg", quality=95, exif=exif.tobytes()
        )
    red = colour_vector((220, 30, 30), 8)
    with Engine(tmp_path / "lib", model=str(pack), writer=True) as lib:
        lib.add_folder(photos)
        assert lib.update().indexed == 8
        for orientation in STORED:
            row = lib.catalog.file_by_path(photos / f"o{orientation}.jpg")
            vector = lib.catalog.vector(row.id, "corner-pack")
            assert float(vector @ red) > 0.99, orientation  # upright, as the reference
            with Image.open(lib.thumbnails.path_for(row.fingerprint)) as thumb:
                assert thumb.size[0] > thumb.size[1]  # landscape, as shown
                r, g, b = thumb.convert("RGB").getpixel((thumb.width // 4, thumb.height // 4))
                assert r > 150 and g < 100 and b < 100, orientation
