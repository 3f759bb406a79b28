"""The package as users get it: a built wheel holds `magpie` with its resources and nothing
named `desktop` or `models`; the layer contracts hold (lint-imports)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    (built,) = out.glob("magpie_photos-*.whl")
    return built


def test_the_wheel_holds_the_package_and_its_resources(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "magpie/__init__.py",
        "magpie/launch.py",
        "magpie/core/engine.py",
        "magpie/gui/main_window.py",
        "magpie/cli/__init__.py",
        "magpie/resources/magpie.svg",
        "magpie/resources/style.qss",
        "magpie/resources/magpie.desktop",
        "magpie_export/export.py",
        "magpie_export/data/bpe_simple_vocab_16e6.txt.gz",
    ):
        assert expected in names
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"magpie", "magpie_export"}


def test_an_installed_wheel_finds_its_resources_outside_the_checkout(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    # -S: no site-packages, so neither the editable install nor the checkout can answer
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from magpie.assets import resource\n"
        "icon = resource('magpie.svg')\n"
        "assert icon is not None and icon.read_text().startswith('<svg'), icon\n"
        "assert str(icon).startswith(sys.argv[1]), icon\n"
        "for name in ('desktop', 'models'):\n"
        "    try:\n"
        "        __import__(name)\n"
        "    except ModuleNotFoundError:\n"
        "        continue\n"
        "    raise SystemExit(f'{name} is importable')\n"
        "print('ok')\n"
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = subprocess.run(
        [sys.executable, "-S", "-c", code, str(target)],
        cwd=outside,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_layer_contracts_hold():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports is not None, "import-linter is part of the test extra"
    result = subprocess.run([lint_imports], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_the_frozen_bundle_carries_every_resource():
    """build_installer.spec lists its data by hand: a resource added to the package (as the
    icon set was) must be listed there too, or the double-click app fails where pip works."""
    import re

    spec = (REPO / "build_installer.spec").read_text()
    listed = [Path(src) for src in re.findall(r'\("(resources/[^"]+)",', spec)]
    shipped = [
        path.relative_to(REPO)
        for path in (REPO / "resources").rglob("*")
        if path.is_file()
        and path.suffix in {".svg", ".qss", ".desktop"}
        and "screenshots" not in path.parts
    ]
    assert shipped, "no resources found"
    missing = [
        str(path) for path in shipped if not any(path == e or e in path.parents for e in listed)
    ]
    assert missing == []
