"""A shared store on Milvus: several libraries (machines) index into one collection per model.

One row per place a vector lives (this library's vector id: a file, or a video moment at
2^48 + its id), carrying the vector: Milvus has no joins, so the folder, date and place
filters must be fields of the row that holds the vector to be pushed into the search as
scalar expressions. Searches group by content, so a photo on two machines is one hit; the
match rule's exact scores are products with vectors read by key.

Identity across machines is the content fingerprint: a library asks the store for vectors of
the contents it is about to index and encodes only those nobody has (so a copy on two
machines is encoded once), and with a shard (I/N) it encodes only the contents whose
fingerprint falls in its share, so N processes split one shared folder without encoding
anything twice and without coordinating. A crashed one leaves its share pending; nothing it
committed is lost, nothing is done twice.

The local catalog stays the record of what this library indexed (it keeps every vector): a
sidecar file records the catalog generation the store was last brought up to, and a writer
that finds it stale (a crash, the server down mid-run) re-sends the difference at open.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from magpie.core.catalog import MOMENT_ID_BASE, Catalog, Placement, encode_path
from magpie.core.errors import MagpieError
from magpie.core.library import atomic_write_text
from magpie.core.stores.base import (
    RemotePlace,
    SearchFilters,
    StoreMismatchError,
    StoreUnavailableError,
)
from magpie.core.vectorindex import Hits

log = logging.getLogger("magpie.store")

T = TypeVar("T")

LIBRARY_ID_KEY = "store:library_id"
MAX_DIRS = 128  # ancestor folders kept per photo for the folder filter
MAX_PLACES = 8  # place names per photo: locality, city, region, county, country, code
MAX_PATH_BYTES = 4000  # the path field's capacity (display only; filters use hashes)
MAX_TOPK = 16384  # Milvus's limit on one search's k
WRITE_CHUNK = 1000
HNSW = {"M": 16, "efConstruction": 200}
# Candidates per search. Measured on 100k clustered 512-d vectors in Milvus Lite (30 queries):
# ef 64 gave recall@10 0.67 (0.47 with a 10% date filter), 256 gave 0.92 (0.77), 512 gave
# 0.98 (0.90) at no measurable extra latency there (the engine's overhead dominates).
HNSW_EF = 512


def collection_name(model: str) -> str:
    """One collection per model: Milvus names allow letters, digits and underscores."""
    safe = re.sub(r"[^A-Za-z0-9_]", "_", model)
    digest = hashlib.blake2b(model.encode(), digest_size=4).hexdigest()
    return f"magpie_{safe[:180]}_{digest}"


def dir_key(path: str | Path) -> str:
    """A folder as a filterable token: exact for any bytes (no quoting, no LIKE wildcards)."""
    return hashlib.blake2b(encode_path(path), digest_size=16).hexdigest()


def place_key(name: str) -> str:
    """A place name as a filterable token, matched as Catalog.ids_at_place matches names."""
    return hashlib.blake2b(name.strip().casefold().encode(), digest_size=16).hexdigest()


def ancestor_keys(path: str) -> list[str]:
    parents = list(Path(path).parents)[:MAX_DIRS]
    return [dir_key(p) for p in parents]


def _display_path(path: str) -> str:
    text = os.fsencode(path).decode("utf-8", errors="replace")
    raw = text.encode("utf-8")
    if len(raw) > MAX_PATH_BYTES:
        text = raw[:MAX_PATH_BYTES].decode("utf-8", errors="ignore")
    return text


def _literal(text: str) -> str:
    """A string literal for a filter expression (only hex and uuid text reaches here)."""
    if not re.fullmatch(r"[A-Za-z0-9_.:-]*", text):
        raise ValueError(f"unsafe filter literal {text!r}")
    return f'"{text}"'


def library_id(catalog: Catalog) -> str:
    """This library's identity in shared stores, made once and kept in the catalog."""
    rows = catalog._query("SELECT value FROM meta WHERE key = ?", (LIBRARY_ID_KEY,))
    if rows:
        return str(rows[0][0])
    if catalog.readonly:  # a reader of a library never indexed: it has no rows in any store
        return uuid.uuid4().hex
    with catalog.transaction() as db:
        db.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
            (LIBRARY_ID_KEY, uuid.uuid4().hex),
        )
    return str(catalog._query("SELECT value FROM meta WHERE key = ?", (LIBRARY_ID_KEY,))[0][0])


