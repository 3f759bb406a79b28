"""The `magpie` command's contracts: JSON on stdout, one-line errors, exit codes 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from magpie.launch import main as magpie

from tests.helpers.packs import COLOURS, colour_vector, make_colour_pack, solid_image


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = magpie(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_embed_json_in_argument_order(colour_pack: Path, tmp_path: Path, library_dir: Path, capsys):
    red = solid_image(tmp_path / "red.png", COLOURS["red"])
    code, out, err = run(
        [
            "embed",
            "--model",
            str(colour_pack),
            "--text",
            "blue",
            "--image",
            str(red),
            "--text",
            "green",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["model"] == "colour-pack" and document["dim"] == 8
    vectors = np.array(document["vectors"])
    assert vectors.shape == (3, 8)
    expected = [colour_vector(COLOURS[c], 8) for c in ("blue", "red", "green")]
    for got, want in zip(vectors, expected, strict=True):
        assert float(got @ want) > 0.99
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_global_options_before_or_after_the_command(colour_pack: Path, library_dir: Path, capsys):
    a = run(["--json", "--model", str(colour_pack), "embed", "--text", "red"], capsys)
    b = run(["embed", "--text", "red", "--model", str(colour_pack), "--json"], capsys)
    assert a[0] == b[0] == 0
    assert json.loads(a[1]) == json.loads(b[1])


def test_embed_text_output_is_readable(colour_pack: Path, library_dir: Path, capsys):
    code, out, _ = run(["embed", "--model", str(colour_pack), "--text", "red"], capsys)
    assert code == 0
    assert "colour-pack, 8 dimensions, device cpu" in out and "text 'red'" in out


def test_runtime_errors_exit_1_with_one_line(colour_pack: Path, library_dir: Path, capsys):
    code, out, err = run(
        ["embed", "--model", str(colour_pack), "--image", "/no/such.jpg", "--json"], capsys
    )
    assert (code, out) == (1, "")
    assert err == "magpie: error: /no/such.jpg: no such image file\n"
    bad = colour_pack / "not-an-image.jpg"
    bad.write_bytes(b"garbage" * 100)
    code, _, err = run(["embed", "--model", str(colour_pack), "--image", str(bad)], capsys)
    assert code == 1 and err.count("\n") == 1 and "not an image" in err and "Traceback" not in err


def test_usage_errors_exit_2(library_dir: Path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        magpie(["embed", "--bogus"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        magpie(["embed"])
    assert exit_info.value.code == 2
    assert "at least one --text or --image" in capsys.readouterr().err


def test_no_model_installed_says_what_to_do(library_dir: Path, capsys):
    code, _, err = run(["embed", "--text", "x"], capsys)
    assert code == 1
    assert "no model installed" in err and "magpie models install ViT-B-32__laion2b" in err


def test_models_import_list_use(tmp_path: Path, library_dir: Path, capsys):
    first = make_colour_pack(tmp_path / "first")
    second = make_colour_pack(tmp_path / "second", dim=4)
    assert run(["models", "import", str(first), "--json"], capsys)[0] == 0
    listing = json.loads(run(["models", "list", "--json"], capsys)[1])
    assert listing["in_use"] == "first"  # the only one installed
    assert [p["name"] for p in listing["installed"]] == ["first"]
    assert any(
        a["name"] == "ViT-B-32__laion2b-s34b-b79k" and a["default"] for a in listing["available"]
    )

    assert run(["models", "import", str(second), "--name", "small"], capsys)[0] == 0
    code, _, err = run(["embed", "--text", "red"], capsys)
    assert code == 1 and "several models installed" in err
    assert run(["models", "use", "small"], capsys)[0] == 0
    document = json.loads(run(["embed", "--text", "red", "--json"], capsys)[1])
    assert (document["model"], document["dim"]) == ("small", 4)
    assert json.loads(run(["models", "list", "--json"], capsys)[1])["in_use"] == "small"
    code, _, err = run(["models", "use", "missing"], capsys)
    assert code == 1 and "no model 'missing' installed" in err
    text = run(["models", "list"], capsys)[1]
    assert "* small" in text and "ViT-B-32__openai" in text


def test_import_refuses_a_broken_pack(tmp_path: Path, library_dir: Path, capsys):
    pack = make_colour_pack(tmp_path / "broken")
    (pack / "visual" / "model.onnx").write_bytes(b"\x00" * 100)
    code, _, err = run(["models", "import", str(pack)], capsys)
    assert code == 1 and "ONNX graph will not load" in err
    assert not (library_dir / "models" / "broken").exists()


def test_library_from_environment_and_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    pack = make_colour_pack(tmp_path / "p")
    monkeypatch.setenv("MAGPIE_LIBRARY", str(tmp_path / "env-lib"))
    assert run(["models", "import", str(pack)], capsys)[0] == 0
    assert (tmp_path / "env-lib" / "models" / "p" / "config.json").is_file()
    assert (
        run(["--library", str(tmp_path / "flag-lib"), "models", "import", str(pack)], capsys)[0]
        == 0
    )
    assert (tmp_path / "flag-lib" / "models" / "p").is_dir()
    assert (tmp_path / "flag-lib" / "logs" / "magpie.log").is_file()


def test_console_script_end_to_end(colour_pack: Path, tmp_path: Path):
    """The real process: stdout holds exactly one JSON document even with CUDA probing."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "magpie",
            "--library",
            str(tmp_path / "lib"),
            "embed",
            "--model",
            str(colour_pack),
            "--text",
            "red",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["vectors"]) == 1
    version = subprocess.run(
        [sys.executable, "-m", "magpie", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("magpie ")


def test_gui_without_a_display_says_so(library_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    code, _, err = run(["gui"], capsys)
    assert code == 1 and "no display to open the app on" in err
