"""The catalog: one SQLite database (WAL) in the library, the source of truth.

Folders, files (path, size, mtime, content fingerprint, pixel size, date taken, camera, GPS,
state, last error) and embeddings per model. The FAISS index is derived from it: every change
to embeddings bumps a per-model generation counter in the same transaction, and the index file
records the generation it holds, so a stale or crashed index is detected at open.

Paths are stored as bytes (os.fsencode): file names that are not valid UTF-8 survive exactly.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from magpie.core.errors import LibraryFullError, MagpieError
from magpie.core.imaging import PhotoInfo

log = logging.getLogger("magpie.catalog")

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL UNIQUE,
    watch_mode TEXT NOT NULL DEFAULT 'native',
    online INTEGER NOT NULL DEFAULT 1,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path BLOB NOT NULL UNIQUE,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    fingerprint TEXT,
    width INTEGER,
    height INTEGER,
    taken_at REAL,
    camera TEXT,
    gps_lat REAL,
    gps_lon REAL,
    state TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_folder ON files(folder_id);
CREATE INDEX IF NOT EXISTS files_fingerprint ON files(fingerprint);
CREATE INDEX IF NOT EXISTS files_state ON files(state);
CREATE TABLE IF NOT EXISTS embeddings (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    source_size INTEGER NOT NULL,
    source_mtime_ns INTEGER NOT NULL,
    UNIQUE (file_id, model)
);
"""

# Later additions, in order: (unique name, SQL script). Each runs once per catalog, recorded
# in meta as 'migration:<name>', inside one transaction with that record, so a feature adds
# its tables or columns to existing libraries without a rebuild. Append; never edit a step
# that has shipped.
MIGRATIONS: list[tuple[str, str]] = []

# Tables whose rows a damaged catalog's recovery copies into the new one (the others are
# derived and rebuilt). A feature that stores the user's own data (albums...) adds its table.
RECOVERED_TABLES: list[str] = ["folders", "files", "embeddings", "meta"]


# Files lacking a current embedding for a model (the one bound parameter); failed files wait
# until they change, and offline folders until they return.
_PENDING = (
    "FROM files f JOIN folders d ON d.id = f.folder_id AND d.online = 1 "
    "LEFT JOIN embeddings e ON e.file_id = f.id AND e.model = ? "
    "WHERE f.state != 'failed' AND (e.file_id IS NULL OR e.source_size != f.size "
    "OR e.source_mtime_ns != f.mtime_ns)"
)
_FILE_COLUMNS = "id, folder_id, path, size, mtime_ns, fingerprint, state"


def encode_path(path: str | Path) -> bytes:
    return os.fsencode(os.fspath(path))


def decode_path(raw: bytes) -> str:
    return os.fsdecode(raw)


def display_name(path: str) -> str:
    """The file name as text (bytes that are not UTF-8 shown as U+FFFD; the path keeps them)."""
    return os.fsencode(os.path.basename(path)).decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Folder:
    id: int
    path: str
    watch_mode: str
    online: bool


@dataclass(frozen=True)
class FileRow:
    id: int
    folder_id: int
    path: str
    size: int
    mtime_ns: int
    fingerprint: str | None
    state: str


@dataclass(frozen=True)
class PendingFile:
    id: int
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Embedded:
    """One photo's result from the indexer, committed in a batch."""

    file_id: int
    vector: np.ndarray
    size: int
    mtime_ns: int
    fingerprint: str
    info: PhotoInfo


