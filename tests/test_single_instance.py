"""One window per library: a second launch brings the running window forward and exits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from magpie.core.engine import Engine
from magpie.gui.main_window import MainWindow
from magpie.gui.single_instance import SingleInstance
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.helpers.gui import WAIT_MS, library_with_pack, open_window


@pytest.fixture
def library(tmp_path: Path, colour_pack: Path) -> Path:
    return library_with_pack(tmp_path / "library", colour_pack)


def test_a_second_launch_brings_the_running_window_forward(qtbot: QtBot, library: Path):
    with open_window(qtbot, library) as window:
        running = SingleInstance(str(library))
        assert running.listen()
        running.activated.connect(window.bring_forward)
        window.showMinimized()
        # the real second launch: `magpie gui` in another process, on the same library
        second = subprocess.Popen(
            [sys.executable, "-m", "magpie", "--library", str(library), "gui"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with qtbot.waitSignal(running.activated, timeout=WAIT_MS):
            qtbot.waitUntil(lambda: second.poll() is not None, timeout=WAIT_MS)
        _out, err = second.communicate()
        assert second.returncode == 0
        assert "already open" in err and "brought forward" in err
        assert not window.windowState() & Qt.WindowState.WindowMinimized
        running.close()


def test_other_libraries_and_a_stale_socket_do_not_count(library: Path, tmp_path: Path, qtbot):
    first = SingleInstance(str(library))
    assert first.listen()
    assert not SingleInstance(str(tmp_path / "another")).forward()
    first.close()
    assert not SingleInstance(str(library)).forward()  # closed: nobody answers
    again = SingleInstance(str(library))
    assert again.listen()  # takes the name over
    again.close()


def test_a_writer_elsewhere_is_explained_in_words(qtbot: QtBot, library: Path, colour_pack: Path):
    cli = Engine(library, model=str(colour_pack), device="cpu", writer=True)  # `magpie watch`
    try:
        with open_window(qtbot, library) as window:
            qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT_MS)
            assert "magpie command" in window.banner.label.text()
            assert window.banner.button.text() == "Try again"
            cli.close()
            window.banner.button.click()
            qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=WAIT_MS)
            assert window.host.writer
    finally:
        cli.close()


def test_bring_forward_restores_a_minimised_window(qtbot: QtBot, library: Path):
    with open_window(qtbot, library) as window:
        assert isinstance(window, MainWindow)
        window.showMinimized()
        window.bring_forward()
        assert window.isVisible() and not window.isMinimized()
