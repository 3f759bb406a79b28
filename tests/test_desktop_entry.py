"""`magpie --install-desktop-entry` puts Magpie in the user's menu; uninstall removes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from magpie.launch import main as magpie


def test_install_and_uninstall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert magpie(["--install-desktop-entry"]) == 0
    entry = tmp_path / "data" / "applications" / "magpie.desktop"
    icon = tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "magpie.svg"
    text = entry.read_text()
    assert "Name=Magpie" in text and "Icon=magpie" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert "magpie-gui" in exec_line or "-m magpie gui" in exec_line
    assert icon.read_text().startswith("<svg")
    assert str(entry) in capsys.readouterr().out
    assert magpie(["--uninstall-desktop-entry"]) == 0
    assert not entry.exists() and not icon.exists()
    assert magpie(["--uninstall-desktop-entry"]) == 0
    assert "nothing to remove" in capsys.readouterr().out
