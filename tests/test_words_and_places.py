"""Words in photos (the real PP-OCR models from the rapidocr wheel) and places from GPS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from magpie.core.engine import Engine
from magpie.core.ocr import READER_ID, TextReader
from magpie.core.places import places_for
from magpie.launch import main as magpie

from tests.helpers.packs import COLOURS, solid_image
from tests.helpers.scenes import LISBON, MID_ATLANTIC, ZURICH, gps_photo, sign_photo


@pytest.fixture(scope="module")
def reader() -> TextReader:
    return TextReader("cpu")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = magpie(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_reads_the_words_on_a_sign(reader: TextReader, tmp_path: Path):
    found = reader.read(sign_photo(tmp_path / "sign.jpg", "KOWALSKI BAKERY"))
    assert "KOWALSKI BAKERY" in found.text.upper()


def test_a_photo_without_text_reads_nothing(reader: TextReader, tmp_path: Path):
    found = reader.read(solid_image(tmp_path / "plain.jpg", COLOURS["green"], (640, 480)))
    assert found.lines == ()


def test_places_name_the_city_and_nothing_at_sea():
    lisbon, zurich, sea, nonsense = places_for([LISBON, ZURICH, MID_ATLANTIC, (91.0, 500.0)])
    assert lisbon is not None and lisbon.city == "Lisbon" and lisbon.country == "Portugal"
    assert zurich is not None and zurich.city == "Zürich" and zurich.country == "Switzerland"
    assert "Lisbon" in lisbon.label
    assert sea is None and nonsense is None


def _library_with_signs_and_places(tmp: Path, colour_pack: Path) -> tuple[Path, Engine]:
    photos = tmp / "photos"
    sign_photo(photos / "receipt.jpg", "MIGROS 12.50")
    sign_photo(photos / "street.jpg", "RUA AUGUSTA")
    gps_photo(photos / "tram.jpg", COLOURS["red"], LISBON)
    gps_photo(photos / "lake.jpg", COLOURS["blue"], ZURICH)
    gps_photo(photos / "ocean.jpg", COLOURS["green"], MID_ATLANTIC)
    engine = Engine(tmp / "lib", str(colour_pack), "cpu", writer=True)
    engine.add_folder(photos)
    engine.update()
    return photos, engine


def test_the_second_pass_reads_text_and_places_after_embeddings(tmp_path: Path, colour_pack: Path):
    photos, engine = _library_with_signs_and_places(tmp_path, colour_pack)
    with engine:
        assert engine.status().text == {"enabled": True, "read": 0, "pending": 5}
        run_ = engine.enrich()
        assert run_.texts == 5 and run_.with_text == 2 and run_.places == 3
        details = [
            engine.catalog.details(i)
            for i in engine.catalog.ids_matching(None, None, None).tolist()
        ]
        by_name = {Path(d.path).name: d for d in details if d is not None}
        assert "MIGROS" in by_name["receipt.jpg"].text
        assert "Lisbon" in by_name["tram.jpg"].place
        assert by_name["ocean.jpg"].place == ""
        assert engine.status().text == {"enabled": True, "read": 5, "pending": 0}
        # nothing changed: a second pass reads nothing again
        again = engine.enrich()
        assert again.texts == 0 and again.places == 0
        # an edited photo is read again
        sign_photo(photos / "street.jpg", "AVENIDA DA LIBERDADE")
        engine.update()
        assert engine.enrich().texts == 1
        assert (
            "LIBERDADE"
            in engine.catalog.photo_text(
                engine.catalog.file_by_path(photos / "street.jpg").id  # type: ignore[union-attr]
            ).upper()
        )  # type: ignore[union-attr]


def test_reading_text_can_be_turned_off(tmp_path: Path, colour_pack: Path):
    _photos, engine = _library_with_signs_and_places(tmp_path, colour_pack)
    with engine:
        settings = engine.library.load_settings()
        settings.read_text = False
        engine.library.save_settings(settings)
        run_ = engine.enrich()
        assert run_.texts == 0 and run_.places == 3  # places are free: always named
        assert engine.status().text["pending"] == 0
        assert engine._text_reader is None  # the OCR models were never loaded


def test_cli_places_and_the_place_filter(
    tmp_path: Path, colour_pack: Path, library_dir: Path, capsys
):
    photos = tmp_path / "photos"
    gps_photo(photos / "tram.jpg", COLOURS["red"], LISBON)
    gps_photo(photos / "lake.jpg", COLOURS["red"], ZURICH)
    solid_image(photos / "home.jpg", COLOURS["red"])
    base = ["--model", str(colour_pack)]
    code, out, _ = run([*base, "index", str(photos), "--no-text", "--json"], capsys)
    assert code == 0 and set(json.loads(out)) >= {"indexed", "seconds"}
    code, out, _ = run([*base, "places", "--json"], capsys)
    listed = {p["city"]: p["photos"] for p in json.loads(out)["places"]}
    assert listed == {"Lisbon": 1, "Zürich": 1}
    for place, expected in (
        ("lisbon", "tram.jpg"),
        ("Portugal", "tram.jpg"),
        ("zürich", "lake.jpg"),
    ):
        code, out, _ = run([*base, "search", "red", "--place", place, "--json"], capsys)
        paths = [Path(r["path"]).name for r in json.loads(out)["results"]]
        assert code == 0 and paths == [expected], place
    code, out, _ = run([*base, "search", "red", "--place", "Atlantis", "--json"], capsys)
    assert json.loads(out)["results"] == []


def test_a_word_in_a_photo_and_a_place_name_find_it_first_as_a_match(
    tmp_path: Path, colour_pack: Path, library_dir: Path, capsys
):
    photos = tmp_path / "photos"
    sign_photo(photos / "receipt.jpg", "MIGROS 12.50")
    sign_photo(photos / "street.jpg", "RUA AUGUSTA")
    for i in range(6):  # unrelated photos, so a word is rare in the library
        solid_image(photos / f"plain-{i}.jpg", COLOURS["green" if i % 2 else "blue"])
    gps_photo(photos / "tram.jpg", COLOURS["red"], LISBON)
    base = ["--model", str(colour_pack)]
    assert run([*base, "index", str(photos), "--json"], capsys)[0] == 0
    for query, expected in (
        ("migros", "receipt.jpg"),
        ("augusta", "street.jpg"),
        ("lisbon", "tram.jpg"),
    ):
        code, out, _ = run([*base, "search", query, "--json"], capsys)
        doc = json.loads(out)
        first = doc["results"][0]
        assert code == 0 and Path(first["path"]).name == expected, query
        assert first["match"] is True and doc["matches"] >= 1, query
    status = json.loads(run([*base, "status", "--json"], capsys)[1])
    assert status["text"] == {"enabled": True, "read": 9, "pending": 0}


def test_reader_id_is_stored(tmp_path: Path, colour_pack: Path):
    _photos, engine = _library_with_signs_and_places(tmp_path, colour_pack)
    with engine:
        engine.enrich()
        assert engine.catalog.text_pending(READER_ID) == []
        assert len(engine.catalog.text_pending("another-reader/2")) == 5
