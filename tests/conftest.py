"""Test setup: a temporary home, Qt offscreen, tiny packs with known behaviour.

The shared data (a real pack and real photos) is in tests/helpers/shared.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.isolation import isolate

# before anything imports platformdirs or Qt: nothing a test does reaches the real home
ISOLATION = isolate()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["tests.helpers.logfail", "pytester"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    written = ISOLATION.traces_in_real_library([str(ISOLATION.home), *_basetemp(session)])
    if written:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nThe tests wrote into the real library folder: {written[:10]}")


def _basetemp(session: pytest.Session) -> list[str]:
    factory = getattr(session.config, "_tmp_path_factory", None)
    return [str(factory.getbasetemp())] if factory is not None else []


@pytest.fixture(autouse=True)
def _own_library(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test's default library is its own (tests that need one use library_dir)."""
    monkeypatch.setenv("MAGPIE_LIBRARY", str(tmp_path_factory.mktemp("default-library")))


@pytest.fixture
def colour_pack(tmp_path: Path) -> Path:
    from tests.helpers.packs import make_colour_pack

    return make_colour_pack(tmp_path / "colour-pack")


@pytest.fixture
def library_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh library; MAGPIE_LIBRARY points at it."""
    root = tmp_path / "library"
    monkeypatch.setenv("MAGPIE_LIBRARY", str(root))
    return root


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """One solid photo per colour of the colour pack, and a second blue one in a sub-folder."""
    from tests.helpers.packs import COLOURS, solid_image

    root = tmp_path / "photos"
    for name, rgb in COLOURS.items():
        solid_image(root / f"{name}.jpg", rgb)
    solid_image(root / "trip" / "blue-2.png", (40, 50, 200))
    return root
