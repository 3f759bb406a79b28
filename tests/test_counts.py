"""One source for each count: status, folder totals, `status --json` and the grid agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from magpie.core.engine import Engine
from magpie.core.records import Status
from magpie.launch import main as magpie


@pytest.fixture
def engine(tmp_path: Path, colour_pack: Path, photos: Path):
    lib = Engine(tmp_path / "library", model=str(colour_pack), device="cpu", writer=True)
    lib.add_folder(photos)
    lib.update()
    yield lib
    lib.close()


def totals(status: Status) -> tuple[int, int]:
    return status.images, sum(f.images for f in status.folders)


def test_a_photo_that_goes_bad_leaves_every_count_at_once(engine: Engine, photos: Path):
    assert totals(engine.status()) == (7, 7)
    (photos / "red.jpg").write_bytes(b"not a jpeg any more, and a different size")
    report = engine.update()
    assert report.failed == 1
    status = engine.status()
    assert totals(status) == (6, 6)
    assert len(status.failed) == 1
    browsed = engine.browse(0, 100)
    assert len(browsed) == 6 and all(Path(r.path).name != "red.jpg" for r in browsed)


def test_status_json_agrees_with_the_folder_totals(
    engine: Engine, photos: Path, tmp_path: Path, colour_pack: Path, capsys
):
    (photos / "trip" / "blue-2.png").write_bytes(b"broken")
    engine.update()
    engine.close()
    code = magpie(
        ["--library", str(tmp_path / "library"), "--model", str(colour_pack), "status", "--json"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["images"] == sum(f["images"] for f in doc["folders"]) == 6


def test_the_counts_are_answered_from_an_index(engine: Engine):
    """Status runs while indexing: its rule must not read every vector row."""
    from magpie.core.catalog import _CURRENT

    plan = engine.catalog._query(
        f"EXPLAIN QUERY PLAN SELECT f.folder_id, count(*) FROM files f {_CURRENT} "
        "GROUP BY f.folder_id",
        ("colour-pack",),
    )
    assert any("COVERING INDEX embeddings_current" in str(row) for row in plan), plan
