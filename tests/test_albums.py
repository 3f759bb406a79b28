"""Albums follow their photos; smart albums stay current; `magpie albums`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from magpie.cli import main
from magpie.core.albums import Albums, SmartQuery
from magpie.core.catalog import Catalog
from magpie.core.engine import Engine
from magpie.core.errors import MagpieError

from tests.helpers.packs import COLOURS, solid_image


@pytest.fixture
def engine(library_dir: Path, colour_pack: Path, photos: Path) -> Any:
    with Engine(library_dir, str(colour_pack), "cpu", writer=True) as opened:
        opened.add_folder(photos)
        opened.update()
        yield opened


def test_manual_album_add_show_remove(engine: Engine, photos: Path) -> None:
    albums = Albums(engine)
    albums.create("Trip")
    assert albums.add("Trip", [photos / "red.jpg", photos / "trip" / "blue-2.png"]) == 2
    assert albums.add("Trip", [photos / "red.jpg"]) == 0  # already in it
    assert [Path(r.path).name for r in albums.photos("Trip")] == ["red.jpg", "blue-2.png"]
    assert albums.remove("Trip", [photos / "red.jpg"]) == 1
    assert [a.count for a in albums.list()] == [1]
    assert albums.albums_of(photos / "trip" / "blue-2.png") == ["Trip"]
    assert (photos / "red.jpg").is_file()  # taking a photo out never touches the file


def test_album_names_and_errors_are_clear(engine: Engine, photos: Path, tmp_path: Path) -> None:
    albums = Albums(engine)
    albums.create("Trip")
    with pytest.raises(MagpieError, match="already exists"):
        albums.create(" Trip ")
    with pytest.raises(MagpieError, match="needs a name"):
        albums.create("  ")
    with pytest.raises(MagpieError, match="no album named"):
        albums.add("Nope", [photos / "red.jpg"])
    outside = solid_image(tmp_path / "elsewhere.jpg", (1, 2, 3))
    with pytest.raises(MagpieError, match="not in the library"):
        albums.add("Trip", [photos / "red.jpg", outside])
    assert albums.photos("Trip") == []  # nothing half-added
    albums.save_search("Reds", SmartQuery("red", threshold=0.9))
    with pytest.raises(MagpieError, match="smart album"):
        albums.add("Reds", [photos / "red.jpg"])
    with pytest.raises(MagpieError, match="needs a text or a reference image"):
        albums.save_search("Empty", SmartQuery(""))
    assert albums.rename("Trip", "Holiday").name == "Holiday"
    albums.delete("Holiday")
    assert [a.name for a in albums.list()] == ["Reds"]


def test_albums_survive_a_rename_and_a_move(engine: Engine, photos: Path) -> None:
    albums = Albums(engine)
    albums.create("Keep")
    albums.add("Keep", [photos / "green.jpg", photos / "trip" / "blue-2.png"])
    os.rename(photos / "green.jpg", photos / "renamed-green.jpg")
    (photos / "moved").mkdir()
    os.rename(photos / "trip" / "blue-2.png", photos / "moved" / "blue-2.png")
    report = engine.update()
    assert report.moved == 2
    assert sorted(r.path for r in albums.photos("Keep")) == sorted(
        [str(photos / "renamed-green.jpg"), str(photos / "moved" / "blue-2.png")]
    )


def test_a_deleted_photo_leaves_its_albums(engine: Engine, photos: Path) -> None:
    albums = Albums(engine)
    albums.create("A")
    albums.add("A", [photos / "white.jpg", photos / "black.jpg"])
    (photos / "white.jpg").unlink()
    engine.update()
    assert [Path(r.path).name for r in albums.photos("A")] == ["black.jpg"]


def test_smart_album_updates_when_photos_are_added_and_removed(
    engine: Engine, photos: Path
) -> None:
    albums = Albums(engine)
    albums.save_search("Blue things", SmartQuery("blue", threshold=0.9))
    assert sorted(Path(r.path).name for r in albums.photos("Blue things")) == [
        "blue-2.png",
        "blue.jpg",
    ]
    solid_image(photos / "new" / "sea.jpg", COLOURS["blue"])
    engine.update()
    assert len(albums.photos("Blue things")) == 3
    assert [a.count for a in albums.list(count_smart=True)] == [3]
    (photos / "blue.jpg").unlink()
    engine.update()
    names = sorted(Path(r.path).name for r in albums.photos("Blue things"))
    assert names == ["blue-2.png", "sea.jpg"]


def test_smart_album_filters_images_and_exclusions(engine: Engine, photos: Path) -> None:
    albums = Albums(engine)
    like_blue = SmartQuery(images=[str(photos / "blue.jpg")], threshold=0.95)
    albums.save_search("Like blue", like_blue)
    assert {Path(r.path).name for r in albums.photos("Like blue")} == {"blue.jpg", "blue-2.png"}
    only_trip = SmartQuery("blue", folder=str(photos / "trip"), threshold=0.9)
    albums.save_search("Trip blue", only_trip)
    assert [Path(r.path).name for r in albums.photos("Trip blue")] == ["blue-2.png"]
    # everything bright-ish except what matches "yellow"
    albums.save_search("Not yellow", SmartQuery("white", exclude=["yellow"], threshold=0.3))
    names = {Path(r.path).name for r in albums.photos("Not yellow")}
    assert "white.jpg" in names
    assert "yellow.jpg" not in names
    # the saved search survives a reopen exactly
    stored = {a.name: a.smart for a in albums.list()}
    assert stored["Trip blue"] == SmartQuery("blue", [], [], str(photos / "trip"), threshold=0.9)


@pytest.mark.logs_warnings  # the rebuild is reported as a warning, as it should be
def test_albums_are_kept_when_a_damaged_catalog_is_rebuilt(engine: Engine, photos: Path) -> None:
    """Albums are the user's own data: recovery copies them (RECOVERED_TABLES), unlike the
    derived tables that are rebuilt."""
    albums = Albums(engine)
    albums.create("Precious")
    albums.add("Precious", [photos / "red.jpg"])
    path = engine.catalog.path
    engine.close()
    salvage = Catalog.__new__(Catalog)  # what Catalog() does when the file does not open
    salvage.path, salvage.recovered_from = path, None
    db = salvage._recover(path)
    rows = db.execute(
        "SELECT a.name, f.name FROM albums a JOIN album_files m ON m.album_id = a.id "
        "JOIN files f ON f.id = m.file_id"
    ).fetchall()
    db.close()
    assert salvage.recovered_from is not None
    assert rows == [("Precious", "red.jpg")]


def _run(capsys: Any, *argv: str) -> tuple[int, Any]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip().startswith("{") else out)


def test_cli_albums(library_dir: Path, colour_pack: Path, photos: Path, capsys: Any) -> None:
    model = ["--model", str(colour_pack)]
    assert main([*model, "index", str(photos)]) == 0
    capsys.readouterr()
    code, doc = _run(capsys, *model, "albums", "create", "Trip", "--json")
    assert (code, doc) == (0, {"album": {"name": "Trip", "smart": False, "count": 0}})
    code, doc = _run(
        capsys,
        *model,
        "albums",
        "add",
        "Trip",
        str(photos / "red.jpg"),
        str(photos / "blue.jpg"),
        "--json",
    )
    assert doc == {"album": "Trip", "added": 2}
    code, doc = _run(capsys, *model, "albums", "remove", "Trip", str(photos / "red.jpg"), "--json")
    assert doc == {"album": "Trip", "removed": 1}
    code, doc = _run(
        capsys, *model, "albums", "save-search", "Blue", "blue", "--threshold", "0.9", "--json"
    )
    assert doc["album"]["smart"] is True
    assert doc["album"]["count"] == 2
    code, doc = _run(capsys, *model, "albums", "list", "--json")
    assert {a["name"]: a["count"] for a in doc["albums"]} == {"Blue": 2, "Trip": 1}
    code, doc = _run(capsys, *model, "albums", "show", "Trip", "--json")
    assert [r["path"] for r in doc["results"]] == [str(photos / "blue.jpg")]
    code, out = _run(capsys, *model, "albums", "show", "Nope")
    assert code == 1
    assert out.err.count("\n") == 1
    assert "no album named" in out.err
