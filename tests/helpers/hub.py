"""A local Hugging Face-like server on 127.0.0.1 for download tests (never the network)."""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class FakeHub:
    """Serves a pack folder the way huggingface.co does: tree API + resolve URLs with Range."""

    def __init__(self, pack: Path, repo: str) -> None:
        # every file of the folder, as a repository holds more than the pack needs
        self.files = {
            p.relative_to(pack).as_posix(): p.read_bytes()
            for p in sorted(pack.rglob("*"))
            if p.is_file()
        }
        self.drop_after: dict[str, int] = {}  # cut the connection after N bytes (once)
        self.corrupt: set[str] = set()  # serve flipped bytes of the right length
        self.ranges: list[tuple[str, str | None]] = []
        self.requested: list[str] = []
        self.bytes_sent = 0
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                prefix_api = f"/api/models/{repo}/tree/main"
                prefix_file = f"/{repo}/resolve/main/"
                if self.path.startswith(prefix_api):
                    self._send(200, json.dumps(hub.listing()).encode(), "application/json")
                elif self.path.startswith(prefix_file):
                    self._file(urllib.parse.unquote(self.path[len(prefix_file) :]))
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
                hub.requested.append(rel)
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
            if not rel.endswith(".json"):  # weights are LFS files, JSON lives in git
                item["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data)}
            else:
                item["oid"] = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            items.append(item)
        return items

    @property
    def total(self) -> int:
        return sum(len(d) for d in self.files.values())

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
