"""What the user keeps out of the index: patterns per folder and size limits per library.

A pattern without a slash ("Screenshots", "*.thumbnail", "@eaDir", "._*") matches any file or
folder name at any depth (shell wildcards, case-insensitive); one with a slash ("2019/Backup")
is a path below the watched folder, and everything under it. A pattern applies to one watched
folder or to all of them. The size limits skip images whose shorter side is below `min_side`
pixels (icons) or that hold more than `max_megapixels`.

Excluded photos leave the results at once but keep their rows and vectors (the catalog table
excluded_files lists them), so re-including one is instant; only `purge` deletes them, once
the user confirms. The scanner does not walk into excluded folders, so new files there are
never added.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from magpie.core.catalog import Catalog, Folder, decode_path, encode_path
from magpie.core.errors import MagpieError

# offered in the editor: what phones, NAS boxes, Macs and backup tools leave in photo folders
SUGGESTED_PATTERNS = (
    "Screenshots",
    "*.thumbnail",
    "@eaDir",
    "._*",
    ".DS_Store",
    "*backup*",
    "Thumbs",
)
MIN_SIDE_KEY = "exclude:min_side"
MAX_MEGAPIXELS_KEY = "exclude:max_megapixels"
PATTERN_REASON = "pattern"
SIZE_REASON = "size"


@dataclass(frozen=True)
class Exclusion:
    pattern: str
    folder: str | None = None  # a watched folder, or None for every folder

    def to_json(self) -> dict[str, str | None]:
        return {"pattern": self.pattern, "folder": self.folder}


@dataclass(frozen=True)
class SizeLimits:
    min_side: int = 0  # pixels; 0: no minimum
    max_megapixels: float = 0.0  # 0: no maximum

    def reason(self, width: int, height: int) -> str | None:
        """Why an image of this size is skipped, or None if it is indexed."""
        if self.min_side and min(width, height) < self.min_side:
            return f"smaller than {self.min_side} pixels ({width}x{height})"
        if self.max_megapixels and width * height > self.max_megapixels * 1e6:
            return f"larger than {self.max_megapixels:g} megapixels ({width}x{height})"
        return None

    @property
    def active(self) -> bool:
        return bool(self.min_side or self.max_megapixels)


def check_pattern(pattern: str) -> str:
    """A pattern as stored (trimmed, '/' separators), or MagpieError saying what is wrong."""
    cleaned = pattern.strip().replace(os.sep, "/").strip("/")
    if not cleaned:
        raise MagpieError("an exclusion pattern must not be empty")
    if any(part in ("", ".", "..") for part in cleaned.split("/")):
        raise MagpieError(f"{pattern!r}: not a valid pattern (no empty, '.' or '..' parts)")
    return cleaned


def resolve_exclusion(pattern: str, folder: str | None, folders: list[Folder]) -> Exclusion:
    """An exclusion from what the user typed: an absolute path becomes its watched folder plus
    the path below it (so the context menu's "Exclude this folder" and the CLI agree)."""
    if os.path.isabs(os.path.expanduser(pattern)):
        target = Path(pattern).expanduser().resolve()
        for watched in folders:
            root = Path(watched.path)
            if target == root:
                raise MagpieError(
                    f"{target}: is a watched folder itself; `magpie remove` forgets it"
                )
            if root in target.parents:
                return Exclusion(check_pattern(str(target.relative_to(root))), watched.path)
        raise MagpieError(f"{target}: is not inside a watched folder")
    if folder is not None:
        resolved = str(Path(folder).expanduser().resolve())
        if resolved not in {f.path for f in folders}:
            raise MagpieError(f"{folder}: not a watched folder")
        folder = resolved
    return Exclusion(check_pattern(pattern), folder)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE)


class Matcher:
    """Compiled exclusions: is a path below a watched folder excluded?"""

    def __init__(self, exclusions: Iterable[Exclusion]) -> None:
        # per folder (None: all): name patterns, and path patterns split into parts
        self._names: dict[str | None, list[re.Pattern[str]]] = {}
        self._paths: dict[str | None, list[list[re.Pattern[str]]]] = {}
        for item in exclusions:
            parts = item.pattern.split("/")
            if len(parts) == 1:
                self._names.setdefault(item.folder, []).append(_compile(parts[0]))
            else:
                self._paths.setdefault(item.folder, []).append([_compile(p) for p in parts])

    def __bool__(self) -> bool:
        return bool(self._names or self._paths)

    def excludes(self, path: str, root: str) -> bool:
        """path: a file or folder at or below the watched folder `root`."""
        relative = path[len(root) :].strip(os.sep)
        if not relative:
            return False
        parts = relative.split(os.sep)
        for scope in (None, root):
            for name in self._names.get(scope, ()):
                if any(name.fullmatch(part) for part in parts):
                    return True
            for rule in self._paths.get(scope, ()):
                if len(parts) >= len(rule) and all(
                    p.fullmatch(part) for p, part in zip(rule, parts, strict=False)
                ):
                    return True
        return False


