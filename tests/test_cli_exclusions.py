"""`magpie index --exclude` and `magpie exclusions list|add|remove|limits|purge`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from magpie.launch import main as magpie

from tests.helpers.packs import solid_image


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = magpie(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def search_names(pack: Path, capsys: pytest.CaptureFixture[str]) -> set[str]:
    code, out, err = run(
        ["search", "red", "-k", "50", "--threshold", "-1", "--model", str(pack), "--json"], capsys
    )
    assert code == 0, err
    return {Path(r["path"]).name for r in json.loads(out)["results"]}


@pytest.fixture
def cluttered(photos: Path) -> Path:
    solid_image(photos / "Screenshots" / "shot.png", (200, 20, 20))
    solid_image(photos / "@eaDir" / "SYNOPHOTO_THUMB.jpg", (200, 20, 20))  # skipped anyway
    solid_image(photos / "tiny.png", (210, 25, 25), size=(12, 12))
    return photos


def test_index_exclude_then_list_remove_and_purge(
    colour_pack: Path, cluttered: Path, library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ["--model", str(colour_pack)]
    code, out, err = run(
        [
            "index",
            str(cluttered),
            "--exclude",
            "Screenshots",
            "--exclude",
            "tiny*",
            *model,
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    assert json.loads(out)["indexed"] == 7
    assert not {"shot.png", "tiny.png"} & search_names(colour_pack, capsys)

    code, out, err = run(["exclusions", "list", "--json", *model], capsys)
    assert code == 0, err
    listing = json.loads(out)
    assert listing["exclusions"] == [
        {"pattern": "Screenshots", "folder": None},
        {"pattern": "tiny*", "folder": None},
    ]
    code, out, _ = run(["exclusions", "list", *model], capsys)
    assert "Screenshots   (every folder)" in out

    code, out, err = run(["exclusions", "remove", "tiny*", "--json", *model], capsys)
    assert code == 0, err
    assert [e["pattern"] for e in json.loads(out)["exclusions"]] == ["Screenshots"]
    code, out, err = run(["index", *model, "--json"], capsys)
    assert json.loads(out)["indexed"] == 1  # the re-included file was never added: now it is
    assert "tiny.png" in search_names(colour_pack, capsys)

    # an indexed sub-folder excluded by absolute path: hidden now, vectors kept
    code, out, err = run(["exclusions", "add", str(cluttered / "trip"), "--json", *model], capsys)
    assert code == 0, err
    assert json.loads(out)["hidden"] == 1
    assert "blue-2.png" not in search_names(colour_pack, capsys)
    with pytest.raises(SystemExit) as refused:  # not on a terminal: refuses without --yes
        magpie(["exclusions", "purge", "--json", *model])
    assert refused.value.code == 2 and "--yes" in capsys.readouterr().err
    code, out, err = run(["exclusions", "purge", "--yes", "--json", *model], capsys)
    assert code == 0, err
    assert json.loads(out) == {"purged": 1}
    assert (cluttered / "trip" / "blue-2.png").is_file()  # the file is untouched


def test_size_limits_from_the_cli(
    colour_pack: Path, cluttered: Path, library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ["--model", str(colour_pack)]
    code, out, err = run(["exclusions", "limits", "--min-side", "32", "--json", *model], capsys)
    assert code == 0, err
    assert json.loads(out)["min_side"] == 32
    code, out, err = run(["index", str(cluttered), *model, "--json"], capsys)
    assert json.loads(out)["indexed"] == 8
    assert "tiny.png" not in search_names(colour_pack, capsys)
    code, out, err = run(["exclusions", "limits", "--json", *model], capsys)
    assert json.loads(out)["kept_out"] == {"size": 1}
    code, out, err = run(["exclusions", "limits", "--min-side", "0", "--json", *model], capsys)
    assert json.loads(out)["shown"] == 1


def test_bad_exclusions_are_one_line_errors(
    colour_pack: Path, cluttered: Path, library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ["--model", str(colour_pack)]
    run(["index", str(cluttered), *model], capsys)
    code, _, err = run(["exclusions", "add", "a/../b", *model], capsys)
    assert code == 1 and err.startswith("magpie: error:") and err.count("\n") == 1
    code, _, err = run(["exclusions", "remove", "nothing-like-it", *model], capsys)
    assert code == 1 and "is not excluded" in err
    code, _, err = run(["exclusions", "add", str(cluttered), *model], capsys)
    assert code == 1 and "watched folder itself" in err
    with pytest.raises(SystemExit) as usage:  # an action is required
        magpie(["exclusions", *model])
    assert usage.value.code == 2
