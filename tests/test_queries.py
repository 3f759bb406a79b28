"""The search bar's query rules (magpie.gui.queries), without a window."""

from __future__ import annotations

from pathlib import Path

from magpie.gui import queries
from magpie.gui.host import Query

from tests.helpers.packs import solid_image


def test_typing_keeps_image_chips_but_ends_a_similar_search():
    with_image = Query("", (("cat.jpg", "/p/cat.jpg"),), None, "/p")
    assert queries.typed(with_image, "red") == Query("red", with_image.images, None, "/p")
    similar = Query("", (), "/p/cat.jpg", "/p")
    assert queries.typed(similar, "red") == Query("red", (), None, "/p")
    assert queries.typed(similar, "") is similar  # unchanged text: the same query


def test_adding_and_removing_images():
    query = queries.with_images(Query("x", folder="/f"), "x", [("a", "/a.jpg")])
    query = queries.with_images(query, "x", [("b", b"png")])
    assert query == Query("x", (("a", "/a.jpg"), ("b", b"png")), None, "/f")
    assert queries.without_image(query, 0, "x").images == (("b", b"png"),)
    # images replace a similar-to search instead of joining it
    similar = Query("", (), "/s.jpg")
    assert queries.with_images(similar, "", [("a", "/a.jpg")]) == Query("", (("a", "/a.jpg"),))


def test_similar_to_one_or_several_photos():
    base = Query("old text", folder="/f")
    assert queries.similar_to(base, []) is None
    assert queries.similar_to(base, ["/p/a.jpg"]) == Query("", (), "/p/a.jpg", "/f")
    several = queries.similar_to(base, ["/p/a.jpg", "/p/b.jpg"])
    assert several == Query("", (("a.jpg", "/p/a.jpg"), ("b.jpg", "/p/b.jpg")), None, "/f")
    assert queries.chip_labels(Query("", (), "/p/a.jpg")) == ["Similar to a.jpg"]
    assert queries.chip_labels(several) == ["a.jpg", "b.jpg"]
    assert queries.without_similar(Query("", (), "/p/a.jpg", "/f"), "t") == Query("t", folder="/f")


def test_classify_drops_and_pastes(tmp_path: Path):
    image = solid_image(tmp_path / "my photo.png", (1, 2, 3))
    notes = tmp_path / "notes.txt"
    notes.write_text("hi")
    folder = tmp_path / "album"
    folder.mkdir()
    dropped = queries.classify([str(image), str(notes), str(folder)])
    assert dropped == queries.Dropped([str(folder)], [str(image)])
    # pasted text: a path, a file:// URL (percent-encoded), or nothing useful
    assert queries.classify([], f"  {image}\n").images == [str(image)]
    assert queries.classify([], "file://" + str(image).replace(" ", "%20")).images == [str(image)]
    assert queries.classify([], "a dog on a bench") == queries.Dropped([], [])
    assert queries.classify([], f"{image}\n{image}") == queries.Dropped([], [])
    # text counts only when no file came with the drop
    assert queries.classify([str(folder)], str(image)) == queries.Dropped([str(folder)], [])
