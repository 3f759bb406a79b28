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
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from magpie.core import lexical
from magpie.core.errors import LibraryFullError, MagpieError
from magpie.core.imaging import PhotoInfo
from magpie.core.records import Counts, PhotoDetails

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
MIGRATIONS: list[tuple[str, str]] = [
    lexical.MIGRATION,
    # Videos (magpie.core.video): each moment has its own vector, in the index under
    # MOMENT_ID_BASE + moment id; ids are never reused (AUTOINCREMENT), so a stale vector can
    # never name another moment. No foreign key: moments of removed files are dropped by
    # drop_orphan_moments(), which returns their vector ids for the index.
    (
        "video_moments",
        """
        CREATE TABLE IF NOT EXISTS moments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            file_id INTEGER NOT NULL,
            model TEXT NOT NULL,
            seconds REAL NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS moments_file ON moments(file_id, model);
        CREATE TABLE IF NOT EXISTS videos (
            file_id INTEGER PRIMARY KEY,
            duration REAL NOT NULL,
            codec TEXT NOT NULL,
            fps REAL
        );
        """,
    ),
    # duplicates (core/signals.py): derived from the photo, recomputed when it changes
    (
        "photo_signals",
        "CREATE TABLE IF NOT EXISTS photo_signals ("
        " file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,"
        " phash INTEGER NOT NULL, sharpness REAL NOT NULL, fingerprint TEXT NOT NULL,"
        " inner_phash INTEGER NOT NULL)",
    ),
    # albums (core/albums.py): the user's own data, keyed by file id so they follow moves
    (
        "albums",
        "CREATE TABLE IF NOT EXISTS albums ("
        " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, smart TEXT,"
        " created_at REAL NOT NULL);"
        "CREATE TABLE IF NOT EXISTS album_files ("
        " album_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,"
        " file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
        " added_at REAL NOT NULL, PRIMARY KEY (album_id, file_id));"
        "CREATE INDEX IF NOT EXISTS album_files_file ON album_files(file_id)",
    ),
    (
        # text read in each photo (OCR) and where it was taken, in words (issue 15)
        "photo-text-and-places",
        """
        CREATE TABLE photo_text (
            file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            reader TEXT NOT NULL,
            source_size INTEGER NOT NULL,
            source_mtime_ns INTEGER NOT NULL,
            seconds REAL
        );
        CREATE TABLE photo_place (
            file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
            lat REAL NOT NULL,
            lon REAL NOT NULL,
            version INTEGER NOT NULL,
            locality TEXT,
            city TEXT,
            region TEXT,
            county TEXT,
            country TEXT,
            country_code TEXT,
            names TEXT  -- '|locality|city|...|' casefolded: whole-name lookups in SQL
        );
        CREATE INDEX photo_place_city ON photo_place(city);
        CREATE INDEX photo_place_country ON photo_place(country);
        -- the words and the place feed the lexical index (lexical.py's sources 3 and 4)
        CREATE TRIGGER photo_text_words AFTER INSERT ON photo_text BEGIN
            DELETE FROM lexical WHERE rowid = NEW.file_id * 16 + 3;
            INSERT INTO lexical(rowid, body) SELECT NEW.file_id * 16 + 3, NEW.text
            WHERE NEW.text != '';
        END;
        CREATE TRIGGER photo_text_words_gone AFTER DELETE ON photo_text BEGIN
            DELETE FROM lexical WHERE rowid = OLD.file_id * 16 + 3;
        END;
        CREATE TRIGGER photo_place_words AFTER INSERT ON photo_place BEGIN
            DELETE FROM lexical WHERE rowid = NEW.file_id * 16 + 4;
            INSERT INTO lexical(rowid, body) SELECT NEW.file_id * 16 + 4,
                trim(coalesce(NEW.locality, '') || ' ' || coalesce(NEW.city, '') || ' ' ||
                coalesce(NEW.county, '') || ' ' || coalesce(NEW.region, '') || ' ' ||
                coalesce(NEW.country, ''))
            WHERE NEW.country IS NOT NULL;
        END;
        CREATE TRIGGER photo_place_words_gone AFTER DELETE ON photo_place BEGIN
            DELETE FROM lexical WHERE rowid = OLD.file_id * 16 + 4;
        END
        """,
    ),
]

