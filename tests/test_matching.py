"""Matches judged per query: packs with known scores, absent subjects, two score scales,
combined text + image queries, exclusions, file and folder words, date order, stale files."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from magpie.core import matching
from magpie.core.engine import Engine
from magpie.core.search import parse_text
from magpie.launch import main as magpie

from tests.helpers.packs import GRID_DIM, concept_library, grid_image, make_grid_pack, unit

BACKGROUND = 90


class Scene:
    """A library of random photos with a few photos of known concepts (grid pack)."""

    def __init__(self, root: Path, image_offset: np.ndarray | None = None) -> None:
        rng = np.random.default_rng(11)
        self.photos = root / "photos"
        concepts = {"cat": 4, "boat": 3, "tree": 0}
        self.vectors, self.made = concept_library(self.photos, rng, concepts, BACKGROUND, 0.5)
        mixed = unit(self.vectors["cat"] + self.vectors["boat"])
        self.made["catboat"] = [
            grid_image(
                self.photos / f"photo-9{i:03d}.png",
                mixed + 0.2 * unit(rng.standard_normal(GRID_DIM)),
            )
            for i in range(2)
        ]
        pack = make_grid_pack(root / "pack", self.vectors, image_offset)
        self.engine = Engine(root / "library", model=str(pack), device="cpu", writer=True)
        self.engine.add_folder(self.photos)
        self.engine.update()

    def names(self, concept: str) -> set[str]:
        return {p.name for p in self.made[concept]}


def matched(results) -> set[str]:
    return {Path(r.path).name for r in results if r.match}


def leading_matches(results) -> bool:
    flags = [r.match for r in results]
    return flags == sorted(flags, reverse=True)  # every match before every other result


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory):
    made = Scene(tmp_path_factory.mktemp("scene"))
    yield made
    made.engine.close()


# --- the rule alone -----------------------------------------------------------------------------


def test_chance_scores_mark_nothing_and_outliers_are_marked():
    rng = np.random.default_rng(0)
    for n in (50, 1000, 100_000):
        chance = np.sort(rng.standard_normal(min(n, 5000)))[::-1]
        assert matching.judge(chance, n).matches == 0
    with_three = np.concatenate([[9.0, 8.5, 8.2], np.sort(rng.standard_normal(200))[::-1]])
    assert matching.judge(with_three, 1000).matches == 3


def test_a_wide_gap_ends_the_matched_set():
    # one clear result, then weaker ones that still clear the bar: the set ends at the gap
    scores = np.array([14.0, 5.2, 5.0, 4.9, 1.0, 0.5])
    assert matching.judge(scores, 1000).matches == 1
    close = np.array([8.0, 7.6, 7.5, 7.1, 1.0])
    assert matching.judge(close, 1000).matches == 4


def test_sensitivity_moves_the_bar_and_identical_scores_decide_nothing():
    assert matching.tail_bar(1000, -2) > matching.tail_bar(1000, 0) > matching.tail_bar(1000, 2)
    flat = matching.Background.of(np.full(100, 0.2))
    assert not flat.informative and not flat.z(np.array([0.2, 0.3])).any()


def test_exclusions_are_parsed_from_the_text():
    assert parse_text('beach -people -"red car" x-ray') == ("beach x-ray", ["people", "red car"])
    assert parse_text("-") == ("-", [])


# --- the engine: text, absent subjects, scales ------------------------------------------------


def test_present_subjects_mark_exactly_their_photos(scene: Scene):
    cat = scene.engine.search("cat", k=30)
    assert matched(cat) == scene.names("cat") | scene.names("catboat")
    assert leading_matches(cat)
    assert all(r.confidence > 0.95 for r in cat if r.match)
    boat = scene.engine.search("boat", k=30)
    assert matched(boat) == scene.names("boat") | scene.names("catboat")


@pytest.mark.parametrize("query", ["tree", "zzzzqqq", "a photo of the tree"])
def test_absent_subjects_mark_nothing_but_still_list_the_nearest(scene: Scene, query: str):
    results = scene.engine.search(query, k=10)
    assert matched(results) == set()
    assert len(results) == 10  # the nearest ones are still reachable


def test_the_same_matches_on_a_model_with_another_score_scale(tmp_path: Path, scene: Scene):
    offset = 3.0 * unit(np.random.default_rng(5).standard_normal(GRID_DIM))
    squeezed = Scene(tmp_path, image_offset=offset)
    try:
        plain = scene.engine.search("cat", k=30)
        other = squeezed.engine.search("cat", k=30)
        assert matched(other) == matched(plain)
        assert matched(squeezed.engine.search("tree", k=10)) == set()
        # no fixed number could do this: every match on one scale scores below a non-match
        # on the other
        best_other = max(r.score for r in other if r.match)
        worst_plain_miss = max(r.score for r in plain if not r.match)
        assert best_other < worst_plain_miss
    finally:
        squeezed.engine.close()


def test_similar_and_image_queries_are_judged_too(scene: Scene):
    cat_photo = sorted(scene.made["cat"])[0]
    similar = scene.engine.similar(cat_photo, k=20)
    assert cat_photo.name not in {Path(r.path).name for r in similar}
    assert matched(similar) >= scene.names("cat") - {cat_photo.name}
    assert not matched(similar) & set(p.name for p in scene.made[""])


# --- combined queries, exclusions ------------------------------------------------------------


def test_text_and_image_are_combined_with_a_weight(scene: Scene, tmp_path: Path):
    boat_ref = grid_image(tmp_path / "ref.png", scene.vectors["boat"])
    text_only = scene.engine.search_images([boat_ref], k=30, text="cat", text_weight=1.0)
    image_only = scene.engine.search_images([boat_ref], k=30, text="cat", text_weight=0.0)
    both = scene.engine.search_images([boat_ref], k=30, text="cat", text_weight=0.5)
    assert matched(text_only) == matched(scene.engine.search("cat", k=30))
    assert scene.names("boat") <= matched(image_only) and not scene.names("cat") & matched(
        image_only
    )
    # what shows both comes first when both count
    assert {Path(r.path).name for r in both[:2]} == scene.names("catboat")


def test_an_excluded_term_drops_the_photos_that_match_it(scene: Scene):
    results = scene.engine.search("cat -boat", k=30)
    names = {Path(r.path).name for r in results}
    assert matched(results) == scene.names("cat")
    assert not names & (scene.names("catboat") | scene.names("boat"))
    same = scene.engine.search("cat", k=30, exclude=("boat",))
    assert matched(same) == scene.names("cat")


# --- words in names and folders -----------------------------------------------------------------


def test_file_and_folder_names_find_and_mark_what_a_user_expects(scene: Scene):
    rng = np.random.default_rng(3)
    trip = scene.photos / "Trips" / "Lisbon 2019"
    grid_image(trip / "DSC_0001.png", rng.standard_normal(GRID_DIM))
    grid_image(scene.photos / "IMG_2041.png", rng.standard_normal(GRID_DIM))
    scene.engine.update()
    try:
        lisbon = scene.engine.search("lisbon 2019", k=10)
        assert lisbon[0].path == str(trip / "DSC_0001.png") and lisbon[0].match
        assert lisbon[0].why == ("folder",)
        assert matched(lisbon) == {"DSC_0001.png"}
        img = scene.engine.search("IMG_2041", k=10)
        assert img[0].path.endswith("IMG_2041.png") and matched(img) == {"IMG_2041.png"}
        # a word every file has ("png") says nothing: no lexical matches
        assert matched(scene.engine.search("png", k=10)) == set()
    finally:
        shutil.rmtree(scene.photos / "Trips")
        (scene.photos / "IMG_2041.png").unlink()
        scene.engine.update()
    assert not scene.engine.search("lisbon", k=10)[0].match  # the rows left with the files


# --- order and stale files -------------------------------------------------------------------


def test_date_order_sorts_the_matches_newest_first(scene: Scene):
    cats = sorted(scene.made["cat"])
    stamps = {}
    for days, path in enumerate(cats):
        stamp = 1_600_000_000 + days * 86_400
        os.utime(path, (stamp, stamp))
        stamps[path.name] = stamp
    scene.engine.update()  # same content, new times: no re-embedding, new dates
    results = scene.engine.search("cat -boat", k=30, order="date")
    ordered = [Path(r.path).name for r in results if r.match]
    assert ordered == sorted(stamps, key=lambda n: -stamps[n])
    assert leading_matches(results)


def test_a_photo_deleted_or_damaged_since_indexing_is_never_a_result(tmp_path: Path):
    scene = Scene(tmp_path)
    try:
        first, second = sorted(scene.made["boat"])[:2]
        first.unlink()
        second.write_bytes(b"not an image any more")
        for results in (scene.engine.search("boat", k=100), scene.engine.search("cat", k=100)):
            names = {Path(r.path).name for r in results}
            assert first.name not in names and second.name not in names
        scene.engine.update()  # now recorded as failed and removed: still never shown
        names = {Path(r.path).name for r in scene.engine.search("boat", k=100)}
        assert first.name not in names and second.name not in names
        assert matched(scene.engine.search("boat", k=100)) == (
            scene.names("boat") - {first.name, second.name}
        ) | scene.names("catboat")
    finally:
        scene.engine.close()


# --- the command line ----------------------------------------------------------------------


def search_json(capsys, scene: Scene, *args: str) -> dict:
    library = str(scene.engine.library.root)
    model = str(scene.engine.clip.pack.path)
    code = magpie(["--library", library, "--model", model, "search", *args, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_cli_json_carries_matches_and_match(scene: Scene, capsys, tmp_path: Path):
    doc = search_json(capsys, scene, "cat", "-k", "20")
    flags = [r["match"] for r in doc["results"]]
    assert doc["matches"] == 6 and flags == [True] * 6 + [False] * 14
    assert {Path(r["path"]).name for r in doc["results"][:6]} == (
        scene.names("cat") | scene.names("catboat")
    )
    assert search_json(capsys, scene, "zzzzqqq", "-k", "5")["matches"] == 0
    excluded = search_json(capsys, scene, "cat", "--exclude", "boat", "--order", "date")
    assert {Path(r["path"]).name for r in excluded["results"] if r["match"]} == scene.names("cat")
    ref = grid_image(tmp_path / "ref.png", scene.vectors["boat"])
    combined = search_json(capsys, scene, "cat", "--image", str(ref), "--weight", "0")
    assert scene.names("boat") <= {Path(r["path"]).name for r in combined["results"] if r["match"]}
    with pytest.raises(SystemExit) as bad:
        magpie(["--library", str(scene.engine.library.root), "search", "cat", "--weight", "2"])
    assert bad.value.code == 2


def test_an_existing_catalog_gets_its_words_indexed_by_the_migration(tmp_path, monkeypatch):
    from magpie.core import catalog as catalog_module
    from magpie.core import lexical

    path = tmp_path / "catalog.sqlite"
    monkeypatch.setattr(catalog_module, "MIGRATIONS", [])  # a library from before
    old = catalog_module.Catalog(path)
    folder = old.add_folder(tmp_path / "Pictures")
    old.add_files(folder.id, [(str(tmp_path / "Pictures" / "Lisbon 2019" / "IMG_2041.jpg"), 1, 1)])
    old.close()
    monkeypatch.undo()
    catalog = catalog_module.Catalog(path)
    try:
        hits, needed = lexical.find(catalog._query, "lisbon 2019", 100)
        assert needed == 2 and [(h.matched, h.sources) for h in hits] == [(2, ("folder",))]
        hits, _ = lexical.find(catalog._query, "IMG_2041", 100)
        assert [h.sources for h in hits] == [("name",)]
        hits, _ = lexical.find(catalog._query, "pictures", 100)  # the watched folder's own name
        assert [h.sources for h in hits] == [("folder",)]
        catalog.remove_folder(folder.id)  # the trigger takes the words with the files
        assert lexical.find(catalog._query, "lisbon", 100)[0] == []
    finally:
        catalog.close()
