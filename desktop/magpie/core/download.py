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
from magpie.core.errors import DownloadError, MagpieError, PackError
from magpie.core.library import Library
from magpie.core.pack_store import InstalledPack, replace_folder_atomically, validate_pack
from magpie.core.packs import REQUIRED_FILES, pack_files
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


def remote_listing(endpoint: str, entry: RegistryEntry) -> dict[str, RemoteFile]:
    """Every file of the repository with its size and checksum, from the server's tree API."""
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
    files = {}
    for item in listing if isinstance(listing, list) else []:
        if not isinstance(item, dict) or item.get("type", "file") != "file":
            continue
        lfs = item.get("lfs") or {}
        path = str(item.get("path"))
        files[path] = RemoteFile(
            path,
            size=lfs.get("size", item.get("size")),
            sha256=lfs.get("oid") if lfs else None,
            git_sha1=None if lfs else item.get("oid"),
        )
    return files


def _pick(
    listing: dict[str, RemoteFile], entry: RegistryEntry, paths: list[str]
) -> list[RemoteFile]:
    missing = [p for p in paths if p not in listing]
    if missing:
        raise DownloadError(f"{entry.repo}: the server's copy has no {', '.join(missing)}")
    return [listing[p] for p in paths]


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
    """Download, verify and install a registry pack as <library>/models/<entry.name>.

    First the six layout files; then the external data files the two graphs name (big towers
    keep their weights there), each checked against the server's listing. Other files in the
    repository (other runtimes' exports, READMEs) are never fetched.
    """
    base = endpoint_url(endpoint)
    library.ensure()
    listing = remote_listing(base, entry)
    files = _pick(listing, entry, list(REQUIRED_FILES))
    # the total shown is an estimate until the graphs are read: everything under the towers
    towers = [f for p, f in listing.items() if p.startswith(("visual/", "textual/"))]
    total = sum(f.size or 0 for f in {*files, *towers}) or None
    work = library.models_dir / ".downloads" / entry.name
    done = 0

    def fetch_all(batch: list[RemoteFile]) -> None:
        nonlocal done
        for remote in batch:
            dest = work / remote.path
            if dest.exists():  # finished and verified in an earlier run
                done += dest.stat().st_size
                continue
            url = f"{base}/{entry.repo}/resolve/{entry.revision}/{urllib.parse.quote(remote.path)}"
            log.info("downloading %s", url)

            def report(have: int, offset: int = done, name: str = remote.path) -> None:
                if progress is not None:
                    progress(offset + have, total, name)

            _fetch(url, dest, remote, report, cancel)
            done += dest.stat().st_size

    fetch_all(files)
    try:
        external = [p for p in pack_files(work) if p not in REQUIRED_FILES]
    except PackError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise DownloadError(
            f"the downloaded {entry.name} does not work ({exc}); removed it"
        ) from None
    extra = _pick(listing, entry, external)
    total = sum(f.size or 0 for f in [*files, *extra]) or None
    fetch_all(extra)
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
