"""A shared library on Milvus (Milvus Lite in-process): two libraries see each other's photos,
ranked as one local library would rank them; filters run inside Milvus; a content is encoded
once; shards split the work; faults leave the local catalog intact and are repaired."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from magpie.core.engine import Engine
from magpie.core.errors import MagpieError
from magpie.core.stores import milvus_store as milvus_store_module
from magpie.core.stores import parse_shard, parse_store_spec
from magpie.core.stores.base import SearchFilters, StoreMismatchError, StoreUnavailableError
from magpie.core.stores.milvus_store import MilvusStore

from tests.helpers.media import make_video
from tests.helpers.packs import COLOURS, colour_vector, make_colour_pack, solid_image
from tests.helpers.scenes import LISBON, ZURICH, gps_photo
from tests.helpers.stores import EncodeCounter, random_photos, shared_library

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    original = MilvusStore.__init__

    def init(self: MilvusStore, *args, **kwargs) -> None:
        kwargs.setdefault("retries", 2)
        kwargs.setdefault("retry_wait_s", 0.01)
        kwargs.setdefault("timeout_s", 2.0)
        original(self, *args, **kwargs)

    monkeypatch.setattr(MilvusStore, "__init__", init)


@pytest.fixture
def encodes(monkeypatch: pytest.MonkeyPatch) -> EncodeCounter:
    return EncodeCounter(monkeypatch)


def top_paths(results) -> list[str]:
    return [r.path for r in results]


def test_two_libraries_see_both_folders_ranked_like_one_local_library(
    tmp_path: Path, colour_pack: Path
):
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    random_photos(folder_a, 40, seed=1)
    random_photos(folder_b, 40, seed=2)
    store = tmp_path / "store" / "shared.db"
    first = shared_library(tmp_path / "lib1", colour_pack, store, folder_a)
    second = shared_library(tmp_path / "lib2", colour_pack, store, folder_b)
    local = Engine(tmp_path / "local", model=str(colour_pack), device="cpu", writer=True)
    local.add_folder(folder_a)
    local.add_folder(folder_b)
    try:
        assert first.update().indexed == 40
        assert second.update().indexed == 40
        assert local.update().indexed == 80
        assert local.store_spec is None and first.index.pushes_filters
        rng = np.random.default_rng(3)
        queries = [colour_vector(c, 8) for c in COLOURS.values()]
        queries += [colour_vector(tuple(rng.integers(0, 256, 3)), 8) for _ in range(14)]
        overlaps = []
        for query in queries:
            expected = top_paths(local.search_vector(query, k=10))
            for library in (first, second):
                got = library.search_vector(query, k=10)
                overlaps.append(len(set(top_paths(got)) & set(expected)) / 10)
        assert np.mean(overlaps) >= 0.95, overlaps
        # each library sees the other's photos, with where they live
        everything = second.search_vector(queries[0], k=80)
        assert {Path(r.path).parent for r in everything} == {folder_a, folder_b}
        remote = [r for r in everything if Path(r.path).parent == folder_a]
        assert all(r.machine and r.file_id == -1 for r in remote)
        assert all(r.machine is None and r.file_id > 0 for r in everything if r not in remote)
        # text search works across machines too
        assert first.search("red", k=80)[0].score > 0.9
    finally:
        for engine in (first, second, local):
            engine.close()


def test_filters_are_pushed_into_milvus(tmp_path: Path, colour_pack: Path, photos: Path):
    lib = shared_library(tmp_path / "lib", colour_pack, tmp_path / "s.db", photos)
    try:
        lib.update()
        # a post-filter of the top 1 would return nothing: the filter must run in the search
        only_trip = lib.search("red", k=1, folder=photos / "trip")
        assert [Path(r.path).name for r in only_trip] == ["blue-2.png"]
        assert lib.search("red", k=5, folder=photos / "nowhere") == []
        os.utime(photos / "red.jpg", (1_000_000_000, 1_000_000_000))
        lib.update()  # the new mtime re-embeds it; its date follows
        old = lib.search("blue", k=10, date_to=1_100_000_000)
        assert [Path(r.path).name for r in old] == ["red.jpg"]
        recent = lib.search("red", k=10, date_from=1_100_000_000)
        assert "red.jpg" not in {Path(r.path).name for r in recent} and len(recent) == 6
        filters = SearchFilters.of(photos / "trip", None, 1.5e9)
        expr = lib.index._expression(filters)  # type: ignore[union-attr]
        assert "array_contains(dirs" in expr and "taken_at < 1500000000.0" in expr
    finally:
        lib.close()


def test_a_copy_on_another_machine_is_not_encoded_again(
    tmp_path: Path, colour_pack: Path, photos: Path, encodes: EncodeCounter
):
    copy = tmp_path / "copy"
    shutil.copytree(photos, copy)
    first = shared_library(tmp_path / "lib1", colour_pack, tmp_path / "s.db", photos)
    second = shared_library(tmp_path / "lib2", colour_pack, tmp_path / "s.db", copy)
    try:
        first.update()
        assert encodes.images == 7
        report = second.update()
        assert report.indexed == 7 and encodes.images == 7  # adopted from the store
        assert [Path(r.path).name for r in second.search("red", k=1)] == ["red.jpg"]
        # the adopted vectors are in the second catalog: it is the record of this machine
        assert second.catalog.counts(second.model_name).images == 7
        # one content, one result: this machine's copy, not the other's as well
        for library, folder in ((first, photos), (second, copy)):
            results = library.search("red", k=20)
            assert len(results) == 7 and all(r.machine is None for r in results)
            assert all(Path(r.path).is_relative_to(folder) for r in results)
    finally:
        first.close()
        second.close()


def test_shards_split_one_folder_without_encoding_twice(
    tmp_path: Path, colour_pack: Path, encodes: EncodeCounter
):
    shared = tmp_path / "nas"
    random_photos(shared, 30, seed=5)
    store = tmp_path / "s.db"
    workers = [shared_library(tmp_path / f"lib{i}", colour_pack, store, shared) for i in range(3)]
    try:
        for i, worker in enumerate(workers):
            worker.shard = (i, 3)
        reports = [worker.update() for worker in workers]
        assert encodes.images == 30  # each content encoded by exactly one process
        assert sum(r.indexed for r in reports) >= 30
        assert reports[0].waiting > 0  # the first saw the others' shares not done yet
        for worker in workers:
            worker.shard = None
            worker.update()  # adopt the rest from the store
            assert worker.catalog.counts(worker.model_name).pending == 0
            assert worker.index.count_mine() == 30  # type: ignore[union-attr]
        assert encodes.images == 30
    finally:
        for worker in workers:
            worker.close()


def test_a_crashed_shard_loses_and_duplicates_nothing(
    tmp_path: Path, colour_pack: Path, encodes: EncodeCounter, monkeypatch: pytest.MonkeyPatch
):
    shared = tmp_path / "nas"
    random_photos(shared, 40, seed=6)
    store = tmp_path / "s.db"
    healthy = shared_library(tmp_path / "lib0", colour_pack, store, shared)
    crashing = shared_library(tmp_path / "lib1", colour_pack, store, shared)
    healthy.shard, crashing.shard = (0, 2), (1, 2)
    try:
        healthy.update()
        done_by_healthy = encodes.images
        from magpie.core.indexer import Indexer

        original = Indexer._commit
        calls = {"n": 0}

        def dies_after_one_batch(self, batch, run) -> None:
            calls["n"] += 1
            if calls["n"] > 1:
                raise KeyboardInterrupt  # the process is killed mid-run
            original(self, batch, run)

        monkeypatch.setattr(Indexer, "_commit", dies_after_one_batch)
        monkeypatch.setattr(type(crashing.clip.image), "batch_size", 4, raising=False)
        with pytest.raises(KeyboardInterrupt):
            crashing.update()
        crashing.close()
        monkeypatch.setattr(Indexer, "_commit", original)
        restarted = shared_library(tmp_path / "lib1", colour_pack, store, shared)
        restarted.shard = (1, 2)
        restarted.update()
        assert encodes.images == 40  # nothing of the healthy one's share done twice
        assert done_by_healthy < 40
        for worker in (healthy, restarted):
            worker.shard = None
            worker.update()
            assert worker.index.count_mine() == 40  # type: ignore[union-attr]
        assert len(healthy.index) == 80  # one row per photo per library, no duplicates
        assert encodes.images == 40
        restarted.close()
    finally:
        healthy.close()


def test_another_model_or_dimension_is_refused(tmp_path: Path, photos: Path):
    eight = make_colour_pack(tmp_path / "a" / "colours", dim=8)
    sixteen = make_colour_pack(tmp_path / "b" / "colours", dim=16)  # same name, other dim
    lib = shared_library(tmp_path / "lib1", eight, tmp_path / "s.db", photos)
    lib.update()
    lib.close()
    other = shared_library(tmp_path / "lib2", sixteen, tmp_path / "s.db", photos)
    try:
        with pytest.raises(StoreMismatchError, match=r"8-dimensional.*16-d"):
            other.update()
        assert other.catalog.counts(other.model_name).images == 0
    finally:
        other.close()


@pytest.mark.logs_warnings
def test_unreachable_server_at_start_is_a_clear_error(tmp_path: Path, colour_pack: Path):
    lib = shared_library(tmp_path / "lib", colour_pack, "milvus:http://127.0.0.1:9")
    try:
        with pytest.raises(StoreUnavailableError, match=r"unreachable.*Nothing was lost"):
            lib.search("red")
    finally:
        lib.close()


@pytest.mark.logs_warnings
def test_server_lost_mid_run_keeps_the_catalog_and_is_repaired(
    tmp_path: Path, colour_pack: Path, photos: Path, monkeypatch: pytest.MonkeyPatch
):
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    lib = shared_library(tmp_path / "lib", colour_pack, tmp_path / "s.db", photos)
    lib.index  # noqa: B018  (connect while the server is up)
    original = MilvusClient.upsert
    failures = {"left": 1}

    def flaky(self, *args, **kwargs):
        if failures["left"] > 0:
            failures["left"] -= 1
            raise MilvusException(message="connection reset")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MilvusClient, "upsert", flaky)
    assert lib.update().indexed == 7  # one failure: retried, nothing lost
    lib.close()
    lib = shared_library(tmp_path / "lib", colour_pack, tmp_path / "s.db", photos)
    solid_image(photos / "late.png", (200, 10, 10))
    failures["left"] = 10**6  # the server is gone
    with pytest.raises(StoreUnavailableError, match="unreachable"):
        lib.update()
    assert lib.catalog.integrity_ok()
    assert lib.catalog.counts(lib.model_name).images == 8  # the catalog kept the photo
    lib.close()
    failures["left"] = 0  # back: the next update (nothing new to index) re-sends what it missed
    lib = shared_library(tmp_path / "lib", colour_pack, tmp_path / "s.db", photos)
    assert lib.update().indexed == 0
    lib.close()
    other = shared_library(tmp_path / "other", colour_pack, tmp_path / "s.db")
    try:
        assert {Path(r.path).name for r in other.search("red", k=2)} == {"red.jpg", "late.png"}
        assert len(other.index) == 8
    finally:
        other.close()


def test_removed_photos_leave_the_store(tmp_path: Path, colour_pack: Path, photos: Path):
    lib = shared_library(tmp_path / "lib", colour_pack, tmp_path / "s.db", photos)
    try:
        lib.update()
        (photos / "red.jpg").unlink()
        assert lib.update().removed == 1
        assert lib.index.count_mine() == 6  # type: ignore[union-attr]
        lib.remove_folder(photos)
        assert lib.index.count_mine() == 0  # type: ignore[union-attr]
    finally:
        lib.close()


def test_store_and_shard_specs():
    assert parse_store_spec(None) is None and parse_store_spec("local") is None
    spec = parse_store_spec("milvus:http://nas:19530")
    assert spec is not None and spec.uri == "http://nas:19530"
    lite = parse_store_spec("milvus:~/x.db")
    assert lite is not None and lite.uri == os.path.expanduser("~/x.db")
    for bad in ("milvus:", "redis:x", "milvus:store.txt"):
        with pytest.raises(MagpieError):
            parse_store_spec(bad)
    assert parse_shard("1/4") == (1, 4)
    for bad in ("4/4", "x", "1/0"):
        with pytest.raises(MagpieError):
            parse_shard(bad)
    assert milvus_store_module.collection_name("ViT-B-32__openai").startswith("magpie_ViT_B_32")


@pytest.mark.logs_warnings
def test_cli_store_option_and_environment(
    tmp_path: Path, colour_pack: Path, photos: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    from magpie.launch import main as magpie

    other = tmp_path / "other"
    solid_image(other / "red-there.png", (210, 35, 35))
    store = f"milvus:{tmp_path / 'cli.db'}"
    common = ["--model", str(colour_pack), "--device", "cpu", "--json"]
    assert (
        magpie(["index", str(photos), "--library", str(tmp_path / "l1"), "--store", store, *common])
        == 0
    )
    monkeypatch.setenv("MAGPIE_MACHINE", "studio-pc")
    monkeypatch.setenv("MAGPIE_STORE", store)  # the environment works like --store
    assert magpie(["index", str(other), "--library", str(tmp_path / "l2"), *common]) == 0
    capsys.readouterr()
    assert magpie(["search", "red", "-k", "2", "--library", str(tmp_path / "l1"), *common]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert [Path(r["path"]).name for r in results] == ["red.jpg", "red-there.png"]
    assert "machine" not in results[0] and results[1]["machine"] == "studio-pc"
    code = magpie(["index", "--shard", "1/4", "--library", str(tmp_path / "l2"), *common])
    assert code == 0 and json.loads(capsys.readouterr().out)["waiting"] == 0
    with pytest.raises(SystemExit) as exited:
        magpie(["index", "--shard", "4/4", "--library", str(tmp_path / "l2"), *common])
    assert exited.value.code == 2 and "needs 0 <= I < N" in capsys.readouterr().err
    unreachable = ["--store", "milvus:http://127.0.0.1:9", "--library", str(tmp_path / "l1")]
    assert magpie(["search", "red", *unreachable, *common]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert all("retrying" in line for line in lines[:-1])  # said while it retries
    assert "unreachable" in lines[-1] and not any("Traceback" in line for line in lines)


@pytest.mark.logs_warnings
def test_a_new_process_reopens_the_store_and_a_held_file_is_explained(
    tmp_path: Path, colour_pack: Path, photos: Path
):
    import subprocess
    import sys

    store = f"milvus:{tmp_path / 'reopen.db'}"
    base = [sys.executable, "-m", "magpie", "--model", str(colour_pack), "--device", "cpu"]
    base += ["--store", store, "--json"]
    lib1, lib2 = ["--library", str(tmp_path / "l1")], ["--library", str(tmp_path / "l2")]
    done = subprocess.run([*base, *lib1, "index", str(photos)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # a later process finds the collection released (Milvus Lite, or a restarted server)
    found = subprocess.run(
        [*base, *lib2, "search", "red", "-k", "1"], capture_output=True, text=True
    )
    assert found.returncode == 0, found.stderr
    assert Path(json.loads(found.stdout)["results"][0]["path"]).name == "red.jpg"
    holder = shared_library(tmp_path / "l3", colour_pack, tmp_path / "reopen.db")
    try:
        holder.index  # noqa: B018  (this process now serves the file)
        held = subprocess.run(
            [*base, *lib2, "search", "red"], capture_output=True, text=True, timeout=120
        )
        assert held.returncode == 1
        assert "one process at a time" in held.stderr.strip().splitlines()[-1]
    finally:
        holder.close()


def _as_machine(monkeypatch: pytest.MonkeyPatch, engine: Engine, name: str) -> Engine:
    """Open the engine's store as machine `name` (the host recorded on its rows)."""
    monkeypatch.setenv("MAGPIE_MACHINE", name)
    engine.index  # noqa: B018
    monkeypatch.delenv("MAGPIE_MACHINE")
    return engine


