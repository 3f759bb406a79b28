"""Bring the catalog in line with the disk: new, changed, moved and deleted photos.

Moves and renames (a file, or a whole folder) are recognised so their embeddings are kept:
first by name, size and modification time (what a rename or move preserves, no reading), then
by a content fingerprint (size + first and last 64 KiB) for the rest. Symlinks are never
followed (so never outside the roots, and loops cannot happen); hidden and system folders are
skipped; a root that is missing (an unplugged drive) is marked offline and keeps its entries.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from magpie.core.catalog import Catalog, FileRow, Folder
from magpie.core.exclusions import Matcher
from magpie.core.imaging import SUPPORTED_SUFFIXES
from magpie.core.video import VIDEO_SUFFIXES

INDEXED_SUFFIXES = SUPPORTED_SUFFIXES | VIDEO_SUFFIXES

log = logging.getLogger("magpie.scanner")

SKIPPED_DIRS = frozenset(
    {"@eaDir", "#recycle", "$RECYCLE.BIN", "System Volume Information", "lost+found", "__MACOSX"}
)
FINGERPRINT_SPAN = 64 * 1024


@dataclass(frozen=True)
class DiskFile:
    path: str
    size: int
    mtime_ns: int


@dataclass
class ScanReport:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    moved: int = 0
    removed: int = 0
    deferred: int = 0  # too fresh (still being written): looked at again later
    offline: list[str] = field(default_factory=list)
    removed_ids: list[int] = field(default_factory=list)


def fingerprint(path: str, size: int | None = None) -> str:
    """Content identity that survives renames: size plus the first and last 64 KiB."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        if size is None:
            size = os.fstat(fh.fileno()).st_size
        digest.update(size.to_bytes(8, "little"))
        digest.update(fh.read(FINGERPRINT_SPAN))
        if size > 2 * FINGERPRINT_SPAN:
            fh.seek(size - FINGERPRINT_SPAN)
            digest.update(fh.read(FINGERPRINT_SPAN))
    return digest.hexdigest()


