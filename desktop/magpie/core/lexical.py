"""Lexical signals: words from file names, folder names and the camera, in SQLite FTS5.

One FTS5 row per (file, text source), keyed rowid = file_id * SOURCE_SLOTS + source, so a
file's rows are one cheap rowid range (deleted with it by a trigger) and a new text source
(OCR text, place names: issue #15) needs no schema change: a later migration or feature
writes rows with its own source number from SOURCES and they are searched with the rest.
Name, folder and camera rows are kept in step with `files` by triggers, so the scanner and
the indexer need not know about them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

SOURCE_SLOTS = 16
# source number -> label; append new sources, never renumber (rowids hold them)
SOURCES: dict[int, str] = {0: "name", 1: "folder", 2: "camera", 3: "text", 4: "place"}

# The folder text is the path from the watched folder (its own name included) to the file's
# folder: "Lisbon 2019" or "Trips/Lisbon 2019", never the user's home or the disk.
_FOLDER_TEXT = (
    "(SELECT substr(rtrim(CAST(NEW.path AS TEXT), replace(CAST(NEW.path AS TEXT), '/', '')), "
    "length(rtrim(CAST(d.path AS TEXT), replace(CAST(d.path AS TEXT), '/', ''))) + 1) "
    "FROM folders d WHERE d.id = NEW.folder_id)"
)
_ROWS_INSERT = (
    "INSERT INTO lexical(rowid, body) VALUES (NEW.id * 16, NEW.name); "
    f"INSERT INTO lexical(rowid, body) VALUES (NEW.id * 16 + 1, {_FOLDER_TEXT}); "
    "INSERT INTO lexical(rowid, body) SELECT NEW.id * 16 + 2, NEW.camera "
    "WHERE NEW.camera IS NOT NULL AND NEW.camera != ''; "
)
_ROWS_DELETE = "DELETE FROM lexical WHERE rowid BETWEEN OLD.id * 16 AND OLD.id * 16 + 2; "

# Catalog migration step (name, script): the table, its triggers, and today's files.
MIGRATION = (
    "lexical-fts5",
    "CREATE VIRTUAL TABLE IF NOT EXISTS lexical USING fts5("
    "body, tokenize = \"unicode61 remove_diacritics 2 tokenchars ''\");\n"
    "CREATE TRIGGER IF NOT EXISTS lexical_files_insert AFTER INSERT ON files BEGIN "
    f"{_ROWS_INSERT}END;\n"
    "CREATE TRIGGER IF NOT EXISTS lexical_files_update "
    "AFTER UPDATE OF path, name, camera, folder_id ON files BEGIN "
    f"{_ROWS_DELETE}{_ROWS_INSERT}END;\n"
    "CREATE TRIGGER IF NOT EXISTS lexical_files_delete AFTER DELETE ON files BEGIN "
    "DELETE FROM lexical WHERE rowid BETWEEN OLD.id * 16 AND OLD.id * 16 + 15; END;\n"
    "INSERT INTO lexical(rowid, body) SELECT id * 16, name FROM files;\n"
    "INSERT INTO lexical(rowid, body) SELECT f.id * 16 + 1, "
    "substr(rtrim(CAST(f.path AS TEXT), replace(CAST(f.path AS TEXT), '/', '')), "
    "length(rtrim(CAST(d.path AS TEXT), replace(CAST(d.path AS TEXT), '/', ''))) + 1) "
    "FROM files f JOIN folders d ON d.id = f.folder_id;\n"
    "INSERT INTO lexical(rowid, body) SELECT id * 16 + 2, camera FROM files "
    "WHERE camera IS NOT NULL AND camera != ''",
)

_WORD = re.compile(r"\w+", re.UNICODE)
# A word found in more than this share of the library says nothing about any photo ("jpg").
COMMON_SHARE = 0.2
MAX_ROWS_PER_WORD = 20_000


@dataclass(frozen=True)
class LexicalHit:
    file_id: int
    matched: int  # how many of the query's words this photo's texts hold
    sources: tuple[str, ...]  # where they were found: name, folder, camera...


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def find(
    query: Callable[[str, tuple], list[tuple]], text: str, library_size: int
) -> tuple[list[LexicalHit], int]:
    """Photos whose texts hold the query's words: (hits, most words first; words that count).

    `query` runs SQL on the catalog. Words that are everywhere ("jpg", "img") are ignored
    unless they are all the query has.
    """
    asked = list(dict.fromkeys(w for w in words(text) if len(w) >= 2 or w.isdigit()))
    if not asked:
        return [], 0
    per_word: dict[str, dict[int, set[str]]] = {}
    for word in asked:
        try:
            rows = query(
                "SELECT rowid FROM lexical WHERE lexical MATCH ? LIMIT ?",
                (f'"{word}"', MAX_ROWS_PER_WORD + 1),
            )
        except sqlite3.OperationalError:  # no FTS5 table (a read-only old catalog)
            return [], 0
        found: dict[int, set[str]] = {}
        for (rowid,) in rows:
            found.setdefault(rowid // SOURCE_SLOTS, set()).add(
                SOURCES.get(rowid % SOURCE_SLOTS, "text")
            )
        per_word[word] = found
    useful = {
        w: f
        for w, f in per_word.items()
        if len(f) <= max(COMMON_SHARE * library_size, 1) and len(f) <= MAX_ROWS_PER_WORD
    }
    if not useful:
        return [], 0
    counts: dict[int, int] = {}
    sources: dict[int, set[str]] = {}
    for found in useful.values():
        for file_id, where in found.items():
            counts[file_id] = counts.get(file_id, 0) + 1
            sources.setdefault(file_id, set()).update(where)
    hits = [LexicalHit(i, counts[i], tuple(sorted(sources[i]))) for i in counts]
    hits.sort(key=lambda h: (-h.matched, h.file_id))
    return hits, len(useful)