# Tables whose rows a damaged catalog's recovery copies into the new one (the others are
# derived and rebuilt). A feature that stores the user's own data (albums...) adds its table.
RECOVERED_TABLES: list[str] = ["folders", "files", "embeddings", "meta", "photo_text"]

# Vector ids at or above this are video moments (MOMENT_ID_BASE + moments.id); below, file ids.
MOMENT_ID_BASE = 1 << 48


def _statements(script: str) -> list[str]:
    """Split a script into whole statements (a trigger's body holds semicolons too)."""
    out, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                out.append(pending.strip())
            pending = ""
    if pending.strip(" \n;"):
        out.append(pending.strip())
    return out


# Exclusions (magpie.core.exclusions): the user's patterns per folder (b'' = every folder),
# and the photos they hide, kept with their vectors until the user confirms a purge.
MIGRATIONS.append(
    (
        "exclusions",
        "CREATE TABLE IF NOT EXISTS exclusions (folder BLOB NOT NULL, pattern TEXT NOT NULL, "
        "PRIMARY KEY (folder, pattern));"
        "CREATE TABLE IF NOT EXISTS excluded_files (file_id INTEGER PRIMARY KEY "
        "REFERENCES files(id) ON DELETE CASCADE, reason TEXT NOT NULL)",
    )
)

# Tables whose rows a damaged catalog's recovery copies into the new one (the others are
# derived and rebuilt). A feature that stores the user's own data (albums...) adds its table.
RECOVERED_TABLES: list[str] = ["folders", "files", "embeddings", "meta"]
# albums: the user's own data
RECOVERED_TABLES += ["albums", "album_files"]
# text read in photos: derived, but slow to read again
RECOVERED_TABLES += ["photo_text"]
# moments and videos: derived, but a video's embeddings row says "indexed", so they go with it
RECOVERED_TABLES += ["moments", "videos"]
# the user's exclusions, and which photos they hide (the user has not confirmed deleting them)
RECOVERED_TABLES += ["exclusions", "excluded_files"]


# Files lacking a current embedding for a model (the one bound parameter); failed files wait
# until they change, offline folders until they return, excluded files until re-included.
_PENDING = (
    "FROM files f JOIN folders d ON d.id = f.folder_id AND d.online = 1 "
    "LEFT JOIN embeddings e ON e.file_id = f.id AND e.model = ? "
    "WHERE f.state != 'failed' AND (e.file_id IS NULL OR e.source_size != f.size "
    "OR e.source_mtime_ns != f.mtime_ns) AND f.id NOT IN (SELECT file_id FROM excluded_files)"
)
_WORDS = ("text", "place")  # from photo_text and photo_place, not files
_FROM_FILE = ("lens",)  # read from the photo's header when shown (Engine.details)


def _place_key(name: str) -> str:
    """The LIKE pattern that finds a whole place name in photo_place.names."""
    return "%|" + name.strip().casefold().replace("%", "").replace("_", "") + "|%"


_VIDEO_DETAILS = ("duration", "codec", "fps")  # PhotoDetails fields from the videos table

