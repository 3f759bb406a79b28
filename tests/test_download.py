"""Model downloads against a local Hugging Face-like server on 127.0.0.1 (started here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from magpie.core import registry
from magpie.core.download import DownloadCancelled, install_pack
from magpie.core.errors import DownloadError
from magpie.core.library import Library
from magpie.core.pack_store import resolve_model
from magpie.core.registry import RegistryEntry
from magpie.launch import main as magpie

from tests.helpers.hub import FakeHub
from tests.helpers.packs import make_colour_pack

ENTRY = RegistryEntry(
    name="colour-test", repo="test-org/colour-test", summary="test pack", approx_size_mb=1
)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[FakeHub]:
    server = FakeHub(make_colour_pack(tmp_path / "served"), ENTRY.repo)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_install_verifies_and_places_the_pack(hub: FakeHub, tmp_path: Path):
    library = Library(tmp_path / "lib")
    seen: list[tuple[int, int | None]] = []
    installed = install_pack(library, ENTRY, hub.url, progress=lambda d, t, _f: seen.append((d, t)))
    assert installed.path == library.models_dir / "colour-test"
    for rel, data in hub.files.items():
        assert (installed.path / rel).read_bytes() == data
    assert seen[-1] == (hub.total, hub.total)
    assert not (library.models_dir / ".downloads" / "colour-test").exists()
    assert resolve_model(library).name == "colour-test"


def test_interrupted_download_resumes_with_a_range_request(hub: FakeHub, tmp_path: Path):
    library = Library(tmp_path / "lib")
    size = len(hub.files["textual/model.onnx"])
    hub.drop_after["textual/model.onnx"] = size // 2
    with pytest.raises(DownloadError, match="interrupted"):
        install_pack(library, ENTRY, hub.url)
    assert not (library.models_dir / "colour-test").exists()  # never a half pack in use
    part = library.models_dir / ".downloads" / "colour-test" / "textual" / "model.onnx.part"
    assert part.stat().st_size == size // 2
    sent_before = hub.bytes_sent
    install_pack(library, ENTRY, hub.url)
    assert ("textual/model.onnx", f"bytes={size // 2}-") in hub.ranges
    # the finished files were not fetched again, and only the missing half of the cut one
    assert hub.bytes_sent - sent_before < hub.total - size // 2 + 1
    assert (
        library.models_dir / "colour-test" / "textual" / "model.onnx"
    ).read_bytes() == hub.files["textual/model.onnx"]


def test_corrupted_download_is_refused(hub: FakeHub, tmp_path: Path):
    library = Library(tmp_path / "lib")
    hub.corrupt.add("visual/model.onnx")
    with pytest.raises(DownloadError, match=r"visual/model\.onnx: checksum mismatch"):
        install_pack(library, ENTRY, hub.url)
    assert not (library.models_dir / "colour-test").exists()
    assert not (
        library.models_dir / ".downloads" / "colour-test" / "visual" / "model.onnx.part"
    ).exists()
    hub.corrupt.clear()
    install_pack(library, ENTRY, hub.url)  # a clean retry succeeds
    assert (library.models_dir / "colour-test").is_dir()


def test_corrupted_small_file_is_caught_by_git_checksum(hub: FakeHub, tmp_path: Path):
    hub.corrupt.add("config.json")
    with pytest.raises(DownloadError, match=r"config\.json: checksum mismatch"):
        install_pack(Library(tmp_path / "lib"), ENTRY, hub.url)


def test_pack_that_does_not_work_is_not_installed(hub: FakeHub, tmp_path: Path):
    hub.files["visual/model.onnx"] = b"not an onnx graph" * 50
    library = Library(tmp_path / "lib")
    with pytest.raises(DownloadError, match="does not work"):
        install_pack(library, ENTRY, hub.url)
    assert not (library.models_dir / "colour-test").exists()


def test_offline_gives_a_clear_message(tmp_path: Path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match=r"seems to be offline.*magpie models import DIR"):
        install_pack(Library(tmp_path / "lib"), ENTRY, f"http://127.0.0.1:{port}")


def test_plain_http_to_the_internet_is_refused(tmp_path: Path):
    with pytest.raises(DownloadError, match="HTTPS only"):
        install_pack(Library(tmp_path / "lib"), ENTRY, "http://example.com")


def test_cancel_keeps_the_partial_file(hub: FakeHub, tmp_path: Path):
    library = Library(tmp_path / "lib")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DownloadCancelled):
        install_pack(library, ENTRY, hub.url, cancel=cancel)
    assert not (library.models_dir / "colour-test").exists()
    install_pack(library, ENTRY, hub.url)
    assert (library.models_dir / "colour-test").is_dir()


def test_unknown_repository(hub: FakeHub, tmp_path: Path):
    missing = RegistryEntry(name="x", repo="nobody/nothing", summary="", approx_size_mb=1)
    with pytest.raises(DownloadError, match="no such model repository"):
        install_pack(Library(tmp_path / "lib"), missing, hub.url)


def test_cli_install(
    hub: FakeHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setattr(registry, "REGISTRY", (ENTRY,))
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    code = magpie(
        ["--library", str(tmp_path / "lib"), "models", "install", "colour-test", "--json"]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["installed"] == "colour-test"
    assert "downloading colour-test: 100%" in captured.err  # progress on stderr, not stdout
    assert magpie(["--library", str(tmp_path / "lib"), "models", "install", "nope"]) == 1
    assert "no model 'nope' in the registry" in capsys.readouterr().err