def test_other_machines_photos_pass_the_same_filters(
    tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    red = COLOURS["red"]
    gps_photo(folder_a / "tram.jpg", red, LISBON)
    gps_photo(folder_a / "lake.jpg", red, ZURICH)
    old = solid_image(folder_a / "home.jpg", red)
    os.utime(old, (1_000_000_000, 1_000_000_000))
    gps_photo(folder_b / "b-tram.jpg", (215, 30, 35), LISBON)
    solid_image(folder_b / "b-home.jpg", (205, 40, 30))
    store = tmp_path / "s.db"
    first = _as_machine(
        monkeypatch, shared_library(tmp_path / "l1", colour_pack, store, folder_a), "laptop-a"
    )
    second = _as_machine(
        monkeypatch, shared_library(tmp_path / "l2", colour_pack, store, folder_b), "laptop-b"
    )
    try:
        for library in (first, second):
            library.update()
            assert library.enrich(read_text=False).places == 2 - (library is second)

        def found(results) -> set[tuple[str, str | None]]:
            return {(Path(r.path).name, r.machine) for r in results}

        # place: named after the rows were sent; the rows follow
        assert found(second.search("red", k=10, place="lisbon")) == {
            ("tram.jpg", "laptop-a"),
            ("b-tram.jpg", None),
        }
        assert found(second.search("red", k=10, place="Switzerland")) == {("lake.jpg", "laptop-a")}
        assert second.search("red", k=10, place="Atlantis") == []
        # date: the other machine's date taken (else modified)
        assert found(second.search("red", k=10, date_to=1_100_000_000)) == {
            ("home.jpg", "laptop-a")
        }
        # folder: under that folder as each machine sees its paths
        assert found(second.search("red", k=10, folder=folder_a)) == {
            ("tram.jpg", "laptop-a"),
            ("lake.jpg", "laptop-a"),
            ("home.jpg", "laptop-a"),
        }
        # k=1 inside a filter: a post-filter of the top 1 would miss it
        top = second.search("red", k=1, folder=folder_a, date_from=1_100_000_000)
        assert len(top) == 1 and top[0].machine == "laptop-a"
        assert Path(top[0].path).name in {"tram.jpg", "lake.jpg"}
        assert all(r.file_id == -1 for r in second.search("red", k=10, folder=folder_a))
        # exclusions: the owner's, seen by every machine at once, and undone at once
        assert first.exclude("home.jpg") == 1
        assert ("home.jpg", "laptop-a") not in found(second.search("red", k=10))
        assert first.include("home.jpg") == 1
        assert ("home.jpg", "laptop-a") in found(second.search("red", k=10))
    finally:
        first.close()
        second.close()


def test_the_match_rule_gets_exact_scores_on_milvus(
    tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    random_photos(folder_a, 30, seed=11)
    random_photos(folder_b, 30, seed=12)
    store = tmp_path / "s.db"
    first = shared_library(tmp_path / "l1", colour_pack, store, folder_a)
    second = shared_library(tmp_path / "l2", colour_pack, store, folder_b)
    try:
        first.update()
        second.update()
        query = colour_vector(COLOURS["green"], 8)
        query = query / np.linalg.norm(query)
        index = second.index
        everything = index.search(query, 60)
        assert len(everything.ids) == 60 and (everything.ids < 0).sum() == 30  # first's: remote
        # a handful far down the ranking, local and remote: their exact products come back
        some = np.concatenate([everything.ids[-5:], everything.ids[:2]])
        exact = index.search(query, len(some), some)
        assert set(exact.ids.tolist()) == set(some.tolist())
        by_id = dict(zip(everything.ids.tolist(), everything.scores.tolist(), strict=True))
        for i, s in zip(exact.ids.tolist(), exact.scores.tolist(), strict=True):
            assert s == pytest.approx(by_id[i], abs=1e-5)
        assert list(exact.scores) == sorted(exact.scores, reverse=True)
        # matches are judged the same as on one local library holding both folders
        local = Engine(tmp_path / "local", model=str(colour_pack), device="cpu", writer=True)
        local.add_folder(folder_a)
        local.add_folder(folder_b)
        local.update()
        try:
            for colour in ("red", "green", "blue"):
                shared = [(Path(r.path).name, r.match) for r in second.search(colour, k=20)]
                alone = [(Path(r.path).name, r.match) for r in local.search(colour, k=20)]
                assert [m for _, m in shared].count(True) == [m for _, m in alone].count(True)
                assert shared[:5] == alone[:5], colour
        finally:
            local.close()
    finally:
        first.close()
        second.close()


def test_video_moments_are_shared_with_their_time(
    tmp_path: Path, colour_pack: Path, monkeypatch: pytest.MonkeyPatch
):
    clip = make_video(
        tmp_path / "media" / "clip.mp4",
        [(COLOURS["red"], 3), (COLOURS["green"], 4), (COLOURS["blue"], 3)],
    )
    store = tmp_path / "s.db"
    first = _as_machine(
        monkeypatch, shared_library(tmp_path / "l1", colour_pack, store, clip.parent), "cam-pc"
    )
    second = shared_library(tmp_path / "l2", colour_pack, store)
    try:
        assert first.update().indexed == 1
        assert first.index.count_mine() == 3  # type: ignore[attr-defined]  # three moments
        for engine, machine in ((first, None), (second, "cam-pc")):
            best = engine.search("green", k=3)[0]
            assert Path(best.path) == clip.resolve() and best.machine == machine
            assert best.time == pytest.approx(3.0, abs=0.01)
        times = sorted(r.time for r in second.search("red", k=10))
        assert times == pytest.approx([0.0, 3.0, 7.0], abs=0.01)  # each moment its own hit
    finally:
        first.close()
        second.close()


def test_switching_models_moves_to_the_new_models_collection(
    tmp_path: Path, library_dir: Path, photos: Path
):
    from magpie.core.library import Library
    from magpie.core.pack_store import import_pack
    from magpie.core.switching import ModelSwitch

    library = Library(library_dir)
    import_pack(library, make_colour_pack(tmp_path / "old"), "old")
    import_pack(library, make_colour_pack(tmp_path / "new", dim=4), "new")
    settings = library.load_settings()
    settings.model = "old"
    library.save_settings(settings)
    engine = Engine(library, writer=True, store=f"milvus:{tmp_path / 's.db'}")
    try:
        engine.add_folder(photos)
        engine.update()
        old_store = engine.index
        switch = ModelSwitch(engine, "new").start()
        assert switch.wait(60) and switch.status().state == "switched"
        store = engine.index
        assert isinstance(store, MilvusStore) and store is not old_store
        assert store.dim == 4 and store.model == "new" and store.count_mine() == 7
        assert Path(engine.search("blue", k=1)[0].path).name.startswith("blue")
    finally:
        engine.close()
