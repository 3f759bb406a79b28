"""The duplicate evaluation in small, on real photos and the real-weights bridge pack
(optional: skipped without ../shared; the full one is tests/benchmarks/bench_duplicates.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from magpie.core import duplicates
from magpie.core.engine import Engine
from PIL import Image

from tests.helpers.duplicate_sets import DERIVED_KINDS, derive, other_view, save
from tests.helpers.shared import BRIDGE_PACK, SHARED_PHOTOS, requires_shared

pytestmark = [pytest.mark.shared, requires_shared]

# look-alikes among the shared photos: two bridges, flowers, two freespace pictures
SOURCES = [
    "cincinnati-bridge.jpg",
    "lomiri_Bridge_by_Sander_Klootwijk.jpg",
    "mate_FreshFlower.jpg",
    "mate_YellowFlower.jpg",
    "lomiri_Picture_0B_by_freespace.jpg",
    "lomiri_Picture_1A_by_freespace.jpg",
]


def test_real_copies_group_and_distinct_photos_of_one_subject_never_do(
    tmp_path: Path,
) -> None:
    family: dict[str, str] = {}
    root = tmp_path / "photos"
    for name in SOURCES:
        with Image.open(SHARED_PHOTOS / name) as opened:
            image = opened.convert("RGB")
        image.thumbnail((1200, 1200))
        stem = Path(name).stem
        family[str(save(image, root / stem / "original.jpg"))] = stem
        for kind in DERIVED_KINDS:
            suffix = ".png" if kind == "resized" else ".jpg"
            family[str(save(derive(image, kind), root / stem / f"{kind}{suffix}", 60))] = stem
        for which in (0, 1):  # same scene, another framing: a distinct photo
            view = save(other_view(image, which), root / "views" / f"{stem}-{which}.jpg")
            family[str(view)] = f"{stem}-view{which}"
    with Engine(tmp_path / "lib", str(BRIDGE_PACK), "cpu", writer=True) as engine:
        engine.add_folder(root)
        engine.update()
        groups = duplicates.find_duplicates(engine).groups()
    for group in groups:
        assert len({family[p.path] for p in group.photos}) == 1, [p.path for p in group.photos]
    truth = {
        tuple(sorted(pair))
        for pair in itertools.combinations(family, 2)
        if family[pair[0]] == family[pair[1]]
    }
    found = {
        tuple(sorted(pair))
        for g in groups
        for pair in itertools.combinations([p.path for p in g.photos], 2)
    }
    assert len(found & truth) >= 0.9 * len(truth)
