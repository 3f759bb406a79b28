"""CLI contracts of index, search, similar, status, watch and the single-writer rule."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from magpie.core.engine import Engine
from magpie.launch import main as magpie

from tests.helpers.packs import COLOURS, solid_image
from tests.helpers.shared import BRIDGE_PACK, SHARED_PHOTOS, requires_shared


@pytest.fixture
def photos_and_junk(tmp_path: Path) -> Path:
    for name, rgb in COLOURS.items():
        solid_image(tmp_path / "photos" / f"{name}.jpg", rgb)
    (tmp_path / "photos" / "bad.jpg").write_bytes(b"junk" * 50)
    return tmp_path / "photos"


def cli(capsys, *args: str) -> tuple[int, dict | str, str]:
    code = magpie(list(args))
    out = capsys.readouterr()
    try:
        return code, json.loads(out.out), out.err
    except json.JSONDecodeError:
        return code, out.out, out.err


def test_index_search_similar_status_json(
    photos_and_junk: Path, colour_pack: Path, library_dir: Path, capsys
):
    common = ["--model", str(colour_pack)]
    code, doc, err = cli(capsys, *common, "index", str(photos_and_junk), "--json")
    assert code == 0, err
    assert set(doc) == {"indexed", "unchanged", "moved", "removed", "failed", "seconds"}
    assert (doc["indexed"], doc["failed"]) == (6, 1)
    assert "indexing: 100%" in err  # progress on stderr

    code, doc, _ = cli(capsys, *common, "search", "red", "-k", "3", "--json")
    assert code == 0
    assert all({"path", "score", "match", "confidence"} <= set(r) for r in doc["results"])
    assert doc["results"][0]["found_in"] == ["name"]  # "red" is in red.jpg's name too
    assert doc["matches"] == sum(r["match"] for r in doc["results"])
    assert doc["results"][0]["path"] == str(photos_and_junk / "red.jpg")
    assert Path(doc["results"][0]["path"]).is_absolute()
    scores = [r["score"] for r in doc["results"]]
    assert scores == sorted(scores, reverse=True)

    code, doc, _ = cli(capsys, *common, "search", "red", "--threshold", "0.9", "--json")
    assert [r["path"] for r in doc["results"]] == [str(photos_and_junk / "red.jpg")]

    code, doc, _ = cli(
        capsys, *common, "similar", str(photos_and_junk / "yellow.jpg"), "-k", "2", "--json"
    )
    assert code == 0 and len(doc["results"]) == 2
    assert str(photos_and_junk / "yellow.jpg") not in [r["path"] for r in doc["results"]]

    code, doc, _ = cli(capsys, *common, "status", "--json")
    assert code == 0
    assert {"images", "pending", "folders", "model", "device", "failed"} <= set(doc)
    assert (doc["images"], doc["pending"], doc["model"], doc["device"]) == (
        6,
        0,
        "colour-pack",
        "cpu",
    )
    assert doc["folders"][0]["path"] == str(photos_and_junk)
    assert (
        doc["failed"][0]["path"] == str(photos_and_junk / "bad.jpg")
        and "not an image" in doc["failed"][0]["error"]
    )

    code, doc, _ = cli(capsys, *common, "index", "--json")
    assert (doc["indexed"], doc["unchanged"]) == (0, 7)  # the unreadable one is unchanged too

    code, text, _ = cli(capsys, *common, "status")
    assert "6 photos indexed" in text and "bad.jpg" in text


def test_similar_missing_image_and_usage(library_dir: Path, colour_pack: Path, capsys):
    code, _, err = cli(capsys, "--model", str(colour_pack), "similar", "/nope.jpg")
    assert code == 1 and err == "magpie: error: /nope.jpg: no such image file\n"
    with pytest.raises(SystemExit) as info:
        magpie(["--model", str(colour_pack), "index"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        magpie(["search"])
    assert info.value.code == 2


def test_a_second_writer_is_refused_but_search_works(
    photos_and_junk: Path, colour_pack: Path, tmp_path: Path
):
    library = tmp_path / "lib"
    with Engine(library, model=str(colour_pack), writer=True) as holder:
        holder.add_folder(photos_and_junk)
        holder.update()
        base = [
            sys.executable,
            "-m",
            "magpie",
            "--library",
            str(library),
            "--model",
            str(colour_pack),
        ]
        refused = subprocess.run(
            [*base, "index", "--json"], capture_output=True, text=True, check=False
        )
        assert refused.returncode == 1
        assert refused.stdout == ""
        assert "another Magpie" in refused.stderr and refused.stderr.count("\n") == 1
        reader = subprocess.run(
            [*base, "search", "blue", "--json"], capture_output=True, text=True, check=False
        )
        assert reader.returncode == 0, reader.stderr
        assert json.loads(reader.stdout)["results"][0]["path"] == str(photos_and_junk / "blue.jpg")


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Children started inside see Ctrl+C even when the suite runs as a background job.

    A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored
    across exec: `magpie watch` would then never see the test's Ctrl+C. A handled signal is
    reset to its default in the child, which Python turns into KeyboardInterrupt.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_watch_command_until_interrupted(photos_and_junk: Path, colour_pack: Path, tmp_path: Path):
    library = tmp_path / "lib"
    base = [sys.executable, "-m", "magpie", "--library", str(library), "--model", str(colour_pack)]
    subprocess.run([*base, "index", str(photos_and_junk)], capture_output=True, check=True)
    with (
        interruptible(),
        subprocess.Popen(
            [*base, "watch", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process,
    ):
        lines: dict[str, queue.Queue[str]] = {"out": queue.Queue(), "err": queue.Queue()}
        for name, stream in (("out", process.stdout), ("err", process.stderr)):
            threading.Thread(
                target=lambda q=lines[name], s=stream: [q.put(x) for x in s], daemon=True
            ).start()
        try:
            while "watching, Ctrl+C stops" not in lines["err"].get(timeout=30):
                pass
            solid_image(photos_and_junk / "new-blue.png", (20, 30, 220))
            assert json.loads(lines["out"].get(timeout=30))["indexed"] == 1
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()  # fail, never hang the suite on a child that ignored Ctrl+C
                raise
    assert process.returncode == 0
    search = subprocess.run(
        [*base, "search", "blue", "-k", "2", "--json"], capture_output=True, text=True, check=True
    )
    assert str(photos_and_junk / "new-blue.png") in [
        r["path"] for r in json.loads(search.stdout)["results"]
    ]


@pytest.mark.shared
@requires_shared
def test_bee_is_found_with_the_bridge_pack(tmp_path: Path, capsys):
    common = ["--library", str(tmp_path / "lib"), "--model", str(BRIDGE_PACK)]
    code, doc, err = cli(capsys, *common, "index", str(SHARED_PHOTOS), "--json")
    assert code == 0, err
    assert doc["indexed"] >= 41 and doc["failed"] == 0
    code, doc, _ = cli(capsys, *common, "search", "a bee", "--json")
    assert Path(doc["results"][0]["path"]).name == "european-honey-bee.jpg"
    before = {p: p.stat().st_mtime_ns for p in SHARED_PHOTOS.iterdir()}
    assert before == {p: p.stat().st_mtime_ns for p in SHARED_PHOTOS.iterdir()}
    assert os.listdir(SHARED_PHOTOS) == os.listdir(SHARED_PHOTOS)
