"""Model downloads from a Hugging Face-style server: resumable, verified, installed atomically.

Files land in <library>/models/.downloads/<name>/ (kept across runs, so an interrupted download
resumes with an HTTP Range request). Each finished file is checked against the size and
checksum the server publishes (sha256 for LFS files, the git blob sha1 for small ones); the
complete pack must then load and embed before one rename puts it in place. A failed or
interrupted download therefore never leaves a half pack in use.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import logging
import os
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from magpie import __version__
from magpie.core.errors import DownloadError, MagpieError
from magpie.core.library import Library
from magpie.core.pack_store import InstalledPack, replace_folder_atomically, validate_pack
from magpie.core.packs import REQUIRED_FILES
from magpie.core.registry import DEFAULT_ENDPOINT, RegistryEntry

log = logging.getLogger("magpie.download")

CHUNK = 1 << 20
TIMEOUT_S = 30
ENDPOINT_ENV = "HF_ENDPOINT"  # the mirror variable Hugging Face's own tools honour
Progress = Callable[[int, int | None, str], None]  # bytes done, bytes total, current file


class DownloadCancelled(DownloadError):
    """The user cancelled; partial files stay for a later resume."""


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int | None = None
    sha256: str | None = None  # LFS files
    git_sha1: str | None = None  # small files stored in git itself


def endpoint_url(explicit: str | None = None) -> str:
    url = (explicit or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).rstrip("/")
    parsed = urllib.parse.urlparse(url)
    host = parsed.hostname or ""
    if parsed.scheme == "https":
        return url
    if parsed.scheme == "http" and _is_loopback(host):
        return url  # a local mirror or a test server
    raise DownloadError(
        f"refusing to download models over {parsed.scheme or 'no scheme'}: {url} (HTTPS only)"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _open(url: str, headers: dict[str, str] | None = None) -> object:
    request = urllib.request.Request(
        url, headers={"User-Agent": f"magpie/{__version__}", **(headers or {})}
    )
    return urllib.request.urlopen(request, timeout=TIMEOUT_S)


def _network_error(url: str, exc: BaseException) -> DownloadError:
    host = urllib.parse.urlparse(url).hostname
    if isinstance(exc, urllib.error.HTTPError):
        return DownloadError(f"{url}: server answered {exc.code} {exc.reason}")
    reason = getattr(exc, "reason", exc)
    return DownloadError(
        f"cannot reach {host} ({reason}). Magpie seems to be offline: connect and try again, "
        "or import a pack folder you already have with `magpie models import DIR`."
    )


def remote_files(endpoint: str, entry: RegistryEntry) -> list[RemoteFile]:
    """Sizes and checksums of the pack's files from the server's tree listing."""
    url = f"{endpoint}/api/models/{entry.repo}/tree/{entry.revision}?recursive=true"
    try:
        with _open(url) as response:  # type: ignore[attr-defined]
            listing = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise DownloadError(f"{entry.repo}: no such model repository on {endpoint}") from None
        raise _network_error(url, exc) from None
    except (urllib.error.URLError, OSError) as exc:
        raise _network_error(url, exc) from None
    except ValueError:
        raise DownloadError(f"{url}: unreadable file listing from the server") from None
    by_path = {item.get("path"): item for item in listing if isinstance(item, dict)}
    files = []
    for relative in REQUIRED_FILES:
        item = by_path.get(relative)
        if item is None:
            raise DownloadError(f"{entry.repo}: the server's copy has no {relative}")
        lfs = item.get("lfs") or {}
        files.append(
            RemoteFile(
                relative,
                size=lfs.get("size", item.get("size")),
                sha256=lfs.get("oid") if lfs else None,
                git_sha1=None if lfs else item.get("oid"),
            )
        )
    return files


def _verify(path: Path, remote: RemoteFile) -> None:
    size = path.stat().st_size
    if remote.size is not None and size != remote.size:
        raise DownloadError(f"{remote.path}: size {size} bytes, expected {remote.size}")
    if remote.sha256:
        digest = hashlib.sha256()
    elif remote.git_sha1:
        digest = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)
    else:
        return
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    expected = remote.sha256 or remote.git_sha1
    if digest.hexdigest() != expected:
        raise DownloadError(f"{remote.path}: checksum mismatch, the download is corrupted")


def _fetch(
    url: str,
    dest: Path,
    remote: RemoteFile,
    report: Callable[[int], None],
    cancel: threading.Event | None,
) -> None:
    """Download url to dest, resuming from dest.part; verify; leave dest complete or absent."""
    part = dest.with_name(dest.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    if remote.size is not None and have > remote.size:
        part.unlink()
        have = 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        if remote.size is not None and have == remote.size:
            pass  # all bytes already here from an earlier run: just verify
        else:
            with _open(url, headers) as response:  # type: ignore[attr-defined]
                if have and response.status != 206:
                    have = 0  # server ignored the range: start over
                mode = "ab" if have else "wb"
                report(have)
                with part.open(mode) as out:
                    while True:
                        if cancel is not None and cancel.is_set():
                            raise DownloadCancelled("download cancelled; it will resume next time")
                        block = response.read(CHUNK)
                        if not block:
                            break
                        out.write(block)
                        have += len(block)
                        report(have)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and remote.size is not None:  # range past the end: re-download
            part.unlink(missing_ok=True)
        raise _network_error(url, exc) from None
    except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
        raise _network_error(url, exc) from None
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, DownloadError):
            raise
        raise DownloadError(
            f"{url}: download interrupted ({exc}); run the install again to resume"
        ) from None
    if remote.size is not None and have < remote.size:
        raise DownloadError(
            f"{remote.path}: download interrupted at {have} of {remote.size} bytes; "
            "run the install again to resume"
        )
    try:
        _verify(part, remote)
    except DownloadError:
        part.unlink(missing_ok=True)  # corrupted bytes are useless for a resume
        raise
    part.replace(dest)


def install_pack(
    library: Library,
    entry: RegistryEntry,
    endpoint: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> InstalledPack:
    """Download, verify and install a registry pack as <library>/models/<entry.name>."""
    base = endpoint_url(endpoint)
    library.ensure()
    files = remote_files(base, entry)
    total = sum(f.size or 0 for f in files) or None
    work = library.models_dir / ".downloads" / entry.name
    done_before = 0
    for remote in files:
        dest = work / remote.path
        if dest.exists():  # finished and verified in an earlier run
            done_before += dest.stat().st_size
            continue
        url = f"{base}/{entry.repo}/resolve/{entry.revision}/{urllib.parse.quote(remote.path)}"
        log.info("downloading %s", url)

        def report(have: int, offset: int = done_before, name: str = remote.path) -> None:
            if progress is not None:
                progress(offset + have, total, name)

        _fetch(url, dest, remote, report, cancel)
        done_before += dest.stat().st_size
    try:
        validate_pack(work, entry.name)
    except MagpieError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise DownloadError(
            f"the downloaded {entry.name} does not work ({exc}); removed it"
        ) from None
    target = library.models_dir / entry.name
    work.chmod(0o755)
    replace_folder_atomically(work, target)
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    return InstalledPack(entry.name, target, size)
