"""The test session runs in a temporary home: the user's real library is never touched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from magpie.core.library import Library, default_library_dir

from tests.helpers import isolation


def test_home_and_xdg_folders_are_temporary(tmp_path: Path):
    assert isolation.SESSION is not None
    session = isolation.SESSION
    home = Path(os.environ["HOME"])
    assert home == session.home != session.real_home
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        assert Path(os.environ[name]).is_relative_to(home)
    assert default_library_dir().is_relative_to(home)
    # the default library of a test is its own, not the home's
    assert not Library().root.is_relative_to(home)
    child = subprocess.run(
        [sys.executable, "-c", "import pathlib; print(pathlib.Path.home())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(child.stdout.strip()) == home  # subprocesses too


def test_the_real_library_was_not_written_so_far(tmp_path_factory: pytest.TempPathFactory):
    # checked again when the session ends (pytest_sessionfinish), after every test has run
    session = isolation.SESSION
    assert session is not None
    markers = [str(session.home), str(tmp_path_factory.getbasetemp())]
    assert session.traces_in_real_library(markers) == []


def test_a_trace_in_the_real_library_would_be_found(tmp_path: Path):
    fake = isolation.Isolation.__new__(isolation.Isolation)
    fake.real_library = tmp_path / "Magpie"
    (fake.real_library / "logs").mkdir(parents=True)
    log = fake.real_library / "logs" / "magpie.log"
    log.write_text("someone else's line\n")
    fake.before = isolation.fingerprint(fake.real_library)
    with log.open("a") as fh:
        fh.write("WARNING /tmp/pytest-of-root/pytest-7/lib/catalog.sqlite: damaged\n")
    assert fake.traces_in_real_library(["/tmp/pytest-of-root/pytest-7"]) == [str(log)]
    assert fake.traces_in_real_library(["/tmp/pytest-of-root/pytest-8"]) == []