class Catalog:
    """Thread-safe access to the catalog database (one connection behind a lock)."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self._lock = threading.RLock()
        self.recovered_from: Path | None = None  # set when a damaged catalog was replaced
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._connect(path, readonly)
        except sqlite3.DatabaseError as exc:
            if readonly:
                raise MagpieError(f"{path}: the catalog database is damaged ({exc})") from None
            log.warning(
                "%s: the catalog is damaged (%s); rebuilding it from what is intact", path, exc
            )
            self._db = self._recover(path)

    @staticmethod
    def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        try:
            # 16 KiB pages hold fifteen 1 KiB vectors each: ~1.1 KiB per photo on disk, where
            # the default 4 KiB pages fit three (1.4 KiB). Only a new database takes it.
            db.execute("PRAGMA page_size=16384")
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: each committed batch survives a power cut, not only a crash (one fsync
            # per batch of photos, nothing next to the encoder's cost)
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            if not readonly:
                db.executescript(SCHEMA)
                db.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)",
                    (str(SCHEMA_VERSION),),
                )
                Catalog._migrate(db)
            for table in ("folders", "files", "embeddings", "meta"):
                db.execute(f"SELECT count(*) FROM {table}").fetchone()  # reads every page
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        done = {
            key.removeprefix("migration:")
            for (key,) in db.execute("SELECT key FROM meta WHERE key LIKE 'migration:%'")
        }
        for name, script in MIGRATIONS:
            if name in done:
                continue
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (f"migration:{name}", "1"))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _recover(self, path: Path) -> sqlite3.Connection:
        """Move the damaged file aside (kept, never deleted) and copy what still reads."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        damaged = path.with_name(f"{path.name}.damaged-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{path}{suffix}")
            if source.exists():
                source.replace(Path(f"{damaged}{suffix}"))
        db = self._connect(path, readonly=False)
        copied = {}
        try:
            old = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
        except sqlite3.DatabaseError:
            old = None
        if old is not None:
            for table in RECOVERED_TABLES:
                copied[table] = self._copy_rows(old, db, table)
            old.close()
        # whatever the index held no longer matches: force its rebuild from this catalog
        db.execute(
            "INSERT INTO meta(key, value) VALUES ('removals', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
        log.warning("catalog rebuilt from %s: %s", damaged.name, copied)
        self.recovered_from = damaged
        return db

    @staticmethod
    def _copy_rows(old: sqlite3.Connection, new: sqlite3.Connection, table: str) -> int:
        count = 0
        try:
            cursor = old.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            marks = ",".join("?" * len(columns))
            sql = f"INSERT OR IGNORE INTO {table}({','.join(columns)}) VALUES ({marks})"
            new.execute("BEGIN")
            try:
                for row in cursor:  # stops at the first unreadable page: keep what came before
                    new.execute(sql, row)
                    count += 1
            except sqlite3.DatabaseError:
                pass
            new.execute("COMMIT")
        except sqlite3.DatabaseError:
            if new.in_transaction:
                new.execute("COMMIT")
        return count

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                if "full" in str(exc) or "disk I/O" in str(exc):
                    raise LibraryFullError(
                        f"the disk holding the library ({self.path.parent}) is full or failing "
                        f"({exc}); nothing was lost: free some space and indexing resumes"
                    ) from None
                raise

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- generations: the stamp the vector index is checked against -------------------------

    def generation(self, model: str) -> str:
        rows = self._query(
            "SELECT key, value FROM meta WHERE key IN (?, 'removals')", (f"generation:{model}",)
        )
        values = dict(rows)
        return f"{values.get(f'generation:{model}', '0')}.{values.get('removals', '0')}"

    @staticmethod
    def _bump(db: sqlite3.Connection, key: str) -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES (?, '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            (key,),
        )

    # --- folders ----------------------------------------------------------------------------

    def add_folder(self, path: Path, watch_mode: str = "native") -> Folder:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO folders(path, watch_mode, added_at) VALUES (?, ?, ?)",
                (encode_path(path), watch_mode, time.time()),
            )
        folder = self.folder_by_path(path)
        assert folder is not None
        return folder

    def folder_by_path(self, path: Path) -> Folder | None:
        rows = self._query(
            "SELECT id, path, watch_mode, online FROM folders WHERE path = ?", (encode_path(path),)
        )
        return (
            Folder(rows[0][0], decode_path(rows[0][1]), rows[0][2], bool(rows[0][3]))
            if rows
            else None
        )

    def folders(self) -> list[Folder]:
        rows = self._query("SELECT id, path, watch_mode, online FROM folders ORDER BY path")
        return [Folder(r[0], decode_path(r[1]), r[2], bool(r[3])) for r in rows]

    def remove_folder(self, folder_id: int) -> int:
        """Forget a folder and its files (the photos on disk are never touched)."""
        with self.transaction() as db:
            count = db.execute(
                "SELECT count(*) FROM files WHERE folder_id = ?", (folder_id,)
            ).fetchone()[0]
            db.execute("DELETE FROM files WHERE folder_id = ?", (folder_id,))
            db.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
            self._bump(db, "removals")
        return count

    def set_folder_online(self, folder_id: int, online: bool) -> None:
        with self.transaction() as db:
            db.execute("UPDATE folders SET online = ? WHERE id = ?", (int(online), folder_id))

    def set_watch_mode(self, folder_id: int, mode: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE folders SET watch_mode = ? WHERE id = ?", (mode, folder_id))

    # --- files ------------------------------------------------------------------------------

    def files_in_folder(self, folder_id: int) -> dict[str, FileRow]:
        rows = self._query(
            f"SELECT {_FILE_COLUMNS} FROM files WHERE folder_id = ?",
            (folder_id,),
        )
        return {decode_path(r[2]): FileRow(r[0], r[1], decode_path(r[2]), *r[3:]) for r in rows}

    def file_by_path(self, path: str | Path) -> FileRow | None:
        rows = self._query(
            f"SELECT {_FILE_COLUMNS} FROM files WHERE path = ?",
            (encode_path(path),),
        )
        return (
            FileRow(rows[0][0], rows[0][1], decode_path(rows[0][2]), *rows[0][3:]) if rows else None
        )

    def add_files(self, folder_id: int, entries: Iterable[tuple[str, int, int]]) -> int:
        """New files (path, size, mtime_ns), pending until embedded."""
        now = time.time()
        rows = [(folder_id, encode_path(p), display_name(p), s, m, now) for p, s, m in entries]
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO files(folder_id, path, name, size, mtime_ns, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def mark_changed(self, changes: Iterable[tuple[int, int, int]]) -> None:
        """(id, size, mtime_ns) of files whose content changed: re-embed, retry if failed."""
        now = time.time()
        with self.transaction() as db:
            db.executemany(
                "UPDATE files SET size = ?, mtime_ns = ?, fingerprint = NULL, state = 'pending', "
                "error = NULL, updated_at = ? WHERE id = ?",
                [(s, m, now, i) for i, s, m in changes],
            )

    def move_files(self, moves: Iterable[tuple[int, int, str, int]]) -> None:
        """(id, folder_id, new path, mtime_ns): same content elsewhere; the embedding stays."""
        now = time.time()
        with self.transaction() as db:
            db.executemany(
                "UPDATE files SET folder_id = ?, path = ?, name = ?, mtime_ns = ?, updated_at = ? "
                "WHERE id = ?",
                [(f, encode_path(p), display_name(p), m, now, i) for i, f, p, m in moves],
            )
            # the embedding's source stamp follows the file, so it is not re-encoded
            db.executemany(
                "UPDATE embeddings SET source_mtime_ns = ? WHERE file_id = ?",
                [(m, i) for i, _f, _p, m in moves],
            )

    def remove_files(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self.transaction() as db:
            db.executemany("DELETE FROM files WHERE id = ?", [(i,) for i in ids])
            self._bump(db, "removals")

    def set_fingerprints(self, pairs: Iterable[tuple[int, str]]) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE files SET fingerprint = ? WHERE id = ?", [(f, i) for i, f in pairs]
            )

    def pending(self, model: str) -> list[PendingFile]:
        """Files lacking a current embedding for `model`, newest first.

        Failed files wait until they change (the scanner resets them to pending).
        """
        rows = self._query(
            f"SELECT f.id, f.path, f.size, f.mtime_ns {_PENDING} "
            "ORDER BY COALESCE(f.taken_at, f.mtime_ns / 1e9) DESC, f.id DESC",
            (model,),
        )
        return [PendingFile(r[0], decode_path(r[1]), r[2], r[3]) for r in rows]

    def commit_batch(
        self, model: str, done: Sequence[Embedded], failed: Sequence[tuple[int, str]]
    ) -> None:
        """One transaction per batch: a crash loses at most the batch in flight."""
        now = time.time()
        with self.transaction() as db:
            for item in done:
                info = item.info
                db.execute(
                    "INSERT OR REPLACE INTO embeddings"
                    "(file_id, model, vector, source_size, source_mtime_ns) VALUES (?, ?, ?, ?, ?)",
                    (
                        item.file_id,
                        model,
                        item.vector.astype(np.float16).tobytes(),
                        item.size,
                        item.mtime_ns,
                    ),
                )
                db.execute(
                    "UPDATE files SET state = 'indexed', error = NULL, fingerprint = ?, "
                    "width = ?, height = ?, taken_at = ?, camera = ?, gps_lat = ?, gps_lon = ?, "
                    "size = ?, mtime_ns = ?, updated_at = ? WHERE id = ?",
                    (
                        item.fingerprint,
                        info.width,
                        info.height,
                        info.taken_at,
                        info.camera,
                        info.gps_lat,
                        info.gps_lon,
                        item.size,  # as read: a file replaced since the scan is not
                        item.mtime_ns,  # embedded twice
                        now,
                        item.file_id,
                    ),
                )
            db.executemany(
                "UPDATE files SET state = 'failed', error = ?, updated_at = ? WHERE id = ?",
                [(error, now, file_id) for file_id, error in failed],
            )
            if done:
                self._bump(db, f"generation:{model}")

    # --- vectors ----------------------------------------------------------------------------

    def vectors(self, model: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """All (ids, float32 vectors) of a model, for (re)building the index."""
        rows = self._query(
            "SELECT file_id, vector FROM embeddings WHERE model = ? ORDER BY file_id", (model,)
        )
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.empty((len(rows), dim), dtype=np.float32)
        for i, (_, blob) in enumerate(rows):
            matrix[i] = np.frombuffer(blob, dtype=np.float16)
        return ids, matrix

    def vector(self, file_id: int, model: str) -> np.ndarray | None:
        rows = self._query(
            "SELECT vector FROM embeddings WHERE file_id = ? AND model = ?", (file_id, model)
        )
        return np.frombuffer(rows[0][0], dtype=np.float16).astype(np.float32) if rows else None

    def describe(self, ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """id -> (path, content fingerprint: the thumbnail's key)."""
        out: dict[int, tuple[str, str | None]] = {}
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            chunk = list(ids[start : start + 900])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, path, fingerprint FROM files WHERE id IN ({marks})"
            for file_id, raw, print_ in self._query(sql, chunk):
                out[file_id] = (decode_path(raw), print_)
        return out

    def newest(
        self, model: str, offset: int, limit: int, folder: str | Path | None = None
    ) -> list[tuple[int, str, str | None]]:
        """Indexed photos, newest first (by date taken, else modification time)."""
        where, args = "", [model]
        if folder is not None:
            prefix = encode_path(os.path.join(os.fspath(folder), ""))
            where = " WHERE f.path >= ? AND f.path < ?"
            args += [prefix, prefix[:-1] + bytes([prefix[-1] + 1])]
        rows = self._query(
            "SELECT f.id, f.path, f.fingerprint FROM files f "
            "JOIN embeddings e ON e.file_id = f.id AND e.model = ?"
            f"{where} ORDER BY COALESCE(f.taken_at, f.mtime_ns / 1e9) DESC, f.id DESC "
            "LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [(r[0], decode_path(r[1]), r[2]) for r in rows]

    def details(self, file_id: int) -> dict[str, object] | None:
        """Everything the preview shows about one photo."""
        keys = (
            "path",
            "size",
            "mtime_ns",
            "width",
            "height",
            "taken_at",
            "camera",
            "gps_lat",
            "gps_lon",
            "state",
            "error",
        )
        rows = self._query(f"SELECT {', '.join(keys)} FROM files WHERE id = ?", (file_id,))
        if not rows:
            return None
        values = dict(zip(keys, rows[0], strict=True))
        values["path"] = decode_path(rows[0][0])
        return values

    def ids_matching(
        self, folder: str | Path | None, date_from: float | None, date_to: float | None
    ) -> np.ndarray:
        """Ids of files under a folder (any depth) and/or taken within [date_from, date_to)."""
        clauses: list[str] = []
        args: list[object] = []
        if folder is not None:
            prefix = encode_path(os.path.join(os.fspath(folder), ""))
            clauses.append("path >= ? AND path < ?")  # a byte-range scan of the path index
            args += [prefix, prefix[:-1] + bytes([prefix[-1] + 1])]
        if date_from is not None:
            clauses.append("COALESCE(taken_at, mtime_ns / 1e9) >= ?")
            args.append(date_from)
        if date_to is not None:
            clauses.append("COALESCE(taken_at, mtime_ns / 1e9) < ?")
            args.append(date_to)
        where = " AND ".join(clauses) or "1"
        rows = self._query(f"SELECT id FROM files WHERE {where}", args)
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def ids_in_folder(self, folder_id: int) -> np.ndarray:
        rows = self._query("SELECT id FROM files WHERE folder_id = ?", (folder_id,))
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    # --- status -----------------------------------------------------------------------------

    def counts(self, model: str) -> dict[str, int]:
        indexed = self._query(
            "SELECT count(*) FROM embeddings e JOIN files f ON f.id = e.file_id "
            "WHERE e.model = ? AND e.source_size = f.size AND e.source_mtime_ns = f.mtime_ns",
            (model,),
        )[0][0]
        total = self._query("SELECT count(*) FROM files")[0][0]
        failed = self._query("SELECT count(*) FROM files WHERE state = 'failed'")[0][0]
        return {
            "images": indexed,
            "files": total,
            "failed": failed,
            # counted in SQL: status is asked often, and building the list costs a row each
            "pending": self._query(f"SELECT count(*) {_PENDING}", (model,))[0][0],
        }

    def folder_counts(self, model: str) -> dict[int, int]:
        rows = self._query(
            "SELECT f.folder_id, count(*) FROM embeddings e JOIN files f ON f.id = e.file_id "
            "WHERE e.model = ? GROUP BY f.folder_id",
            (model,),
        )
        return dict(rows)

    def failures(self, limit: int = 1000) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT path, error FROM files WHERE state = 'failed' ORDER BY path LIMIT ?", (limit,)
        )
        return [(decode_path(r[0]), r[1] or "unknown error") for r in rows]

    def integrity_ok(self) -> bool:
        return self._query("PRAGMA quick_check")[0][0] == "ok"

    # --- shared stores ------------------------------------------------------------------------

    def placement(self, ids: Sequence[int]) -> dict[int, tuple[str, str | None, float]]:
        """id -> (path, fingerprint, date taken or else modified): what a shared store keeps."""
        out: dict[int, tuple[str, str | None, float]] = {}
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            chunk = list(ids[start : start + 900])
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT id, path, fingerprint, COALESCE(taken_at, mtime_ns / 1e9) "
                f"FROM files WHERE id IN ({marks})"
            )
            for file_id, raw, print_, when in self._query(sql, chunk):
                out[file_id] = (decode_path(raw), print_, float(when))
        return out

    def max_file_id(self) -> int:
        return int(self._query("SELECT COALESCE(max(id), 0) FROM files")[0][0])