# a photo counts as indexed (status, folder totals, the browsed grid) only while its vector is
# of the file as it is now: one rule, so those counts agree after a file changes or goes bad
_CURRENT = (
    "JOIN embeddings e ON e.file_id = f.id AND e.model = ? "
    "AND e.source_size = f.size AND e.source_mtime_ns = f.mtime_ns"
)
# ...answered from an index, not from the embedding rows with their vectors: status while
# indexing (twice a second) stays cheap (tests/benchmarks/bench_status.py)
MIGRATIONS.append(
    (
        "embeddings_current_index",
        "CREATE INDEX IF NOT EXISTS embeddings_current "
        "ON embeddings(file_id, model, source_size, source_mtime_ns)",
    )
)
_NOT_EXCLUDED = "NOT IN (SELECT file_id FROM excluded_files)"
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
class SearchableFile:
    path: str
    fingerprint: str | None
    size: int
    mtime_ns: int
    taken: float  # date taken, else modification time (seconds)
    aspect: float | None = None  # width / height, upright; None when the size is unknown


@dataclass(frozen=True)
class Placement:
    """What a shared vector store keeps beside one vector (Catalog.placement)."""

    path: str
    fingerprint: str | None
    taken: float  # date taken, else modification time (seconds)
    places: tuple[str, ...]  # casefolded place names (locality ... country code)
    seconds: float | None  # a video moment's start


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
    """Thread-safe access to the catalog database (one connection behind a lock).

    A reader (readonly=True: a search beside the app, a read-only window) gets a read-only
    connection and never repairs anything: moving a damaged catalog aside is left to the one
    process that holds the library's writer lock.
    """

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self._lock = threading.RLock()
        self.recovered_from: Path | None = None  # set when a damaged catalog was replaced
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if readonly and not path.exists():
                Catalog._connect(path, readonly=False).close()  # a new library: create it
            self._db = self._connect(path, readonly)
        except sqlite3.DatabaseError as exc:
            if readonly:
                raise MagpieError(
                    f"{path}: the catalog database is damaged ({exc}); the Magpie that "
                    "updates this library (the app or `magpie index`) repairs it when it starts"
                ) from None
            log.warning(
                "%s: the catalog is damaged (%s); rebuilding it from what is intact", path, exc
            )
            self._db = self._recover(path)

    @staticmethod
    def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
        target = f"{path.resolve().as_uri()}?mode=ro" if readonly else str(path)
        db = sqlite3.connect(
            target, uri=readonly, check_same_thread=False, timeout=30, isolation_level=None
        )
        try:
            # 16 KiB pages hold fifteen 1 KiB vectors each: ~1.1 KiB per photo on disk, where
            # the default 4 KiB pages fit three (1.4 KiB). Only a new database takes it.
            if not readonly:
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
                for statement in _statements(script):
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
            # a photo skipped for its size is looked at again once it changes
            db.executemany(
                "DELETE FROM excluded_files WHERE file_id = ? AND reason = 'size'",
                [(i,) for i, _s, _m in changes],
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

    def pending_count(self, model: str) -> int:
        """How many files wait for an embedding: zero means no model needs loading."""
        return int(self._query(f"SELECT count(*) {_PENDING}", (model,))[0][0])

    def commit_batch(
        self, model: str, done: Sequence[Embedded], failed: Sequence[tuple[int, str]]
    ) -> None:
        """One transaction per batch: a crash loses at most the batch in flight."""
        now = time.time()
        with self.transaction() as db:
            for item in done:
                self._store_embedded(db, model, item, now)
            db.executemany(
                "UPDATE files SET state = 'failed', error = ?, updated_at = ? WHERE id = ?",
                [(error, now, file_id) for file_id, error in failed],
            )
            if done:
                self._bump(db, f"generation:{model}")

    @staticmethod
    def _store_embedded(db: sqlite3.Connection, model: str, item: Embedded, now: float) -> None:
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

    # --- videos: one vector per moment --------------------------------------------------------

    def commit_video(
        self,
        model: str,
        item: Embedded,
        moments: Sequence[tuple[float, np.ndarray]],
        duration: float,
        codec: str,
        fps: float | None,
        note: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One video in one transaction: the file's row (first frame, as a photo's), its
        moments and details. Returns (vector ids it replaced, its new vector ids)."""
        now = time.time()
        with self.transaction() as db:
            old = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM moments WHERE file_id = ? AND model = ?", (item.file_id, model)
                )
            ]
            db.execute("DELETE FROM moments WHERE file_id = ? AND model = ?", (item.file_id, model))
            self._store_embedded(db, model, item, now)
            if note:  # indexed, but only in part (damaged part-way): the details say why
                db.execute("UPDATE files SET error = ? WHERE id = ?", (note, item.file_id))
            new = [
                db.execute(
                    "INSERT INTO moments(file_id, model, seconds, vector) VALUES (?, ?, ?, ?)",
                    (item.file_id, model, seconds, vector.astype(np.float16).tobytes()),
                ).lastrowid
                for seconds, vector in moments
            ]
            db.execute(
                "INSERT OR REPLACE INTO videos(file_id, duration, codec, fps) VALUES (?, ?, ?, ?)",
                (item.file_id, duration, codec, fps),
            )
            self._bump(db, f"generation:{model}")
        return (
            np.asarray(old, dtype=np.int64) + MOMENT_ID_BASE,
            np.asarray(new, dtype=np.int64) + MOMENT_ID_BASE,
        )

    def moments_for(self, vector_ids: Sequence[int]) -> dict[int, tuple[int, float]]:
        """Moment vector id -> (file id, seconds); other ids are left out."""
        wanted = [i - MOMENT_ID_BASE for i in vector_ids if i >= MOMENT_ID_BASE]
        out: dict[int, tuple[int, float]] = {}
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, file_id, seconds FROM moments WHERE id IN ({marks})"
            for moment_id, file_id, seconds in self._query(sql, chunk):
                out[moment_id + MOMENT_ID_BASE] = (file_id, seconds)
        return out

    def moment_vector(
        self, file_id: int, model: str, seconds: float
    ) -> tuple[int, np.ndarray] | None:
        """The moment of a video nearest `seconds`: (vector id, vector)."""
        rows = self._query(
            "SELECT id, vector FROM moments WHERE file_id = ? AND model = ? "
            "ORDER BY abs(seconds - ?) LIMIT 1",
            (file_id, model, seconds),
        )
        if not rows:
            return None
        vector = np.frombuffer(rows[0][1], dtype=np.float16).astype(np.float32)
        return rows[0][0] + MOMENT_ID_BASE, vector

    def drop_orphan_moments(self) -> np.ndarray:
        """Forget moments and video details of files no longer in the catalog; returns the
        moments' vector ids (for the index)."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT id FROM moments WHERE file_id NOT IN (SELECT id FROM files)"
            ).fetchall()
            if rows:
                db.execute("DELETE FROM moments WHERE file_id NOT IN (SELECT id FROM files)")
            db.execute("DELETE FROM videos WHERE file_id NOT IN (SELECT id FROM files)")
        return np.asarray([r[0] for r in rows], dtype=np.int64) + MOMENT_ID_BASE

    def video_details(self, file_id: int) -> dict[str, object] | None:
        rows = self._query("SELECT duration, codec, fps FROM videos WHERE file_id = ?", (file_id,))
        if not rows:
            return None
        return {"duration": rows[0][0], "codec": rows[0][1], "fps": rows[0][2]}

    def siblings(self, paths: Sequence[str]) -> dict[str, list[tuple[str, int, str | None, bool]]]:
        """path -> files in its folder with the same name before the extension (itself too):
        (path, id, fingerprint, indexed). RAW+JPEG pairs and Live Photos are found this way."""
        out: dict[str, list[tuple[str, int, str | None, bool]]] = {}
        by_stem: dict[str, list[tuple[str, int, str | None, bool]]] = {}
        for path in paths:
            stem = os.path.splitext(path)[0]
            if stem not in by_stem:
                prefix = encode_path(stem + ".")
                rows = self._query(
                    "SELECT path, id, fingerprint, state FROM files WHERE path >= ? AND path < ?",
                    (prefix, prefix[:-1] + bytes([prefix[-1] + 1])),
                )
                by_stem[stem] = [
                    (decode_path(r[0]), r[1], r[2], r[3] == "indexed")
                    for r in rows
                    if os.path.splitext(decode_path(r[0]))[0] == stem
                ]
            out[path] = by_stem[stem]
        return out

    # --- vectors ----------------------------------------------------------------------------

    def vectors(self, model: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """All (ids, float32 vectors) of a model, for (re)building the index: photos by file
        id, video moments by MOMENT_ID_BASE + moment id (a video's file row is not searched)."""
        rows = self._query(
            "SELECT file_id, vector FROM embeddings WHERE model = ? "
            f"AND file_id NOT IN (SELECT file_id FROM videos) AND file_id {_NOT_EXCLUDED} "
            "UNION ALL SELECT id + ?, vector FROM moments WHERE model = ? "
            f"AND file_id {_NOT_EXCLUDED} ORDER BY 1",
            (model, MOMENT_ID_BASE, model),
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

    def searchable(self, ids: Sequence[int], model: str) -> dict[int, SearchableFile]:
        """The ids whose photo still reads as embedded: indexed, and unchanged since."""
        out: dict[int, SearchableFile] = {}
        for start in range(0, len(ids), 900):
            chunk = list(ids[start : start + 900])
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT f.id, f.path, f.fingerprint, f.size, f.mtime_ns, "
                "COALESCE(f.taken_at, f.mtime_ns / 1e9), f.width, f.height FROM files f "
                "JOIN embeddings e ON e.file_id = f.id AND e.model = ? AND e.source_size = f.size "
                "AND e.source_mtime_ns = f.mtime_ns "
                f"WHERE f.state = 'indexed' AND f.id IN ({marks}) AND f.id {_NOT_EXCLUDED}"
            )
            for file_id, raw, print_, size, mtime_ns, taken, w, h in self._query(
                sql, [model, *chunk]
            ):
                aspect = w / h if w and h and w > 0 and h > 0 else None
                path = decode_path(raw)
                out[file_id] = SearchableFile(path, print_, size, mtime_ns, taken, aspect)
        return out

    def sample_vectors(
        self, model: str, dim: int, size: int, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """About `size` random (ids, float32 vectors) of a model: random rowids, never a scan
        of the whole table (1 GB of vectors at 1M photos)."""
        top = self._query("SELECT max(rowid) FROM embeddings")[0][0] or 0
        rng = np.random.default_rng(seed)
        if top <= size * 2:
            rows = self._query("SELECT file_id, vector FROM embeddings WHERE model = ?", (model,))
        else:
            picks = np.unique(rng.integers(1, top + 1, size * 3)).tolist()
            rows = []
            for start in range(0, len(picks), 900):
                chunk = picks[start : start + 900]
                marks = ",".join("?" * len(chunk))
                rows += self._query(
                    "SELECT file_id, vector FROM embeddings "
                    f"WHERE model = ? AND rowid IN ({marks})",
                    [model, *chunk],
                )
            if len(rows) < size // 4:  # mostly another model's rows: read this model's all
                rows = self._query(
                    "SELECT file_id, vector FROM embeddings WHERE model = ?", (model,)
                )
        # video moments are searched like photos: they belong in the background too
        rows += [
            (MOMENT_ID_BASE + r[0], r[1])
            for r in self._query(
                "SELECT id, vector FROM moments WHERE model = ? ORDER BY random() LIMIT ?",
                (model, size),
            )
        ]
        if len(rows) > size:
            rows = [rows[i] for i in sorted(rng.choice(len(rows), size, replace=False))]
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.empty((len(rows), dim), dtype=np.float32)
        for i, (_, blob) in enumerate(rows):
            matrix[i] = np.frombuffer(blob, dtype=np.float16)
        return ids, matrix

    def vectors_for(self, ids: Sequence[int], model: str, dim: int) -> np.ndarray:
        """float32 vectors of these ids (those that have one), in no particular order."""
        blobs: list[bytes] = []
        for start in range(0, len(ids), 900):
            chunk = [int(i) for i in ids[start : start + 900]]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT vector FROM embeddings WHERE model = ? AND file_id IN ({marks})"
            blobs += [r[0] for r in self._query(sql, [model, *chunk])]
        matrix = np.empty((len(blobs), dim), dtype=np.float32)
        for i, blob in enumerate(blobs):
            matrix[i] = np.frombuffer(blob, dtype=np.float16)
        return matrix

    def newest(
        self,
        model: str,
        offset: int,
        limit: int,
        folder: str | Path | None = None,
        place: str | None = None,
    ) -> list[tuple[int, str, str | None, float, float | None]]:
        """Indexed photos, newest first (by date taken, else modification time): id, path,
        fingerprint, date, aspect (width / height, None when unknown); `place`: only those
        taken there (named as in ids_at_place)."""
        where, args = f" WHERE f.id {_NOT_EXCLUDED}", [model]
        if folder is not None:
            prefix = encode_path(os.path.join(os.fspath(folder), ""))
            where += " AND f.path >= ? AND f.path < ?"
            args += [prefix, prefix[:-1] + bytes([prefix[-1] + 1])]
        if place:
            where += " AND f.id IN (SELECT file_id FROM photo_place WHERE names LIKE ?)"
            args.append(_place_key(place))
        rows = self._query(
            "SELECT f.id, f.path, f.fingerprint, COALESCE(f.taken_at, f.mtime_ns / 1e9), "
            f"f.width, f.height FROM files f {_CURRENT}"
            f"{where} ORDER BY COALESCE(f.taken_at, f.mtime_ns / 1e9) DESC, f.id DESC "
            "LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [
            (r[0], decode_path(r[1]), r[2], r[3], r[4] / r[5] if r[4] and r[5] else None)
            for r in rows
        ]

    def details(self, file_id: int) -> PhotoDetails | None:
        """Everything the preview shows about one photo."""
        keys = [
            f.name
            for f in fields(PhotoDetails)
            if f.name not in (*_VIDEO_DETAILS, *_WORDS, *_FROM_FILE)
        ]
        rows = self._query(f"SELECT {', '.join(keys)} FROM files WHERE id = ?", (file_id,))
        if not rows:
            return None
        video = self.video_details(file_id) or {}
        place = self.photo_place(file_id)
        words = {
            "text": self.photo_text(file_id) or "",
            "place": ", ".join(dict.fromkeys(p for p in place[:2] + place[4:5] if p))
            if place
            else "",
        }
        return PhotoDetails(decode_path(rows[0][0]), *rows[0][1:], **video, **words)  # type: ignore[arg-type]

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
        # the moments of matching videos match too
        rows += self._query(
            f"SELECT id + {MOMENT_ID_BASE} FROM moments WHERE file_id IN "
            f"(SELECT id FROM files WHERE {where})",
            args,
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def ids_in_folder(self, folder_id: int) -> np.ndarray:
        rows = self._query("SELECT id FROM files WHERE folder_id = ?", (folder_id,))
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    # --- status -----------------------------------------------------------------------------

    def counts(self, model: str) -> Counts:
        indexed = self._query(f"SELECT count(*) FROM files f {_CURRENT}", (model,))[0][0]
        total = self._query("SELECT count(*) FROM files")[0][0]
        failed = self._query("SELECT count(*) FROM files WHERE state = 'failed'")[0][0]
        # pending is counted in SQL: status is asked often, and a list costs a row each
        pending = self._query(f"SELECT count(*) {_PENDING}", (model,))[0][0]
        return Counts(images=indexed, files=total, failed=failed, pending=pending)

    def folder_counts(self, model: str) -> dict[int, int]:
        rows = self._query(
            f"SELECT f.folder_id, count(*) FROM files f {_CURRENT} GROUP BY f.folder_id", (model,)
        )
        return dict(rows)

    def failures(self, limit: int = 1000) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT path, error FROM files WHERE state = 'failed' ORDER BY path LIMIT ?", (limit,)
        )
        return [(decode_path(r[0]), r[1] or "unknown error") for r in rows]

    def integrity_ok(self) -> bool:
        return self._query("PRAGMA quick_check")[0][0] == "ok"

    # --- words in photos and places (the second pass after embeddings) ----------------------

    def text_pending(self, reader: str, limit: int | None = None) -> list[PendingFile]:
        """Indexed photos whose text was never read, or read from an older file or reader."""
        rows = self._query(
            "SELECT f.id, f.path, f.size, f.mtime_ns FROM files f "
            "JOIN folders d ON d.id = f.folder_id AND d.online = 1 "
            "LEFT JOIN photo_text t ON t.file_id = f.id "
            "WHERE f.state = 'indexed' AND (t.file_id IS NULL OR t.reader != ? "
            "OR t.source_size != f.size OR t.source_mtime_ns != f.mtime_ns) "
            "ORDER BY COALESCE(f.taken_at, f.mtime_ns / 1e9) DESC, f.id DESC LIMIT ?",
            (reader, -1 if limit is None else limit),
        )
        return [PendingFile(r[0], decode_path(r[1]), r[2], r[3]) for r in rows]

    def text_counts(self, reader: str) -> tuple[int, int]:
        """(photos whose text is read and current, photos still to read)."""
        done = self._query(
            "SELECT count(*) FROM photo_text t JOIN files f ON f.id = t.file_id "
            "WHERE f.state = 'indexed' AND t.reader = ? AND t.source_size = f.size "
            "AND t.source_mtime_ns = f.mtime_ns",
            (reader,),
        )[0][0]
        indexed = self._query("SELECT count(*) FROM files WHERE state = 'indexed'")[0][0]
        return done, max(0, indexed - done)

    def store_text(self, reader: str, results: Sequence[tuple[PendingFile, str, float]]) -> None:
        """One transaction per batch; a file changed since it was read is not marked read."""
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO photo_text"
                "(file_id, text, reader, source_size, source_mtime_ns, seconds) "
                "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM files WHERE id = ?)",
                [
                    (f.id, text, reader, f.size, f.mtime_ns, seconds, f.id)
                    for f, text, seconds in results
                ],
            )

    def photo_text(self, file_id: int) -> str | None:
        rows = self._query("SELECT text FROM photo_text WHERE file_id = ?", (file_id,))
        return rows[0][0] if rows else None

    def places_pending(self, version: int) -> list[tuple[int, float, float]]:
        """(file id, latitude, longitude) of photos with GPS whose place is not current."""
        return self._query(
            "SELECT f.id, f.gps_lat, f.gps_lon FROM files f "
            "LEFT JOIN photo_place p ON p.file_id = f.id "
            "WHERE f.gps_lat IS NOT NULL AND f.gps_lon IS NOT NULL AND (p.file_id IS NULL "
            "OR p.version != ? OR p.lat != f.gps_lat OR p.lon != f.gps_lon)",
            (version,),
        )

    def store_places(
        self, version: int, rows: Sequence[tuple[int, float, float, tuple[str, ...] | None]]
    ) -> None:
        """rows: (file id, lat, lon, (locality, city, region, county, country, code) or None)."""

        def key(names: tuple[str, ...] | None) -> str | None:
            return "|" + "|".join(n.casefold() for n in names if n) + "|" if names else None

        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO photo_place(file_id, lat, lon, version, locality, city, "
                "region, county, country, country_code, names) SELECT ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ? WHERE EXISTS (SELECT 1 FROM files WHERE id = ?)",
                [
                    (i, lat, lon, version, *(names or (None,) * 6), key(names), i)
                    for i, lat, lon, names in rows
                ],
            )

    def photo_place(self, file_id: int) -> tuple[str, ...] | None:
        """(locality, city, region, county, country, country code) or None."""
        rows = self._query(
            "SELECT locality, city, region, county, country, country_code FROM photo_place "
            "WHERE file_id = ? AND country IS NOT NULL",
            (file_id,),
        )
        return tuple(v or "" for v in rows[0]) if rows else None

    def places(self) -> list[tuple[str, str, str, int]]:
        """(city, region, country, photos) of every place photos were taken, most first."""
        return self._query(
            "SELECT p.city, p.region, p.country, count(*) FROM photo_place p "
            "JOIN files f ON f.id = p.file_id WHERE f.state = 'indexed' AND p.country IS NOT NULL "
            "GROUP BY p.city, p.region, p.country ORDER BY count(*) DESC, p.city"
        )

    def ids_at_place(self, name: str) -> np.ndarray:
        """Photos taken at a place named `name` (locality, city, region, county, country or
        country code; case-insensitive, whole names)."""
        rows = self._query(
            "SELECT file_id FROM photo_place WHERE names LIKE ?", (_place_key(name),)
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    # --- shared stores ------------------------------------------------------------------------

    def placement(self, vector_ids: Sequence[int]) -> dict[int, Placement]:
        """vector id -> what a shared store keeps beside the vector: path, fingerprint, date
        taken (else modified), the moment's start for a video moment, and place names."""
        moments = self.moments_for(vector_ids)
        file_of = {int(i): moments[i][0] if i in moments else int(i) for i in vector_ids}
        wanted = sorted(set(file_of.values()))
        rows: dict[int, tuple[str, str | None, float, tuple[str, ...]]] = {}
        for start in range(0, len(wanted), 900):  # SQLite's bound-parameter limit
            chunk = wanted[start : start + 900]
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT f.id, f.path, f.fingerprint, COALESCE(f.taken_at, f.mtime_ns / 1e9), "
                "p.locality, p.city, p.region, p.county, p.country, p.country_code FROM files f "
                f"LEFT JOIN photo_place p ON p.file_id = f.id WHERE f.id IN ({marks})"
            )
            for file_id, raw, print_, when, *names in self._query(sql, chunk):
                named = tuple(n.strip().casefold() for n in names if n and n.strip())
                rows[file_id] = (decode_path(raw), print_, float(when), named)
        return {
            i: Placement(*rows[f], moments[i][1] if i in moments else None)
            for i, f in file_of.items()
            if f in rows
        }

    def ids_by_fingerprint(self, fingerprints: Sequence[str]) -> dict[str, int]:
        """fingerprint -> an indexed file of this library with that content."""
        out: dict[str, int] = {}
        for start in range(0, len(fingerprints), 900):
            chunk = list(fingerprints[start : start + 900])
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT fingerprint, min(id) FROM files WHERE state = 'indexed' "
                f"AND fingerprint IN ({marks}) AND id {_NOT_EXCLUDED} GROUP BY fingerprint"
            )
            out.update(self._query(sql, chunk))
        return out

    def vectors_by_id(self, file_ids: Sequence[int], model: str, dim: int) -> dict[int, np.ndarray]:
        """file id -> float32 vector (photos only), for re-sending rows to a shared store."""
        out: dict[int, np.ndarray] = {}
        for start in range(0, len(file_ids), 900):
            chunk = [int(i) for i in file_ids[start : start + 900]]
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT file_id, vector FROM embeddings WHERE model = ? "
                f"AND file_id IN ({marks}) AND file_id {_NOT_EXCLUDED}"
            )
            for file_id, blob in self._query(sql, [model, *chunk]):
                out[file_id] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)[:dim]
        return out

    def max_vector_id(self) -> int:
        """The largest vector id this library has used (moments included)."""
        top_file = self._query("SELECT COALESCE(max(id), 0) FROM files")[0][0]
        top_moment = self._query("SELECT max(id) FROM moments")[0][0]
        return int(top_file if top_moment is None else top_moment + MOMENT_ID_BASE)
