"""Trash with undo, copy and export: only on the photos named, never overwriting."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from magpie.core import file_actions
from magpie.core.errors import MagpieError
from PIL import Image

from tests.helpers.packs import solid_image


@pytest.fixture
def trash_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private home and trash: nothing reaches the real user's trash."""
    from send2trash import plat_other

    home = tmp_path / "home"
    data = home / ".local" / "share"
    data.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", os.fsencode(data))
    monkeypatch.setattr(plat_other, "HOMETRASH_B", os.fsencode(data / "Trash"))
    monkeypatch.setattr(plat_other, "HOMETRASH", str(data / "Trash"))
    return data / "Trash"


@pytest.mark.skipif(not file_actions.restorable(), reason="freedesktop trash only")
def test_trash_then_undo_restores_exactly(tmp_path: Path, trash_home: Path) -> None:
    photos = tmp_path / "photos"
    a = solid_image(photos / "a b.jpg", (200, 10, 10))
    b = solid_image(photos / "sub" / "ü.png", (10, 200, 10))
    keep = solid_image(photos / "keep.jpg", (1, 2, 3))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (a, b)}
    report = file_actions.move_to_trash([str(a), str(b), str(photos / "gone.jpg")])
    assert [p for p, _ in report.done] == [str(a), str(b)]
    assert report.failed[0][0] == str(photos / "gone.jpg")
    assert not a.exists() and not b.exists() and keep.exists()
    assert len(list((trash_home / "files").iterdir())) == 2
    undo = file_actions.restore_from_trash(report.trashed)
    assert undo.failed == []
    for path, (data, mtime) in before.items():
        assert path.read_bytes() == data
        assert path.stat().st_mtime_ns == mtime
    assert list((trash_home / "info").iterdir()) == []


@pytest.mark.skipif(not file_actions.restorable(), reason="freedesktop trash only")
def test_undo_never_overwrites_a_new_file(tmp_path: Path, trash_home: Path) -> None:
    a = solid_image(tmp_path / "a.jpg", (200, 10, 10))
    report = file_actions.move_to_trash([str(a)])
    solid_image(a, (0, 0, 255))  # a new photo took the name meanwhile
    new = a.read_bytes()
    undo = file_actions.restore_from_trash(report.trashed)
    assert undo.done == []
    assert "is there now" in undo.failed[0][1]
    assert a.read_bytes() == new


def test_trash_same_name_twice_restores_each(tmp_path: Path, trash_home: Path) -> None:
    if not file_actions.restorable():
        pytest.skip("freedesktop trash only")
    first = solid_image(tmp_path / "x" / "a.jpg", (10, 10, 10))
    second = solid_image(tmp_path / "y" / "a.jpg", (250, 250, 250))
    data = {p: p.read_bytes() for p in (first, second)}
    report = file_actions.move_to_trash([str(first), str(second)])
    assert len({t.in_trash for t in report.trashed}) == 2
    file_actions.restore_from_trash(report.trashed)
    assert {p: p.read_bytes() for p in (first, second)} == data


def test_copy_never_overwrites_and_keeps_dates(tmp_path: Path) -> None:
    a = solid_image(tmp_path / "p" / "a.jpg", (1, 2, 3))
    other = solid_image(tmp_path / "q" / "a.jpg", (4, 5, 6))
    dest = tmp_path / "out"
    dest.mkdir()
    existing = solid_image(dest / "a.jpg", (7, 8, 9)).read_bytes()
    report = file_actions.copy_to_folder([str(a), str(other), str(tmp_path / "none.jpg")], dest)
    assert [Path(t).name for _, t in report.done] == ["a (2).jpg", "a (3).jpg"]
    assert (dest / "a.jpg").read_bytes() == existing
    assert (dest / "a (2).jpg").read_bytes() == a.read_bytes()
    assert (dest / "a (2).jpg").stat().st_mtime_ns == a.stat().st_mtime_ns
    assert len(report.failed) == 1
    assert "1 could not be" in report.summary("copied")
    with pytest.raises(MagpieError, match="not a folder"):
        file_actions.copy_to_folder([str(a)], tmp_path / "missing")


def test_export_makes_upright_scaled_jpegs(tmp_path: Path) -> None:
    big = solid_image(tmp_path / "p" / "big.png", (10, 100, 200), size=(800, 400))
    broken = tmp_path / "p" / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    dest = tmp_path / "out"
    dest.mkdir()
    report = file_actions.export_to_folder([str(big), str(broken)], dest, max_side=200)
    assert [Path(t).name for _, t in report.done] == ["big.jpg"]
    with Image.open(dest / "big.jpg") as out:
        assert out.format == "JPEG"
        assert out.size == (200, 100)
    assert report.failed[0][0] == str(broken)
    assert [p.name for p in dest.iterdir()] == ["big.jpg"]  # no partial file left


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root ignores modes")
def test_unwritable_destination_is_refused(tmp_path: Path) -> None:
    a = solid_image(tmp_path / "a.jpg", (1, 2, 3))
    dest = tmp_path / "ro"
    dest.mkdir()
    dest.chmod(0o500)
    try:
        with pytest.raises(MagpieError, match="cannot write"):
            file_actions.copy_to_folder([str(a)], dest)
    finally:
        dest.chmod(0o700)
