"""Switching models without downtime: the old model answers while the new one indexes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from magpie.core.engine import Engine
from magpie.core.errors import MagpieError
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.core.switching import ModelSwitch

from tests.helpers.packs import make_colour_pack


@pytest.fixture
def engine(tmp_path: Path, library_dir: Path, photos: Path):
    library = Library(library_dir)
    import_pack(library, make_colour_pack(tmp_path / "old"), "old")
    import_pack(library, make_colour_pack(tmp_path / "new", dim=4), "new")
    settings = library.load_settings()
    settings.model = "old"
    library.save_settings(settings)
    engine = Engine(library, writer=True)
    engine.add_folder(photos)
    engine.update()
    yield engine
    engine.close()


def _gate(switch: ModelSwitch) -> threading.Event:
    """Hold the new model's image encoder until the test opens the gate."""
    gate = threading.Event()
    encoder = switch.clip.image
    encoder.batch_size = 2  # several batches, so a switch can land between them
    real = encoder.encode

    def slow(tensors: np.ndarray) -> np.ndarray:
        assert gate.wait(30)
        return real(tensors)

    encoder.encode = slow  # type: ignore[method-assign]
    return gate


def test_search_keeps_answering_throughout_the_switch(engine: Engine):
    assert engine.model_name == "old"
    switch = ModelSwitch(engine, "new")
    gate = _gate(switch)
    answers: list[tuple[str, int, str]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def searcher() -> None:
        while not stop.is_set():
            try:
                clip, index = engine.current_model()
                hits = engine.search("red", k=3)
                answers.append((clip.name, index.dim, Path(hits[0].path).name))
            except BaseException as exc:
                errors.append(exc)
                return

    thread = threading.Thread(target=searcher)
    thread.start()
    switch.start()
    time.sleep(0.3)  # the new model is held: only the old one can answer
    assert switch.status().state == "indexing"
    assert engine.model_name == "old"
    gate.set()
    assert switch.wait(30)
    time.sleep(0.2)
    stop.set()
    thread.join()
    assert not errors, errors
    models = [name for name, _, _ in answers]
    assert "old" in models and "new" in models  # answered before, during and after
    assert models.index("new") > 0 and "old" not in models[models.index("new") :]
    assert all(top == "red.jpg" for _, _, top in answers)
    assert {(name, dim) for name, dim, _ in answers} == {("old", 8), ("new", 4)}
    assert switch.status().state == "switched"
    assert engine.model_name == "new" and engine.index.dim == 4
    assert engine.library.load_settings().model == "new"
    # both models' vectors stay in the catalog, each under its own name
    assert len(engine.catalog.vectors("old", 8)[0]) == len(engine.catalog.vectors("new", 4)[0])
    # a new engine (the next start) opens with the new model
    engine.close()
    with Engine(engine.library) as later:
        assert later.model_name == "new"
        assert Path(later.search("blue", k=1)[0].path).name.startswith("blue")


def test_compare_shows_both_models_side_by_side(engine: Engine):
    switch = ModelSwitch(engine, "new", auto_switch=False).start()
    assert switch.wait(30)
    assert switch.status().state == "ready" and engine.model_name == "old"
    (row,) = switch.compare(["green", " "])
    assert row.query == "green"
    assert Path(row.current[0].path).name == "green.jpg"
    assert Path(row.candidate[0].path).name == "green.jpg"
    assert switch.status().done == switch.status().total == 7
    switch.switch_now()
    assert engine.model_name == "new"


def test_switching_early_leaves_the_rest_to_the_next_update(engine: Engine):
    switch = ModelSwitch(engine, "new", auto_switch=False)
    gate = _gate(switch)
    switch.start()
    time.sleep(0.2)
    threading.Timer(0.2, gate.set).start()  # the batch in flight finishes, then it stops
    switch.switch_now()  # the user does not wait
    assert engine.model_name == "new"
    embedded = len(engine.index)
    assert 0 < embedded < 7
    assert engine.catalog.counts("new").pending == 7 - embedded
    # results come only from the new model's vectors: never the old ones
    assert {r.file_id for r in engine.search("red", k=50)} <= set(
        engine.catalog.vectors("new", 4)[0].tolist()
    )
    engine.update()
    assert len(engine.index) == 7 and engine.catalog.counts("new").pending == 0


def test_cancel_keeps_the_old_model(engine: Engine):
    switch = ModelSwitch(engine, "new")
    gate = _gate(switch)
    switch.start()
    switch.cancel()
    gate.set()
    assert switch.wait(30)
    assert switch.status().state == "cancelled"
    assert engine.model_name == "old" and engine.library.load_settings().model == "old"
    assert Path(engine.search("red", k=1)[0].path).name == "red.jpg"


def test_switching_to_the_model_in_use_is_refused(engine: Engine):
    with pytest.raises(MagpieError, match="already the model in use"):
        ModelSwitch(engine, "old")


def test_a_query_never_meets_another_models_vectors(engine: Engine):
    query = engine.clip.embed_texts(["red"])[0]  # 8-d
    with pytest.raises(MagpieError, match="8-d query cannot search 4-d"):
        engine.search_vector(query, model=(engine.clip, ModelSwitch(engine, "new").index))


def test_cli_switch(engine: Engine, capsys: pytest.CaptureFixture[str]):
    import json

    from magpie.launch import main as magpie

    root = str(engine.library.root)
    engine.close()
    assert magpie(["--library", root, "models", "switch", "new", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == {"model": "new", "previous": "old", "photos": 7}
    assert Library(root).load_settings().model == "new"
    assert magpie(["--library", root, "models", "switch", "new"]) == 1
    assert "already the model in use" in capsys.readouterr().err
