"""Readers of a library (a CLI search beside the app) use a read-only connection and never
repair the catalog: moving a damaged catalog aside is the writer's job alone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from filelock import FileLock
from magpie.core.engine import Engine
from magpie.launch import main as magpie


@pytest.fixture
def indexed_library(tmp_path: Path, colour_pack: Path, photos: Path) -> Path:
    root = tmp_path / "library"
    with Engine(root, model=str(colour_pack), writer=True) as engine:
        engine.add_folder(photos)
        engine.update()
    return root


def test_a_reader_cannot_write(indexed_library: Path, colour_pack: Path):
    with Engine(indexed_library, model=str(colour_pack)) as reader:
        assert reader.status().images == 7
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.catalog.set_watch_mode(1, "polling")


def test_a_search_beside_the_app_leaves_a_damaged_catalog_to_the_app(
    indexed_library: Path, colour_pack: Path, capsys: pytest.CaptureFixture[str]
):
    lock = FileLock(str(indexed_library / "writer.lock"))
    lock.acquire(timeout=0)  # the app holds the library
    try:
        db = indexed_library / "catalog.sqlite"
        db.write_bytes(b"this is not a database" * 100)
        code = magpie(
            [
                "--library",
                str(indexed_library),
                "--model",
                str(colour_pack),
                "search",
                "red",
            ]
        )
        assert code == 1
        assert "damaged" in capsys.readouterr().err
        # before: the search moved the app's catalog aside and built a new one under it
        assert not list(indexed_library.glob("catalog.sqlite.damaged-*"))
        assert db.read_bytes().startswith(b"this is not a database")
    finally:
        lock.release()
