"""Qt's X11 libraries: a missing one is caught before Qt aborts, and named with its package."""

from __future__ import annotations

import pytest
from magpie import launch, qt_system
from magpie.qt_system import XCB_LIBRARIES, explain, missing_libraries, uses_xcb


def test_which_sessions_use_xcb():
    assert uses_xcb({"DISPLAY": ":0"}, "linux")
    assert not uses_xcb({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert uses_xcb({"WAYLAND_DISPLAY": "w", "QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({"DISPLAY": ":0"}, "darwin")


def test_the_message_names_the_packages_for_debian_and_fedora():
    missing = missing_libraries(
        lambda soname: soname not in {"libxcb-cursor.so.0", "libxcb-icccm.so.4"}
    )
    assert [lib.soname for lib in missing] == ["libxcb-cursor.so.0", "libxcb-icccm.so.4"]
    text = explain(missing)
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4" in text
    assert "sudo dnf install xcb-util-cursor xcb-util-wm" in text


def test_every_library_the_xcb_plugin_links_is_listed():
    import subprocess
    from pathlib import Path

    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file() or not __import__("shutil").which("ldd"):
        pytest.skip("no xcb plugin or ldd here")
    qt_lib = Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6XcbQpa.so.6"
    linked = set()
    for binary in (plugin, qt_lib):
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
        linked |= {line.split()[0] for line in out.splitlines() if line.strip()}
    wanted = {n for n in linked if n.startswith(("libxcb", "libxkbcommon", "libX11-xcb"))}
    assert wanted <= {lib.soname for lib in XCB_LIBRARIES}


def test_a_missing_library_stops_the_launch_with_words_and_a_notification(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(qt_system, "_loads", lambda soname: soname != "libxcb-cursor.so.0")
    monkeypatch.setattr(qt_system, "notify", lambda title, text: shown.append((title, text)))
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)

    def no_qt(**_kwargs: object) -> int:
        raise AssertionError("Qt must not be started")

    import magpie.gui.app

    monkeypatch.setattr(magpie.gui.app, "run_app", no_qt)
    assert launch.main(["gui"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-cursor.so.0" in err and "sudo apt install libxcb-cursor0" in err
    assert "sudo dnf install xcb-util-cursor" in err
    assert len(shown) == 1 and "libxcb-cursor0" in shown[0][1]


def test_notify_uses_the_first_tool_found(monkeypatch: pytest.MonkeyPatch, tmp_path):
    tool = tmp_path / "notify-send"
    record = tmp_path / "args"
    tool.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert qt_system.notify("Title", "Install libxcb-cursor0") == "notify-send"
    assert "Install libxcb-cursor0" in record.read_text()