def _hidden(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIRS


def walk_photos(
    root: Path, exclude: tuple[Path, ...] = (), skip: Callable[[str], bool] | None = None
) -> Iterator[DiskFile]:
    """Supported image files under root, without following symlinks; `skip` (the user's
    exclusions) prunes folders and files by path."""
    excluded = {os.fspath(p) for p in exclude}
    stack = [os.fspath(root)]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError as exc:
            log.info("%s: cannot list folder (%s)", current, exc.strerror or exc)
            continue
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pruned = skip is not None and skip(entry.path)
                    if not _hidden(entry.name) and entry.path not in excluded and not pruned:
                        stack.append(entry.path)
                    continue
                if entry.name.startswith("."):
                    continue
                if os.path.splitext(entry.name)[1].lower() not in INDEXED_SUFFIXES:
                    continue
                if skip is not None and skip(entry.path):
                    continue
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # vanished while we looked, or unreadable metadata
            if stat.S_ISREG(info.st_mode):
                yield DiskFile(entry.path, info.st_size, info.st_mtime_ns)


def _is_under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def scan(
    catalog: Catalog,
    folders: list[Folder] | None = None,
    exclude: tuple[Path, ...] = (),
    settle_s: float = 0.0,
    only_under: list[str] | None = None,
    rules: Matcher | None = None,
) -> ScanReport:
    """Diff the disk against the catalog and record the differences.

    settle_s: files modified less than this long ago are left for a later scan (a copy in
    progress). only_under: limit the diff to these sub-folders (the watcher's dirty folders).
    rules: the user's exclusions; excluded paths are not walked, and their catalog rows are
    kept (hidden, not deleted) until the user purges them.
    """
    report = ScanReport()
    folders = catalog.folders() if folders is None else folders
    now_ns = time.time_ns()
    seen: dict[int, list[DiskFile]] = {}
    known: dict[int, dict[str, FileRow]] = {}
    for folder in folders:
        root = Path(folder.path)
        if not root.is_dir():
            if folder.online:
                log.warning("%s: folder is not reachable; keeping its photos as offline", root)
                catalog.set_folder_online(folder.id, False)
            report.offline.append(folder.path)
            continue
        if not folder.online:
            catalog.set_folder_online(folder.id, True)
        tops = [Path(p) for p in only_under if _is_under(p, folder.path)] if only_under else [root]
        rows = catalog.files_in_folder(folder.id)
        if only_under:
            rows = {p: r for p, r in rows.items() if any(_is_under(p, os.fspath(t)) for t in tops)}
        files: list[DiskFile] = []
        skip = None
        if rules:
            skip = lambda path, root=folder.path: rules.excludes(path, root)  # noqa: E731
        for top in tops:
            if top.is_dir() and (skip is None or not skip(os.fspath(top))):
                files.extend(walk_photos(top, exclude, skip))
        seen[folder.id] = files
        known[folder.id] = rows

    new: list[tuple[int, DiskFile]] = []
    missing: dict[int, FileRow] = {}
    changed: list[tuple[int, int, int]] = []
    roots = {f.id: f.path for f in folders}
    for folder_id, files in seen.items():
        rows = known[folder_id]
        present = set()
        for disk in files:
            if settle_s and now_ns - disk.mtime_ns < settle_s * 1e9:
                report.deferred += 1
                present.add(disk.path)  # not new yet, and not missing either
                continue
            row = rows.get(disk.path)
            present.add(disk.path)
            if row is None:
                new.append((folder_id, disk))
            elif row.size != disk.size or row.mtime_ns != disk.mtime_ns:
                changed.append((row.id, disk.size, disk.mtime_ns))
            else:
                report.unchanged += 1
        for path, row in rows.items():
            if path not in present:
                if rules and rules.excludes(path, roots[folder_id]):
                    continue  # excluded, not gone: kept until the user purges it
                missing[row.id] = row

    moves = _match_moves(new, missing)
    moved_paths = {m[2] for m in moves}
    catalog.move_files(moves)
    report.moved = len(moves)
    for file_id in {m[0] for m in moves}:
        missing.pop(file_id, None)
    by_folder: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for folder_id, disk in new:
        if disk.path not in moved_paths:
            by_folder[folder_id].append((disk.path, disk.size, disk.mtime_ns))
    for folder_id, entries in by_folder.items():
        report.new += catalog.add_files(folder_id, entries)
    catalog.mark_changed(changed)
    report.changed = len(changed)
    report.removed_ids = list(missing)
    catalog.remove_files(report.removed_ids)
    report.removed = len(missing)
    return report


def _match_moves(
    new: list[tuple[int, DiskFile]], missing: dict[int, FileRow]
) -> list[tuple[int, int, str, int]]:
    """Pair vanished catalog rows with new files holding the same content."""
    if not new or not missing:
        return []
    moves: list[tuple[int, int, str, int]] = []
    taken: set[int] = set()
    by_signature: dict[tuple[str, int, int], list[FileRow]] = defaultdict(list)
    for row in missing.values():
        by_signature[(os.path.basename(row.path), row.size, row.mtime_ns)].append(row)
    leftovers: list[tuple[int, DiskFile]] = []
    for folder_id, disk in new:
        candidates = by_signature.get((os.path.basename(disk.path), disk.size, disk.mtime_ns), [])
        if len(candidates) == 1 and candidates[0].id not in taken:
            taken.add(candidates[0].id)
            moves.append((candidates[0].id, folder_id, disk.path, disk.mtime_ns))
        else:
            leftovers.append((folder_id, disk))
    by_print: dict[tuple[str, int], list[FileRow]] = defaultdict(list)
    for row in missing.values():
        if row.id not in taken and row.fingerprint:
            by_print[(row.fingerprint, row.size)].append(row)
    if not by_print:
        return moves
    sizes = {size for _, size in by_print}
    for folder_id, disk in leftovers:
        if disk.size not in sizes:
            continue
        try:
            print_ = fingerprint(disk.path, disk.size)
        except OSError:
            continue
        rows = [r for r in by_print.get((print_, disk.size), []) if r.id not in taken]
        if rows:
            taken.add(rows[0].id)
            moves.append((rows[0].id, folder_id, disk.path, disk.mtime_ns))
    return moves
