"""Model downloads against a local Hugging Face-like server on 127.0.0.1 (started here)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from magpie.core import registry
from magpie.core.download import DownloadCancelled, install_pack
from magpie.core.errors import DownloadError
from magpie.core.library import Library
from magpie.core.pack_store import resolve_model
from magpie.core.packs import REQUIRED_FILES
from magpie.core.registry import RegistryEntry
from magpie.launch import main as magpie

from tests.helpers.packs import make_colour_pack

ENTRY = RegistryEntry(
    name="colour-test", repo="test-org/colour-test", summary="test pack", approx_size_mb=1
)


class FakeHub:
    """Serves a pack folder the way huggingface.co does: tree API + resolve URLs with Range."""

    def __init__(self, pack: Path) -> None:
        self.files = {rel: (pack / rel).read_bytes() for rel in REQUIRED_FILES}
        self.drop_after: dict[str, int] = {}  # cut the connection after N bytes (once)
        self.corrupt: set[str] = set()  # serve flipped bytes of the right length
        self.ranges: list[tuple[str, str | None]] = []
        self.bytes_sent = 0
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                prefix_api = f"/api/models/{ENTRY.repo}/tree/main"
                prefix_file = f"/{ENTRY.repo}/resolve/main/"
                if self.path.startswith(prefix_api):
                    self._send(200, json.dumps(hub.listing()).encode(), "application/json")
                elif self.path.startswith(prefix_file):
                    self._file(self.path[len(prefix_file) :])
                else:
                    self._send(404, b"not found", "text/plain")

            def _send(self, code: int, body: bytes, kind: str, extra: dict | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def _file(self, rel: str) -> None:
                data = hub.files.get(rel)
                if data is None:
                    self._send(404, b"no such file", "text/plain")
                    return
                if rel in hub.corrupt:
                    data = bytes(b ^ 0xFF for b in data)
                header = self.headers.get("Range")
                hub.ranges.append((rel, header))
                start = int(header.split("=")[1].split("-")[0]) if header else 0
                body = data[start:]
                self.send_response(206 if header else 200)
                self.send_header("Content-Length", str(len(body)))
                if header:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                cut = hub.drop_after.pop(rel, None)
                sent = body if cut is None else body[:cut]
                self.wfile.write(sent)
                hub.bytes_sent += len(sent)
                if cut is not None:
                    self.wfile.flush()
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def listing(self) -> list[dict]:
        items = []
        for rel, data in self.files.items():
            item: dict = {"type": "file", "path": rel, "size": len(data)}
            if rel.endswith(".onnx"):
                item["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data)}
            else:
                item["oid"] = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            items.append(item)
        return items

    @property
    def total(self) -> int:
        return sum(len(d) for d in self.files.values())


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[FakeHub]:
    server = FakeHub(make_colour_pack(tmp_path / "served"))
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
