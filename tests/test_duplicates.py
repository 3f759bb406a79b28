"""Duplicates and bursts: signals, pair scoring, grouping, the keeper, `magpie duplicates`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from magpie.cli import main
from magpie.core import duplicates, signals
from magpie.core.engine import Engine

from tests.helpers.duplicate_sets import (
    DERIVED_KINDS,
    burst,
    centre_mean,
    derive,
    other_view,
    save,
    scene,
)


def test_perceptual_hash_is_imagehash_phash() -> None:
    imagehash = pytest.importorskip("imagehash")
    for seed in range(6):
        image = scene(seed, (200 + 17 * seed, 150))
        assert signals.perceptual_hash(image) == int(str(imagehash.phash(image)), 16)


def test_hamming_and_signed_storage_round_trip() -> None:
    a = np.array([0, (1 << 64) - 1, 0b1011], dtype=np.uint64)
    b = np.array([0, 0, 0b0001], dtype=np.uint64)
    assert signals.hamming(a, b).tolist() == [0, 64, 2]
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        assert signals.from_sql(signals._to_sql(value)) == value


def test_sharpness_prefers_the_sharp_copy() -> None:
    from PIL import ImageFilter

    image = scene(3, (400, 300))
    assert signals.sharpness(image) > 2 * signals.sharpness(
        image.filter(ImageFilter.GaussianBlur(3))
    )


@pytest.fixture
def dupe_set(tmp_path: Path) -> dict[str, list[Path]]:
    """Two scenes with every kind of derived copy, distinct same-colour views, and a burst."""
    root = tmp_path / "photos"
    made: dict[str, list[Path]] = {}
    for s in range(2):
        original = scene(100 + s, (480, 360))
        group = [save(original, root / f"scene{s}" / "original.jpg", camera="Canon EOS R6")]
        for kind in DERIVED_KINDS:
            name = f"{kind}.png" if kind == "resized" else f"{kind}.jpg"
            group.append(save(derive(original, kind), root / f"scene{s}" / name, quality=70))
        made[f"copies{s}"] = group
        # same subject, distinct photos: other framings, and new layouts of the same colour
        mean = centre_mean(original)
        distinct = [save(other_view(original, w), root / f"views{s}" / f"v{w}.jpg") for w in (0, 1)]
        distinct += [
            save(scene(500 + 10 * s + j, (480, 360), mean), root / f"views{s}" / f"s{j}.jpg")
            for j in range(3)
        ]
        made[f"distinct{s}"] = distinct
    made["burst"] = burst(
        scene(7, (480, 360)), 3, datetime(2024, 5, 1, 12, 0, 0), root / "burst", "NIKON Z 6"
    )
    return made


def _engine(library_dir: Path, colour_pack: Path, folder: Path) -> Engine:
    engine = Engine(library_dir, str(colour_pack), "cpu", writer=True)
    engine.add_folder(folder)
    engine.update()
    return engine


def test_copies_and_bursts_group_distinct_photos_of_one_subject_do_not(
    library_dir: Path, colour_pack: Path, dupe_set: dict[str, list[Path]]
) -> None:
    root = dupe_set["burst"][0].parent.parent
    with _engine(library_dir, colour_pack, root) as engine:
        groups = duplicates.find_duplicates(engine).groups()
    found = sorted(sorted(p.path for p in g.photos) for g in groups)
    expected = sorted(
        sorted(str(p) for p in dupe_set[key]) for key in ("copies0", "copies1", "burst")
    )
    assert found == expected
    # the colour pack sees the distinct views as the same picture (cosine ~1): only the
    # combined signals keep them apart
    for group in groups:
        assert not any("views" in p.path for p in group.photos)


def test_distinct_same_subject_photos_are_identical_to_the_vector(
    library_dir: Path, colour_pack: Path, dupe_set: dict[str, list[Path]]
) -> None:
    """Guards the test above: a vector-only threshold would group them (Immich 31487)."""
    root = dupe_set["burst"][0].parent.parent
    with _engine(library_dir, colour_pack, root) as engine:
        photos, vectors = duplicates.load_photos(engine.catalog, engine.model_name, 8)
    index = {p.path: i for i, p in enumerate(photos)}
    views = [index[str(p)] for p in dupe_set["distinct0"][2:]]
    cos = vectors[views] @ vectors[views].T
    assert cos.min() > 0.99


def test_the_keeper_is_the_largest_original_and_the_reason_says_so(
    library_dir: Path, colour_pack: Path, dupe_set: dict[str, list[Path]]
) -> None:
    root = dupe_set["burst"][0].parent.parent
    with _engine(library_dir, colour_pack, root) as engine:
        groups = duplicates.find_duplicates(engine).groups()
    by_keep = {Path(g.keep.path).parent.name: g for g in groups}
    assert Path(by_keep["scene0"].keep.path).name == "original.jpg"
    assert "largest" in by_keep["scene0"].reason or "original" in by_keep["scene0"].reason
    assert by_keep["scene0"].photos[0] is by_keep["scene0"].keep
    # a burst: same size and camera, the sharpest else the first shot
    assert by_keep["burst"].reason


def test_keeper_rules() -> None:
    def photo(path: str, w: int, camera: str | None, sharp: float, taken: float) -> Any:
        return duplicates.Photo(0, path, 1, w, w, taken, taken, camera, None, 0, sharp)

    big = photo("/a/big.png", 1000, None, 10, 5)
    small = photo("/a/small.jpg", 500, "Canon", 99, 1)
    assert duplicates.choose_keeper([small, big]) == (big, "largest (1000x1000)")
    edited = photo("/a/edit.png", 1000, None, 10, 0)
    original = photo("/a/orig.jpg", 1000, "Canon", 10, 9)
    keeper, why = duplicates.choose_keeper([edited, original])
    assert keeper is original
    assert "original format" in why
    blurred = photo("/a/b1.jpg", 1000, "Canon", 10, 0)
    sharp = photo("/a/b2.jpg", 1000, "Canon", 30, 1)
    assert duplicates.choose_keeper([blurred, sharp]) == (sharp, "sharpest")
    first = photo("/a/c1.jpg", 1000, "Canon", 10, 0)
    second = photo("/a/c2.jpg", 1000, "Canon", 10.5, 1)
    assert duplicates.choose_keeper([second, first]) == (first, "oldest")


def test_a_lower_threshold_groups_more_and_never_fewer(
    library_dir: Path, colour_pack: Path, dupe_set: dict[str, list[Path]]
) -> None:
    root = dupe_set["burst"][0].parent.parent
    with _engine(library_dir, colour_pack, root) as engine:
        finder = duplicates.find_duplicates(engine)
    sizes = [sum(len(g.photos) for g in finder.groups(t)) for t in (0.99, 0.9, 0.8, 0.7, 0.6)]
    assert sizes == sorted(sizes)
    assert finder.groups(1.0) == [] or all(g.score == 1.0 for g in finder.groups(1.0))


def test_byte_identical_copies_always_group(
    library_dir: Path, colour_pack: Path, tmp_path: Path
) -> None:
    root = tmp_path / "same"
    first = save(scene(1), root / "a.jpg")
    (root / "copy").mkdir()
    (root / "copy" / "a.jpg").write_bytes(first.read_bytes())
    with _engine(library_dir, colour_pack, root) as engine:
        groups = duplicates.find_duplicates(engine).groups(1.0)
    assert [len(g.photos) for g in groups] == [2]


def test_older_libraries_get_signals_from_thumbnails(
    library_dir: Path, colour_pack: Path, dupe_set: dict[str, list[Path]]
) -> None:
    root = dupe_set["burst"][0].parent.parent
    with _engine(library_dir, colour_pack, root) as engine:
        expected = [g.to_json() for g in duplicates.find_duplicates(engine).groups()]
        with engine.catalog.transaction() as db:
            db.execute("DELETE FROM photo_signals")
        again = [g.to_json() for g in duplicates.find_duplicates(engine).groups()]
        stored = engine.catalog._query("SELECT count(*) FROM photo_signals")[0][0]
    assert [g["paths"] for g in again] == [g["paths"] for g in expected]
    assert stored == sum(len(v) for v in dupe_set.values())


def test_changed_photo_is_not_judged_by_its_old_hash(
    library_dir: Path, colour_pack: Path, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    original = scene(11, (300, 200))
    save(original, root / "a.jpg")
    target = save(derive(original, "resaved"), root / "b.jpg", quality=60)
    with _engine(library_dir, colour_pack, root) as engine:
        assert len(duplicates.find_duplicates(engine).groups()) == 1
        mean = centre_mean(original)
        save(scene(999, (300, 200), mean), target, quality=95)
        engine.update()
        assert duplicates.find_duplicates(engine).groups() == []


def test_neighbour_pairs_past_the_exact_limit_use_ivf(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3000, 32)).astype(np.float32)
    near = base[:300] + 0.05 * rng.standard_normal((300, 32)).astype(np.float32)
    vectors = np.concatenate([base, near])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    monkeypatch.setattr(duplicates, "EXACT_UP_TO", 1000)
    left, right, cos = duplicates.neighbour_pairs(vectors, floor=0.9)
    found = set(zip(left.tolist(), right.tolist(), strict=True))
    planted = {(i, 3000 + i) for i in range(300)}
    assert len(found & planted) >= 0.95 * len(planted)
    assert (cos >= 0.9).all()
    assert (left < right).all()


def test_cli_duplicates_json_contract(
    library_dir: Path, colour_pack: Path, dupe_set: dict[str, list[Path]], capsys: Any
) -> None:
    root = dupe_set["burst"][0].parent.parent
    assert main(["--model", str(colour_pack), "index", str(root)]) == 0
    capsys.readouterr()
    assert main(["--model", str(colour_pack), "duplicates", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"groups"}
    assert len(document["groups"]) == 3
    for group in document["groups"]:
        assert group["keep"] in group["paths"]
        assert all(Path(p).is_absolute() for p in group["paths"])
    only = root / "scene1"
    assert main(["--model", str(colour_pack), "duplicates", "--folder", str(only), "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)["groups"]
    assert [sorted(g["paths"]) for g in groups] == [sorted(str(p) for p in dupe_set["copies1"])]
    with pytest.raises(SystemExit) as exit_:
        main(["--model", str(colour_pack), "duplicates", "--threshold", "3"])
    assert exit_.value.code == 2
    assert main(["--model", str(colour_pack), "duplicates", "--folder", str(root / "nope")]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_unreadable_thumbnail_and_photo_only_skip_that_photo(
    library_dir: Path, colour_pack: Path, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    original = scene(12, (300, 200))
    save(original, root / "a.jpg")
    save(derive(original, "resized"), root / "b.jpg")
    with _engine(library_dir, colour_pack, root) as engine:
        with engine.catalog.transaction() as db:
            db.execute("DELETE FROM photo_signals")
        for thumb in (library_dir / "thumbnails").rglob("*.jpg"):
            thumb.write_bytes(b"broken")
        (root / "b.jpg").write_bytes(b"broken too")
        assert duplicates.find_duplicates(engine).groups() == []
