"""Albums and smart albums, stored in the catalog.

A manual album is a list of file ids, so it follows its photos through moves and renames (the
scanner keeps a file's id when it recognises a move, as it keeps its embedding) and forgets a
photo that leaves the library. A smart album is a saved search (text, reference images,
exclusions, folder, date range, threshold) run again whenever it is shown or counted, so it is
always current: new photos that match appear, deleted ones are gone.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from magpie.core.catalog import decode_path
from magpie.core.errors import MagpieError

if TYPE_CHECKING:
    from magpie.core.engine import Engine, SearchResult

# A smart album holds the photos that match its search, not the first k of a ranking. Without
# a threshold of its own (or the user's score threshold in Settings), these cosine floors
# apply: text-to-photo similarities of CLIP matches sit near 0.25-0.35, photo-to-photo ones
# of the same subject above 0.8.
TEXT_THRESHOLD = 0.25
IMAGE_THRESHOLD = 0.80
MAX_SMART_RESULTS = 10_000
_MAX_NAME = 200


@dataclass(frozen=True)
class SmartQuery:
    """A saved search; every field optional, at least a text or an image."""

    text: str = ""
    images: list[str] = field(default_factory=list)  # reference photos (absolute paths)
    exclude: list[str] = field(default_factory=list)  # texts whose matches are left out
    folder: str | None = None
    date_from: float | None = None
    date_to: float | None = None
    threshold: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "", [])}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SmartQuery:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def describe(self) -> str:
        parts = [f'"{self.text}"'] if self.text else []
        parts += [f"like {Path(p).name}" for p in self.images]
        parts += [f'not "{t}"' for t in self.exclude]
        if self.folder:
            parts.append(f"in {self.folder}")
        return ", ".join(parts) or "(empty search)"


@dataclass(frozen=True)
class Album:
    id: int
    name: str
    smart: SmartQuery | None
    count: int | None = None  # photos in it (smart albums: only when evaluated)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "smart": self.smart is not None}
        if self.smart is not None:
            out["search"] = self.smart.to_json()
        if self.count is not None:
            out["count"] = self.count
        return out


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise MagpieError("an album needs a name")
    if len(name) > _MAX_NAME or any(ord(c) < 32 for c in name):
        raise MagpieError(f"not a usable album name: {name[:40]!r}")
    return name


class Albums:
    """The albums of one library (engine): create, fill, list and show them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.catalog = engine.catalog

    # --- reading ---------------------------------------------------------------------------

    def _rows(self) -> list[tuple[int, str, str | None, int]]:
        return self.catalog._query(
            "SELECT a.id, a.name, a.smart, "
            "(SELECT count(*) FROM album_files m WHERE m.album_id = a.id) "
            "FROM albums a ORDER BY a.name COLLATE NOCASE"
        )

    def list(self, count_smart: bool = False) -> list[Album]:
        """All albums by name; smart albums are counted only on request (a search each)."""
        albums = []
        for album_id, name, smart, members in self._rows():
            query = SmartQuery.from_json(json.loads(smart)) if smart else None
            count = members if query is None else None
            if query is not None and count_smart:
                count = len(self.evaluate(query))
            albums.append(Album(album_id, name, query, count))
        return albums

    def get(self, name: str) -> Album:
        for album in self.list():
            if album.name == name.strip():
                return album
        raise MagpieError(f"no album named {name!r} (`magpie albums list` shows them)")

    def photos(self, name: str) -> list[SearchResult]:
        """An album's photos: a manual one in the order they were added, a smart one best
        match first."""
        from magpie.core.engine import SearchResult

        album = self.get(name)
        if album.smart is not None:
            return self.evaluate(album.smart)
        rows = self.catalog._query(
            "SELECT f.id, f.path, f.fingerprint FROM album_files m JOIN files f ON f.id = m.file_id"
            " WHERE m.album_id = ? ORDER BY m.added_at, f.id",
            (album.id,),
        )
        return [SearchResult(decode_path(r[1]), 0.0, r[0], r[2]) for r in rows]

    # --- changing --------------------------------------------------------------------------

    def _insert(self, name: str, smart: SmartQuery | None) -> Album:
        name = _check_name(name)
        payload = json.dumps(smart.to_json()) if smart is not None else None
        with self.catalog.transaction() as db:
            if db.execute("SELECT 1 FROM albums WHERE name = ?", (name,)).fetchone():
                raise MagpieError(f"an album named {name!r} already exists")
            db.execute(
                "INSERT INTO albums(name, smart, created_at) VALUES (?, ?, ?)",
                (name, payload, time.time()),
            )
        return self.get(name)

    def create(self, name: str) -> Album:
        return self._insert(name, None)

    def save_search(self, name: str, query: SmartQuery) -> Album:
        """A smart album: the search is kept, its results are recomputed when shown."""
        if not query.text.strip() and not query.images:
            raise MagpieError("a smart album needs a text or a reference image to search for")
        images = [str(Path(p).expanduser().resolve()) for p in query.images]
        for path in images:
            if not Path(path).is_file():
                raise MagpieError(f"{path}: no such image file")
        folder = str(Path(query.folder).expanduser().resolve()) if query.folder else None
        fixed = SmartQuery(
            query.text.strip(),
            images,
            [t.strip() for t in query.exclude if t.strip()],
            folder,
            query.date_from,
            query.date_to,
            query.threshold,
        )
        return self._insert(name, fixed)

    def delete(self, name: str) -> None:
        album = self.get(name)
        with self.catalog.transaction() as db:
            db.execute("DELETE FROM albums WHERE id = ?", (album.id,))

    def rename(self, name: str, new_name: str) -> Album:
        album = self.get(name)
        new_name = _check_name(new_name)
        with self.catalog.transaction() as db:
            if db.execute("SELECT 1 FROM albums WHERE name = ?", (new_name,)).fetchone():
                raise MagpieError(f"an album named {new_name!r} already exists")
            db.execute("UPDATE albums SET name = ? WHERE id = ?", (new_name, album.id))
        return self.get(new_name)

    def _manual(self, name: str) -> Album:
        album = self.get(name)
        if album.smart is not None:
            raise MagpieError(
                f"{album.name!r} is a smart album (a saved search): its photos follow the search"
            )
        return album

    def _ids(self, paths: list[str | Path]) -> list[int]:
        """File ids of library photos; every path must be one (nothing is half-added)."""
        ids, missing = [], []
        for path in paths:
            row = self.catalog.file_by_path(Path(path).expanduser().resolve())
            if row is None:
                missing.append(str(path))
            else:
                ids.append(row.id)
        if missing:
            raise MagpieError(
                f"not in the library (add its folder with `magpie index`): {', '.join(missing)}"
            )
        return ids

    def add(self, name: str, paths: list[str | Path]) -> int:
        """Add photos (by path) to a manual album; returns how many were new to it."""
        self._manual(name)  # an unknown album is the first thing to say
        return self.add_ids(name, self._ids(paths))

    def add_ids(self, name: str, ids: list[int]) -> int:
        album = self._manual(name)
        now = time.time()
        with self.catalog.transaction() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO album_files(album_id, file_id, added_at) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM files WHERE id = ?)",
                [(album.id, i, now, i) for i in ids],
            )
            return db.total_changes - before

    def remove(self, name: str, paths: list[str | Path]) -> int:
        """Take photos out of a manual album (the files are untouched); returns how many."""
        album = self._manual(name)
        ids = self._ids(paths)
        with self.catalog.transaction() as db:
            before = db.total_changes
            db.executemany(
                "DELETE FROM album_files WHERE album_id = ? AND file_id = ?",
                [(album.id, i) for i in ids],
            )
            return db.total_changes - before

    def albums_of(self, path: str | Path) -> list[str]:
        row = self.catalog.file_by_path(Path(path).expanduser().resolve())
        if row is None:
            return []
        rows = self.catalog._query(
            "SELECT a.name FROM album_files m JOIN albums a ON a.id = m.album_id "
            "WHERE m.file_id = ? ORDER BY a.name",
            (row.id,),
        )
        return [r[0] for r in rows]

    # --- smart albums ----------------------------------------------------------------------

    def _image_vector(self, path: str) -> np.ndarray:
        """A reference photo's stored vector if it is in the library, else it is encoded."""
        engine = self.engine
        row = self.catalog.file_by_path(path)
        vector = engine.catalog.vector(row.id, engine.model_name) if row else None
        if vector is None:
            from magpie.core import imaging

            tensor = imaging.load_for_model(path, engine.clip.pack.preprocess)
            vector = engine.clip.image.encode(tensor[None])[0]
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def evaluate(self, query: SmartQuery) -> list[SearchResult]:
        """Run a saved search now: the photos that match it, best first."""
        engine = self.engine
        parts = []
        if query.text:
            parts.append(engine.clip.embed_texts([query.text])[0])
        parts += [self._image_vector(p) for p in query.images if Path(p).is_file()]
        if not parts:
            return []  # its reference photos are gone: nothing can match
        vector = np.mean([p / max(float(np.linalg.norm(p)), 1e-12) for p in parts], axis=0)
        threshold = query.threshold
        if threshold is None:
            threshold = engine.library.load_settings().score_threshold or (
                TEXT_THRESHOLD if query.text else IMAGE_THRESHOLD
            )
        results = engine.search_vector(
            vector,
            MAX_SMART_RESULTS,
            threshold=threshold,
            folder=query.folder,
            date_from=query.date_from,
            date_to=query.date_to,
        )
        if query.exclude and results:
            # left out: photos that match an excluded text, and match it better than the search
            unwanted = engine.clip.embed_texts(query.exclude)
            unwanted /= np.maximum(np.linalg.norm(unwanted, axis=1, keepdims=True), 1e-12)
            ids = [r.file_id for r in results]
            vectors = np.stack([self._stored(i) for i in ids])
            worst = (vectors @ unwanted.T).max(axis=1)
            results = [
                r
                for r, w in zip(results, worst.tolist(), strict=True)
                if w < threshold or w <= r.score
            ]
        return results

    def _stored(self, file_id: int) -> np.ndarray:
        vector = self.catalog.vector(file_id, self.engine.model_name)
        if vector is None:
            return np.zeros(self.engine.clip.dim, np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)