class ExclusionStore:
    """The exclusions, size limits and hidden photos, kept in the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # --- the rules --------------------------------------------------------------------------

    def list(self) -> list[Exclusion]:
        rows = self.catalog._query(
            "SELECT folder, pattern FROM exclusions ORDER BY folder, pattern"
        )
        return [Exclusion(p, decode_path(f) if f else None) for f, p in rows]

    def add(self, item: Exclusion) -> bool:
        """True if it is new."""
        with self.catalog.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO exclusions(folder, pattern) VALUES (?, ?)",
                (encode_path(item.folder) if item.folder else b"", item.pattern),
            )
            return cursor.rowcount > 0

    def remove(self, item: Exclusion) -> bool:
        with self.catalog.transaction() as db:
            cursor = db.execute(
                "DELETE FROM exclusions WHERE folder = ? AND pattern = ?",
                (encode_path(item.folder) if item.folder else b"", item.pattern),
            )
            return cursor.rowcount > 0

    def matcher(self) -> Matcher:
        return Matcher(self.list())

    def limits(self) -> SizeLimits:
        values = dict(
            self.catalog._query(
                "SELECT key, value FROM meta WHERE key IN (?, ?)",
                (MIN_SIDE_KEY, MAX_MEGAPIXELS_KEY),
            )
        )
        return SizeLimits(
            int(values.get(MIN_SIDE_KEY, 0)), float(values.get(MAX_MEGAPIXELS_KEY, 0.0))
        )

    def set_limits(self, limits: SizeLimits) -> None:
        if limits.min_side < 0 or limits.max_megapixels < 0:
            raise MagpieError("size limits must be 0 (none) or positive")
        with self.catalog.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                [
                    (MIN_SIDE_KEY, str(int(limits.min_side))),
                    (MAX_MEGAPIXELS_KEY, repr(float(limits.max_megapixels))),
                ],
            )

    # --- the photos they hide ---------------------------------------------------------------

    def hidden(self) -> dict[int, str]:
        """file id -> reason ('pattern' or 'size') of every photo kept out of results."""
        return dict(self.catalog._query("SELECT file_id, reason FROM excluded_files"))

    def wanted_hidden(self) -> dict[int, str]:
        """What the rules hide now: every catalog path against the patterns, and the pixel
        sizes the catalog knows against the limits."""
        wanted: dict[int, str] = {}
        matcher = self.matcher()
        if matcher:
            folders = {f.id: f.path for f in self.catalog.folders()}
            for file_id, folder_id, raw in self.catalog._query(
                "SELECT id, folder_id, path FROM files"
            ):
                root = folders.get(folder_id)
                if root is not None and matcher.excludes(decode_path(raw), root):
                    wanted[file_id] = PATTERN_REASON
        limits = self.limits()
        clauses, args = [], []
        if limits.min_side:
            clauses.append("min(width, height) < ?")
            args.append(limits.min_side)
        if limits.max_megapixels:
            clauses.append("width * height > ?")
            args.append(limits.max_megapixels * 1e6)
        if clauses:
            sql = f"SELECT id FROM files WHERE width IS NOT NULL AND ({' OR '.join(clauses)})"
            for (file_id,) in self.catalog._query(sql, args):
                wanted.setdefault(file_id, SIZE_REASON)
        return wanted

    def sync(self) -> tuple[list[int], list[int]]:
        """Bring excluded_files in line with the rules: (ids newly hidden, ids shown again)."""
        current, wanted = self.hidden(), self.wanted_hidden()
        hide = [i for i in wanted if i not in current]
        show = [i for i in current if i not in wanted]
        changed = [i for i in wanted if i in current and current[i] != wanted[i]]
        if hide or show or changed:
            with self.catalog.transaction() as db:
                db.executemany("DELETE FROM excluded_files WHERE file_id = ?", [(i,) for i in show])
                db.executemany(
                    "INSERT OR REPLACE INTO excluded_files(file_id, reason) VALUES (?, ?)",
                    [(i, wanted[i]) for i in hide + changed],
                )
                Catalog._bump(db, "removals")  # a saved index no longer matches
        return hide, show

    def mark_skipped(self, skipped: Iterable[tuple[int, int, int]]) -> None:
        """(file id, width, height) of photos the indexer left out for their size."""
        rows = list(skipped)
        if not rows:
            return
        with self.catalog.transaction() as db:
            db.executemany(
                "UPDATE files SET width = ?, height = ?, state = 'pending', error = NULL "
                "WHERE id = ?",
                [(w, h, i) for i, w, h in rows],
            )
            db.executemany(
                "INSERT OR REPLACE INTO excluded_files(file_id, reason) VALUES (?, ?)",
                [(i, SIZE_REASON) for i, _w, _h in rows],
            )

    def purge(self) -> int:
        """Delete what the exclusions hide, once the user confirmed: pattern-excluded photos
        leave the catalog (the scanner does not walk there, so they are not added again);
        size-excluded ones keep their row (so they are not decoded again) but lose vectors."""
        with self.catalog.transaction() as db:
            count = db.execute("SELECT count(*) FROM excluded_files").fetchone()[0]
            db.execute(
                "DELETE FROM embeddings WHERE file_id IN "
                "(SELECT file_id FROM excluded_files WHERE reason = ?)",
                (SIZE_REASON,),
            )
            db.execute(
                "DELETE FROM files WHERE id IN "
                "(SELECT file_id FROM excluded_files WHERE reason = ?)",
                (PATTERN_REASON,),
            )
            Catalog._bump(db, "removals")
        return int(count)

    def vectors_of(self, ids: list[int], model: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors of these photos (those that have one): re-including costs no encode."""
        found: list[tuple[int, bytes]] = []
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            found += self.catalog._query(
                f"SELECT file_id, vector FROM embeddings WHERE model = ? AND file_id IN ({marks})",
                [model, *chunk],
            )
        matrix = np.empty((len(found), dim), dtype=np.float32)
        for row, (_, blob) in enumerate(found):
            matrix[row] = np.frombuffer(blob, dtype=np.float16)
        return np.array([i for i, _ in found], dtype=np.int64), matrix

    def counts(self) -> dict[str, int]:
        rows = self.catalog._query("SELECT reason, count(*) FROM excluded_files GROUP BY reason")
        return {str(reason): int(n) for reason, n in rows}