class MilvusStore:
    pushes_filters = True
    kind = "milvus"

    def __init__(
        self,
        uri: str,
        catalog: Catalog,
        model: str,
        dim: int,
        host: str | None = None,
        retries: int = 3,
        retry_wait_s: float = 0.5,
        timeout_s: float = 10.0,
    ) -> None:
        self.uri = uri
        self.catalog = catalog
        self.model = model
        self.dim = dim
        self.host = host or os.environ.get("MAGPIE_MACHINE") or socket.gethostname()
        self.library = library_id(catalog)
        self.collection = collection_name(model)
        self.retries = retries
        self.retry_wait_s = retry_wait_s
        self.timeout_s = timeout_s
        self.shard: tuple[int, int] | None = None
        self._client: Any = None
        self._write_failed = False  # then the saved stamp must not claim the store is current
        # other libraries' rows met in searches: negative ids, stable for this store's life
        self._lock = threading.Lock()
        self._remote_ids: dict[str, int] = {}
        self._remote: dict[int, tuple[str, RemotePlace]] = {}
        self._call(self._ensure_collection, "open the collection")

    # --- connection and retries -------------------------------------------------------------

    def _connect(self) -> Any:
        from pymilvus import MilvusClient

        # pymilvus logs each failed RPC, traceback included, through its own handlers (set at
        # its import); we retry and then report the failure once, in words
        # (grpc._server: Milvus Lite's in-process server logs the RPCs it does not implement)
        for name in ("pymilvus", "pymilvus.milvus_client", "grpc._server"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        if self.uri.endswith(".db"):
            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
        return MilvusClient(uri=self.uri, timeout=self.timeout_s)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _call(self, action: Callable[[], T], what: str) -> T:
        """Run one store action, reconnecting and retrying; a clear error when it stays down."""
        try:
            from pymilvus.exceptions import MilvusException
        except ImportError:
            raise MagpieError(
                "a Milvus store needs the pymilvus client: pip install 'magpie-photos[milvus]' "
                "(or leave out --store / MAGPIE_STORE for the local index)"
            ) from None
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                return action()
            except StoreMismatchError:
                raise
            except (MilvusException, ConnectionError, OSError) as exc:
                last = exc
                self._client = None  # a fresh connection on the next try
                if attempt < self.retries:
                    wait = self.retry_wait_s * 2**attempt
                    reason = getattr(exc, "message", None) or exc
                    log.warning("Milvus at %s: could not %s (%s); retrying", self.uri, what, reason)
                    time.sleep(wait)
        self._write_failed = True
        reason = getattr(last, "message", None) or str(last)
        if self.uri.endswith(".db"):
            reason += (
                "; a Milvus Lite file serves one process at a time: is another Magpie using "
                "it? To share it, run `milvus-lite server` or a Milvus server"
            )
        raise StoreUnavailableError(
            f"the shared store (Milvus at {self.uri}) is unreachable: could not {what} after "
            f"{self.retries + 1} tries ({reason}). Nothing was lost: this library's catalog "
            "keeps what it indexed and sends it when the store is back; try again later"
        ) from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- the collection: one per model, refused if it holds another model or dimension ------

    def _ensure_collection(self) -> None:
        client = self.client
        if not client.has_collection(self.collection):
            try:
                self._create(client)
            except Exception:
                if not client.has_collection(self.collection):  # not a creation race: a fault
                    raise
        self._check(client.describe_collection(self.collection))
        # a collection is searchable once loaded; a restarted server (or a Milvus Lite file
        # opened by a new process) holds it released. Loading a loaded one is a no-op.
        client.load_collection(self.collection)

    def _create(self, client: Any) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("location", DataType.VARCHAR, is_primary=True, max_length=80)
        schema.add_field("fingerprint", DataType.VARCHAR, max_length=64)
        schema.add_field("library", DataType.VARCHAR, max_length=64)
        schema.add_field("host", DataType.VARCHAR, max_length=255)
        schema.add_field("file_id", DataType.INT64)
        schema.add_field("path", DataType.VARCHAR, max_length=MAX_PATH_BYTES + 96)
        schema.add_field("taken_at", DataType.DOUBLE)
        # one content: a photo's fingerprint, a moment's fingerprint@seconds (search groups
        # by it, so a photo held by several machines shows once)
        schema.add_field("content", DataType.VARCHAR, max_length=96)
        schema.add_field("seconds", DataType.DOUBLE)  # a video moment's start, else -1
        schema.add_field(
            "places",
            DataType.ARRAY,
            element_type=DataType.VARCHAR,
            max_capacity=MAX_PLACES,
            max_length=32,
        )
        schema.add_field(
            "dirs",
            DataType.ARRAY,
            element_type=DataType.VARCHAR,
            max_capacity=MAX_DIRS,
            max_length=32,
        )
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        index = client.prepare_index_params()
        index.add_index("vector", index_type="HNSW", metric_type="IP", params=HNSW)
        for scalar in ("fingerprint", "library"):  # the folder filter scans `dirs`
            index.add_index(scalar, index_type="INVERTED")
        client.create_collection(
            self.collection,
            schema=schema,
            index_params=index,
            consistency_level="Strong",  # a photo indexed anywhere is searchable at once
            properties={"magpie.model": self.model, "magpie.dim": str(self.dim)},
        )
        log.info(
            "created Milvus collection %s for %s (%d-d)", self.collection, self.model, self.dim
        )

    def _check(self, described: dict[str, Any]) -> None:
        props = described.get("properties") or {}
        dims = [
            int(f.get("params", {}).get("dim", 0))
            for f in described.get("fields", [])
            if f.get("name") == "vector"
        ]
        found_model = props.get("magpie.model")
        found_dim = dims[0] if dims else None
        if found_model not in (None, self.model) or found_dim != self.dim:
            raise StoreMismatchError(
                f"the shared store's collection {self.collection} holds "
                f"{found_dim}-dimensional vectors of model {found_model or 'unknown'}, but this "
                f"library uses {self.model} ({self.dim}-d); vectors of different models cannot "
                "be mixed: use the same model on every machine, or another store"
            )

    # --- writing ----------------------------------------------------------------------------

    def _pk(self, vector_id: int) -> str:
        return f"{self.library}:{vector_id}"

    def _row(self, vector_id: int, where: Placement, vector: np.ndarray) -> dict[str, Any]:
        print_ = where.fingerprint or ""
        content = print_ or self._pk(vector_id)  # no fingerprint: its own content
        if where.seconds is not None:
            content = f"{content}@{where.seconds:.3f}"
        return {
            "location": self._pk(vector_id),
            "fingerprint": print_,
            "library": self.library,
            "host": self.host[:255],
            "file_id": vector_id,
            "path": _display_path(where.path),
            "taken_at": float(where.taken),
            "content": content[:96],
            "seconds": -1.0 if where.seconds is None else float(where.seconds),
            "places": [place_key(n) for n in dict.fromkeys(where.places)][:MAX_PLACES],
            "dirs": ancestor_keys(where.path),
            "vector": np.asarray(vector, np.float32).tolist(),
        }

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        id_list = [int(i) for i in np.asarray(ids).tolist()]
        for start in range(0, len(id_list), WRITE_CHUNK):
            chunk = id_list[start : start + WRITE_CHUNK]
            placed = self.catalog.placement(chunk)
            rows = [
                self._row(i, placed[i], v)
                for i, v in zip(chunk, vectors[start : start + WRITE_CHUNK], strict=True)
                if i in placed  # forgotten since (removed): nothing to place
            ]
            if rows:
                self._call(
                    lambda rows=rows: self.client.upsert(self.collection, rows), "add photos"
                )

    def refresh(self, file_ids: Sequence[int]) -> None:
        """Re-send these photos' rows (their place was named since they were sent)."""
        vectors = self.catalog.vectors_by_id(list(file_ids), self.model, self.dim)
        if vectors:
            self.add(np.array(list(vectors), np.int64), np.stack(list(vectors.values())))

    def remove(self, ids: np.ndarray) -> None:
        keys = [self._pk(int(i)) for i in np.asarray(ids).tolist()]
        for start in range(0, len(keys), WRITE_CHUNK):
            chunk = keys[start : start + WRITE_CHUNK]
            self._call(
                lambda chunk=chunk: self.client.delete(self.collection, ids=chunk), "remove photos"
            )

    def needs_approximate(self) -> bool:
        return False  # Milvus keeps its own (HNSW) index

    def build_approximate(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        return None

    def __len__(self) -> int:
        """Vectors in the store, every library's."""
        return self._count("")

    def count(self, filters: SearchFilters | None) -> int:
        return self._count(self._expression(filters))

    def count_mine(self) -> int:
        return self._count(f"library == {_literal(self.library)}")

    def _count(self, expr: str) -> int:
        rows = self._call(
            lambda: self.client.query(self.collection, filter=expr, output_fields=["count(*)"]),
            "count photos",
        )
        return int(rows[0]["count(*)"]) if rows else 0

    # --- content identity: encode once, split the work -------------------------------------

    def known_vectors(self, fingerprints: list[str]) -> dict[str, np.ndarray]:
        wanted = sorted({f for f in fingerprints if f})
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            # photos only (seconds -1): a video's moments share its fingerprint
            expr = f"fingerprint in [{', '.join(_literal(f) for f in chunk)}] and seconds < 0"
            rows = self._call(
                lambda expr=expr: self.client.query(
                    self.collection, filter=expr, output_fields=["fingerprint", "vector"]
                ),
                "look up known photos",
            )
            for row in rows:
                found.setdefault(row["fingerprint"], np.asarray(row["vector"], np.float32))
        return found

    def owns(self, fingerprint: str) -> bool:
        if self.shard is None:
            return True
        index, count = self.shard
        return int(fingerprint[:8], 16) % count == index

    # --- search -----------------------------------------------------------------------------

    @staticmethod
    def _expression(filters: SearchFilters | None) -> str:
        """The filters as a Milvus scalar expression, applied inside the vector search. They
        hold for every library's photos alike (the folder as each machine sees its paths)."""
        if filters is None:
            return ""
        parts = []
        if filters.folder is not None:
            parts.append(f"array_contains(dirs, {_literal(dir_key(filters.folder))})")
        if filters.date_from is not None:
            parts.append(f"taken_at >= {float(filters.date_from)!r}")
        if filters.date_to is not None:
            parts.append(f"taken_at < {float(filters.date_to)!r}")
        if filters.place:
            parts.append(f"array_contains(places, {_literal(place_key(filters.place))})")
        return " and ".join(parts)

    def place_of(self, vector_id: int) -> RemotePlace | None:
        with self._lock:
            found = self._remote.get(vector_id)
        return found[1] if found else None

    def _remote_id(self, pk: str, place: RemotePlace) -> int:
        with self._lock:
            vector_id = self._remote_ids.get(pk)
            if vector_id is None:
                vector_id = self._remote_ids[pk] = -1 - len(self._remote_ids)
            self._remote[vector_id] = (pk, place)
            return vector_id

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        filters: SearchFilters | None = None,
    ) -> Hits:
        if allowed is not None:
            return self._exact(query, allowed, k)
        k = min(k, MAX_TOPK)
        if k <= 0:
            return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        vector = np.asarray(query, np.float32).reshape(-1).tolist()
        fields = ["library", "file_id", "host", "path", "fingerprint", "taken_at", "seconds"]
        result = self._call(
            lambda: self.client.search(
                self.collection,
                data=[vector],
                limit=k,
                filter=self._expression(filters),
                output_fields=fields,
                # one hit per content: a photo on several machines is one result
                group_by_field="content",
                search_params={"metric_type": "IP", "params": {"ef": max(HNSW_EF, k)}},
            ),
            "search",
        )
        hits = list(result[0]) if result else []
        # a content this library holds too is shown as this library's copy (it can open it)
        remote_prints = [
            h["entity"]["fingerprint"]
            for h in hits
            if h["entity"]["library"] != self.library and h["entity"]["seconds"] < 0
        ]
        mine = self.catalog.ids_by_fingerprint([p for p in remote_prints if p])
        ids, scores = [], []
        for hit in hits:
            entity = hit["entity"]
            if entity["library"] == self.library:
                ids.append(int(entity["file_id"]))
            elif entity["seconds"] < 0 and entity["fingerprint"] in mine:
                ids.append(mine[entity["fingerprint"]])
            else:
                seconds = float(entity["seconds"])
                place = RemotePlace(
                    entity["host"],
                    entity["path"],
                    entity["fingerprint"],
                    entity["library"],
                    float(entity["taken_at"]),
                    seconds if seconds >= 0 else None,
                )
                ids.append(self._remote_id(hit["location"], place))
            scores.append(float(hit["distance"]))
        return Hits(np.array(ids, np.int64), np.array(scores, np.float32))

    def _exact(self, query: np.ndarray, allowed: np.ndarray, k: int) -> Hits:
        """Exact scores of these ids (the vectors are read by key, the products taken here):
        what the match rule needs, whatever the approximate search returned."""
        wanted = [int(i) for i in np.asarray(allowed).tolist()]
        with self._lock:
            keys = {
                (self._remote[i][0] if i in self._remote else None) if i < 0 else self._pk(i): i
                for i in wanted
            }
        keys.pop(None, None)  # type: ignore[call-overload]
        pks = list(keys)
        ids: list[int] = []
        vectors: list[list[float]] = []
        for start in range(0, len(pks), WRITE_CHUNK):
            chunk = pks[start : start + WRITE_CHUNK]
            rows = self._call(
                lambda chunk=chunk: self.client.get(
                    self.collection, ids=chunk, output_fields=["vector"]
                ),
                "score photos",
            )
            for row in rows:
                ids.append(keys[row["location"]])
                vectors.append(row["vector"])
        if not ids:
            return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        query = np.asarray(query, np.float32).reshape(-1)
        scores = np.asarray(vectors, np.float32) @ query
        order = np.argsort(-scores, kind="stable")[: max(k, 0)]
        return Hits(np.array(ids, np.int64)[order], scores[order])

    # --- keeping the store true to the catalog ---------------------------------------------

    def _state_path(self, index_path: Path) -> Path:
        return index_path.with_name(index_path.stem + ".milvus.json")

    def _state(self, stamp: str) -> dict[str, str]:
        return {
            "stamp": stamp,
            "uri": self.uri,
            "collection": self.collection,
            "library": self.library,
        }

    def save(self, path: Path, stamp: str) -> None:
        """Record that the store holds this catalog generation (the data is in Milvus)."""
        if self._write_failed:  # something may be missing: the next open re-sends it
            self._state_path(path).unlink(missing_ok=True)
            return
        atomic_write_text(self._state_path(path), json.dumps(self._state(stamp)))

    def synchronise(self, path: Path, stamp: str) -> int:
        """Bring this library's rows in the store in line with the catalog; rows changed."""
        state_file = self._state_path(path)
        try:
            saved = json.loads(state_file.read_text())
        except (OSError, ValueError):
            saved = None
        if saved == self._state(stamp):
            return 0  # the usual open: no vectors read
        ids, vectors = self.catalog.vectors(self.model, self.dim)
        started = time.monotonic()
        present = self._my_ids()
        wanted = set(ids.tolist())
        missing = np.array(
            [i for i, vector_id in enumerate(ids.tolist()) if vector_id not in present], np.int64
        )
        if len(missing):
            self.add(ids[missing], vectors[missing])
        extra = np.array(sorted(present - wanted), np.int64)
        self.remove(extra)
        self.save(path, stamp)
        log.info(
            "shared store brought up to date: %d sent, %d withdrawn in %.1f s",
            len(missing),
            len(extra),
            time.monotonic() - started,
        )
        return len(missing) + len(extra)

    def _my_ids(self) -> set[int]:
        """This library's vector ids in the store, read in id ranges (a query returns at most
        16384 rows); moments sit at 2^48 and above, read from there."""
        found: set[int] = set()
        top = self.catalog.max_vector_id()
        for low, high in ((0, MOMENT_ID_BASE), (MOMENT_ID_BASE, 1 << 62)):
            while low < high:
                expr = (
                    f"library == {_literal(self.library)} and file_id >= {low} "
                    f"and file_id < {min(low + MAX_TOPK, high)}"
                )
                rows = self._call(
                    lambda expr=expr: self.client.query(
                        self.collection, filter=expr, output_fields=["file_id"], limit=MAX_TOPK
                    ),
                    "read this library's photos",
                )
                found.update(int(r["file_id"]) for r in rows)
                low += MAX_TOPK
                if low > top and not rows:  # past the catalog's ids and nothing stale beyond
                    break
        return found
