"""Exclusions: patterns and sub-folders per folder, size limits per library, hidden at once
with their vectors kept, re-included without a re-encode, deleted only on purge."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from magpie.core.engine import Engine
from magpie.core.errors import MagpieError
from magpie.core.exclusions import Exclusion, Matcher, check_pattern

from tests.helpers.encodes import EncodeCounter
from tests.helpers.packs import solid_image


@pytest.fixture
def tree(photos: Path) -> Path:
    """The colour photos plus the clutter photo folders collect."""
    solid_image(photos / "Screenshots" / "shot-red.png", (200, 20, 20))
    solid_image(photos / "2019" / "Backup" / "old-green.jpg", (20, 190, 40))
    solid_image(photos / "2019" / "keep-white.jpg", (240, 240, 240))
    solid_image(photos / "album.thumbnail" / "cover.jpg", (25, 35, 205))
    solid_image(photos / "icon-black.png", (10, 10, 10), size=(16, 16))
    return photos


@pytest.fixture
def engine(tmp_path: Path, colour_pack: Path, tree: Path):
    lib = Engine(tmp_path / "library", model=str(colour_pack), device="cpu", writer=True)
    lib.add_folder(tree)
    yield lib
    lib.close()


def names(results) -> set[str]:
    return {Path(r.path).name for r in results}


def every_result(engine: Engine) -> set[str]:
    return names(engine.search("red", k=100, threshold=-1.0))


def test_matcher_names_paths_and_scope() -> None:
    root = "/p"
    matcher = Matcher(
        [
            Exclusion("screenshots"),
            Exclusion("*.thumbnail"),
            Exclusion("._*"),
            Exclusion("2019/Backup", "/p"),
            Exclusion("Private", "/other"),
        ]
    )
    assert matcher.excludes("/p/Screenshots/a.png", root)  # any depth, any case
    assert matcher.excludes("/p/x/y/SCREENSHOTS", root)
    assert matcher.excludes("/p/a/cover.thumbnail", root)
    assert matcher.excludes("/p/._IMG_1.jpg", root)
    assert matcher.excludes("/p/2019/Backup/deep/x.jpg", root)
    assert not matcher.excludes("/p/2020/Backup/x.jpg", root)  # a path rule is anchored
    assert not matcher.excludes("/p/Private/x.jpg", root)  # scoped to another folder
    assert matcher.excludes("/other/Private/x.jpg", "/other")
    assert not matcher.excludes("/p/screenshots-2.jpg", root)
    assert not matcher.excludes("/p", root)
    assert not Matcher([])


@pytest.mark.parametrize("bad", ["", "  ", "a/../b", "./x", "a//b"])
def test_bad_patterns_are_refused_with_a_message(bad: str) -> None:
    with pytest.raises(MagpieError, match="pattern"):
        check_pattern(bad)


def test_new_files_in_excluded_places_are_never_indexed(
    engine: Engine, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.exclude("Screenshots")
    engine.exclude("*.thumbnail")
    engine.exclude(str(tree / "2019" / "Backup"))  # an absolute sub-folder
    encodes = EncodeCounter(monkeypatch)
    report = engine.update()
    assert report.indexed == encodes.images == 9
    found = every_result(engine)
    assert "keep-white.jpg" in found
    assert not found & {"shot-red.png", "old-green.jpg", "cover.jpg"}
    assert [(e.pattern, e.folder) for e in engine.exclusions.list()] == [
        ("*.thumbnail", None),
        ("Screenshots", None),
        ("2019/Backup", str(tree)),
    ]


def test_excluding_hides_at_once_keeps_vectors_and_reincludes_without_encoding(
    engine: Engine, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.update()
    assert "shot-red.png" in every_result(engine)
    assert engine.exclude("Screenshots") == 1
    assert "shot-red.png" not in every_result(engine)  # gone from results at once
    assert "shot-red.png" not in {Path(r.path).name for r in engine.browse()}
    shot = engine.catalog.file_by_path(tree / "Screenshots" / "shot-red.png")
    assert shot is not None and engine.catalog.vector(shot.id, engine.model_name) is not None

    encodes = EncodeCounter(monkeypatch)
    report = engine.update()  # the scan keeps the hidden row: not "removed", not re-added
    assert (report.removed, report.indexed) == (0, 0)
    assert engine.catalog.file_by_path(tree / "Screenshots" / "shot-red.png") is not None

    assert engine.include("Screenshots") == 1
    assert "shot-red.png" in every_result(engine)  # back at once
    assert engine.update().indexed == 0 and encodes.images == 0  # and never re-encoded


def test_hidden_photos_stay_hidden_in_a_new_process(
    tmp_path: Path, colour_pack: Path, engine: Engine
) -> None:
    engine.update()
    engine.exclude("Screenshots")
    engine.close()
    with Engine(tmp_path / "library", model=str(colour_pack), device="cpu") as reader:
        assert "shot-red.png" not in every_result(reader)  # the saved index was rebuilt
        assert len(reader.index) == 11


def test_purge_deletes_vectors_only_when_asked_and_never_touches_the_files(
    engine: Engine, tree: Path
) -> None:
    engine.update()
    before = {p: p.stat().st_mtime_ns for p in tree.rglob("*") if p.is_file()}
    engine.exclude("Screenshots")
    assert engine.purge_excluded() == 1
    assert engine.catalog.file_by_path(tree / "Screenshots" / "shot-red.png") is None
    assert engine.update().indexed == 0  # not walked, so not added back
    assert {p: p.stat().st_mtime_ns for p in tree.rglob("*") if p.is_file()} == before
    engine.include("Screenshots")
    assert engine.update().indexed == 1  # re-included after a purge: indexed afresh
    assert "shot-red.png" in every_result(engine)


def test_size_limits_skip_icons_and_huge_images(
    engine: Engine, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.set_size_limits(min_side=32)
    report = engine.update()
    assert (report.indexed, report.skipped, report.failed) == (11, 1, 0)
    assert "icon-black.png" not in every_result(engine)
    assert engine.catalog.failures() == []  # skipped is not a failure
    assert engine.catalog.pending_count(engine.model_name) == 0
    assert engine.exclusions.counts() == {"size": 1}

    encodes = EncodeCounter(monkeypatch)
    assert engine.update().indexed == 0 and encodes.images == 0  # not decoded every time

    assert engine.set_size_limits() == (0, 1)  # limits lifted: the icon is due
    assert engine.update().indexed == 1
    assert "icon-black.png" in every_result(engine)

    # a maximum: the 64x48 photos are 0.003 MP, the icon less: all but it hidden at once
    hidden, shown = engine.set_size_limits(max_megapixels=0.002)
    assert (hidden, shown) == (11, 0)
    assert every_result(engine) == {"icon-black.png"}
    assert engine.set_size_limits(0, 0) == (0, 11)
    assert len(every_result(engine)) == 12


def test_a_changed_skipped_photo_is_looked_at_again(engine: Engine, tree: Path) -> None:
    engine.set_size_limits(min_side=32)
    engine.update()
    icon = tree / "icon-black.png"
    solid_image(icon, (10, 10, 10), size=(64, 64))
    os.utime(icon, ns=(1, 1_700_000_000_000_000_000))
    assert engine.update().indexed == 1
    assert "icon-black.png" in every_result(engine)


def test_bad_exclusions_get_clear_messages(engine: Engine, tree: Path, tmp_path: Path) -> None:
    with pytest.raises(MagpieError, match="watched folder itself"):
        engine.exclude(str(tree))
    with pytest.raises(MagpieError, match="not inside a watched folder"):
        engine.exclude(str(tmp_path / "elsewhere"))
    with pytest.raises(MagpieError, match="not a watched folder"):
        engine.exclude("x", folder=tmp_path)
    with pytest.raises(MagpieError, match="is not excluded"):
        engine.include("never-added")
    with pytest.raises(MagpieError, match="positive"):
        engine.set_size_limits(min_side=-1)
