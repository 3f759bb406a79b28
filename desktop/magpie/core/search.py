"""One search: text and/or images (weighted), exclusions, lexical words, matches, order.

The engine embeds and owns the vector store; this module plans a query over the store's
public calls only (core/stores/base.py: search, count, place_of), so it works the same on the
local FAISS index and on a shared Milvus store:

- filters (folder, dates, place) are the catalog's ids on FAISS, and a scalar filter inside
  the search on a store that pushes them (Milvus), where other machines' photos pass the same
  filters and come back with where they live; the match rule gets exact scores either way;

- each part of the query (the text, the images) is scored and turned into z-scores against
  its own background (the library's scores for it, from a sample); parts are combined in z,
  so a text and an image, whose cosines live on different scales, weigh what the user asks;
- matching.judge decides how many of the best results match;
- excluded terms ("beach -people") drop the photos that *match* them, judged the same way;
- file, folder and camera words (lexical.py, FTS5) that hold all of the query's words mark a
  photo as a match, and reciprocal rank fusion orders the matches by both signals;
- a photo whose file is gone, changed or unreadable since it was embedded is never returned.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from magpie.core import lexical, matching
from magpie.core.catalog import Catalog, SearchableFile
from magpie.core.stores.base import RemotePlace, SearchFilters
from magpie.core.video import moment_key

log = logging.getLogger("magpie.search")

ORDERS = ("best", "date")
BACKGROUND_SIZE = 2048
# Candidates looked at beyond the page asked for: matches past the page still count.
POOL_EXTRA = 128
RRF_K = 60  # reciprocal rank fusion's damping constant (Cormack et al.)
MAX_LEXICAL = 500

_EXCLUDE = re.compile(r'(?:(?<=\s)|^)-(?:"([^"]+)"|([^\s"-][^\s]*))')


@dataclass(frozen=True)
class SearchResult:
    path: str
    score: float
    file_id: int
    fingerprint: str | None = None  # the thumbnail cache key
    match: bool = False  # Magpie judges this photo to show what was asked
    confidence: float = 0.0  # 0..1: how sure the match is not chance (< 0.5: not a match)
    why: tuple[str, ...] = ()  # lexical sources that matched: name, folder, camera...
    taken: float | None = None  # date taken, else modification time
    time: float | None = None  # a moment inside a video: where it starts, in seconds
    companions: tuple[str, ...] = ()  # the same shot's RAW or Live Photo motion (pairs.py)
    aspect: float | None = None  # width / height, upright (the grid's proportions); None: unknown
    machine: str | None = None  # a shared store: another machine holds it (path is there)


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    images: tuple[Any, ...] = ()  # ImageSource: path or encoded bytes
    vectors: tuple[np.ndarray, ...] = ()  # image vectors already known (a library photo)
    text_weight: float = 0.5  # share of the text when both text and images are given
    exclude: tuple[str, ...] = ()
    order: str = "best"
    k: int = 50
    offset: int = 0
    threshold: float | None = None  # an optional raw-score floor (CLI --threshold)
    folder: str | Path | None = None
    date_from: float | None = None
    date_to: float | None = None
    place: str | None = None  # only photos taken there (a town, city, region or country)
    sensitivity: int = 0
    skip: frozenset[int] = frozenset()  # never returned (the photo "similar" starts from)


def parse_text(text: str) -> tuple[str, list[str]]:
    """'beach -people -"red car"' -> ('beach', ['people', 'red car'])."""
    excluded = [quoted or bare for quoted, bare in _EXCLUDE.findall(text)]
    positive = " ".join(_EXCLUDE.sub(" ", text).split())
    return positive, [e.strip() for e in excluded if e.strip()]


class BackgroundSampler:
    """A random sample of the library's vectors, refreshed as the library changes."""

    def __init__(self, catalog: Catalog, model: str, dim: int) -> None:
        self.catalog, self.model, self.dim = catalog, model, dim
        self._lock = threading.Lock()
        self._stamp: str | None = None
        self._ids = np.zeros(0, np.int64)
        self._vectors = np.zeros((0, dim), np.float32)
        self._taken_at = 0.0

    def _refresh(self) -> None:
        stamp = self.catalog.generation(self.model)
        # during a long index the generation moves every batch: resample at most every 30 s
        if stamp == self._stamp or (self._stamp and time.monotonic() - self._taken_at < 30):
            return
        self._ids, self._vectors = self.catalog.sample_vectors(
            self.model, self.dim, BACKGROUND_SIZE
        )
        self._stamp, self._taken_at = stamp, time.monotonic()

    def _load(self, ids: np.ndarray) -> np.ndarray:
        return self.catalog.vectors_for(ids.tolist(), self.model, self.dim)

    def sample(self, allowed: np.ndarray | None) -> np.ndarray:
        with self._lock:
            self._refresh()
            if allowed is None:
                return self._vectors
            if len(allowed) <= BACKGROUND_SIZE:
                return self._load(allowed)
            mask = np.isin(self._ids, allowed)
            if mask.sum() >= 256:
                return self._vectors[mask]
            picked = np.random.default_rng(0).choice(allowed, BACKGROUND_SIZE, replace=False)
            return self._load(picked)


@dataclass
class _Part:
    vector: np.ndarray
    weight: float
    background: matching.Background


def _thumbnail_key(fingerprint: str | None, seconds: float | None) -> str | None:
    return moment_key(fingerprint, seconds) if fingerprint and seconds is not None else fingerprint


def _confidence(by_words: bool, matched: bool, judged: float) -> float:
    """Words found in full: certain; a match: as judged; not a match: below one half."""
    return 1.0 if by_words else judged if matched else min(judged, 0.49)


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


class Search:
    """Runs one SearchRequest; built by the engine with what it owns."""

    def __init__(
        self,
        catalog: Catalog,
        model: str,
        store: Any,  # a VectorStore (core/stores), or a bare VectorIndex
        sampler: BackgroundSampler,
        embed_text: Callable[[str], np.ndarray],
        embed_images: Callable[[Sequence[Any]], np.ndarray],
        group: Callable[[list[SearchResult]], list[SearchResult]] | None = None,
    ) -> None:
        self.catalog, self.model, self.store, self.sampler = catalog, model, store, sampler
        self.embed_text, self.embed_images = embed_text, embed_images
        self.group = group  # folds a shot's companions (RAW, Live Photo motion) into one item

    def run(self, request: SearchRequest) -> list[SearchResult]:
        positive, excluded = parse_text(request.text)
        excluded += [e for e in request.exclude if e.strip()]
        allowed = None
        if (
            request.folder is not None
            or request.date_from is not None
            or request.date_to is not None
        ):
            where = Path(request.folder).expanduser().resolve() if request.folder else None
            allowed = self.catalog.ids_matching(where, request.date_from, request.date_to)
        if request.place:
            at_place = self.catalog.ids_at_place(request.place)
            allowed = at_place if allowed is None else np.intersect1d(allowed, at_place)
        # allowed: this library's ids (lexical words, background); a pushing store applies
        # `filters` inside its search, to every machine's photos
        filters = SearchFilters.of(
            request.folder, request.date_from, request.date_to, request.place
        )
        if self._pushes:
            searched = self.store.count(filters)
        else:
            searched = len(allowed) if allowed is not None else len(self.store)
        if searched == 0:
            return []
        # the background is this library's photos (all of them if none here pass the filters)
        background = self.sampler.sample(allowed if allowed is None or len(allowed) else None)
        parts = self._parts(request, positive, background)
        if not parts:
            return []
        want = request.offset + request.k
        pool = self._pool(parts, min(want + POOL_EXTRA, searched), allowed, filters, request.skip)
        lexical_hits, needed = self._lexical(positive, allowed, searched)
        full = {h.file_id: h for h in lexical_hits if h.matched == needed and needed > 0}
        missing = [i for i in list(full)[:MAX_LEXICAL] if i not in pool and i not in request.skip]
        if missing:
            pool.update(self._scores(parts, np.array(missing, np.int64)))
        ids = np.array(list(pool), dtype=np.int64)
        if len(ids) == 0:
            return []
        scores = np.array([pool[i] for i in ids.tolist()])  # [n, parts]
        value, raw, back = self._combine(parts, scores, background)
        order = np.argsort(-value, kind="stable")
        ids, value, raw = ids[order], value[order], raw[order]
        judgement = matching.judge_scores(value, back, searched, request.sensitivity)
        matched = set(ids[: judgement.matches].tolist()) | set(full)
        confidences = dict(zip(ids.tolist(), judgement.confidences.tolist(), strict=True))
        dropped = self._excluded(excluded, ids, allowed, searched, background, request)
        # vector ids are file ids, or moments of a video (their own id range): both map to a
        # file, and a moment keeps its time
        moments = self.catalog.moments_for(ids.tolist())
        file_of = {i: moments[i][0] if i in moments else i for i in ids.tolist()}
        by_file = self.catalog.searchable(sorted(set(file_of.values())), self.model)
        files = {i: by_file[f] for i, f in file_of.items() if f in by_file}
        remote = self._remote(ids)  # other machines' photos: negative ids
        for i, place in remote.items():
            files[i] = SearchableFile(place.path, place.fingerprint or None, -1, -1, place.taken)
            file_of[i] = -1
            if place.seconds is not None:
                moments[i] = (-1, place.seconds)
        keep = [i for i in ids.tolist() if i in files and i not in dropped]
        raw_of = dict(zip(ids.tolist(), raw.tolist(), strict=True))
        if request.threshold is not None:
            keep = [i for i in keep if raw_of[i] >= request.threshold]
        hits = [i for i in keep if i in matched]
        rest = [i for i in keep if i not in matched]
        hits = self._order_matches(hits, lexical_hits, files, request.order)
        # the disk is asked only about what will be shown (a network share answers slowly)
        candidates = [*hits, *rest]
        limit = want
        while True:  # a pair folds into one item: look further until the page is full
            ordered = self._on_disk(candidates, files, limit, remote)
            results = [
                SearchResult(
                    files[i].path,
                    raw_of[i],
                    file_of[i],
                    _thumbnail_key(files[i].fingerprint, moments[i][1] if i in moments else None),
                    i in matched,
                    1.0
                    if i in full
                    else confidences[i]
                    if i in matched
                    else min(confidences[i], 0.49),
                    full[i].sources if i in full else (),
                    files[i].taken,
                    moments[i][1] if i in moments else None,
                    aspect=files[i].aspect,
                    machine=remote[i].host if i in remote else None,
                )
                for i in ordered
            ]
            if self.group is not None:
                results = self.group(results)
            if len(results) >= want or limit >= len(candidates):
                break
            limit *= 2
        return results[request.offset : want]

    # --- the query's parts ------------------------------------------------------------------

    def _parts(self, request: SearchRequest, text: str, background: np.ndarray) -> list[_Part]:
        vectors: list[tuple[np.ndarray, float]] = []
        has_images = bool(request.images or request.vectors)
        weight = min(max(float(request.text_weight), 0.0), 1.0)
        if text.strip():
            vectors.append((self.embed_text(text), weight if has_images else 1.0))
        if has_images:
            refs = [_unit(v) for v in request.vectors]
            if request.images:
                refs += [_unit(v) for v in self.embed_images(list(request.images))]
            vectors.append((np.mean(refs, axis=0), 1.0 - weight if text.strip() else 1.0))
        parts = []
        for vector, part_weight in vectors:
            vector = _unit(vector)
            if part_weight <= 0:
                continue
            parts.append(_Part(vector, part_weight, matching.Background.of(background @ vector)))
        return parts

    @property
    def _pushes(self) -> bool:
        return bool(getattr(self.store, "pushes_filters", False))

    def _remote(self, ids: np.ndarray) -> dict[int, RemotePlace]:
        if not self._pushes:
            return {}
        places = {i: self.store.place_of(i) for i in ids.tolist() if i < 0}
        return {i: place for i, place in places.items() if place is not None}

    def _pool(
        self,
        parts: list[_Part],
        k: int,
        allowed: np.ndarray | None,
        filters: SearchFilters | None,
        skip: frozenset[int],
    ) -> dict[int, list[float]]:
        """Candidate ids with each part's score: the best of every part, scored by all."""
        found: dict[int, list[float]] = {}
        for p, part in enumerate(parts):
            if self._pushes:  # the filters run inside the store's search
                hits = self.store.search(part.vector, k + len(skip), None, filters)
            else:
                hits = self.store.search(part.vector, k + len(skip), allowed)
            for i, s in zip(hits.ids.tolist(), hits.scores.tolist(), strict=True):
                if i not in skip:
                    found.setdefault(i, [math.nan] * len(parts))[p] = s
        incomplete = [i for i, s in found.items() if any(math.isnan(x) for x in s)]
        if incomplete:
            found.update(self._scores(parts, np.array(incomplete, np.int64)))
        return found

    def _scores(self, parts: list[_Part], ids: np.ndarray) -> dict[int, list[float]]:
        """Every part's score for these ids (the store's search restricted to them)."""
        out: dict[int, list[float]] = {i: [-1.0] * len(parts) for i in ids.tolist()}
        for p, part in enumerate(parts):
            hits = self.store.search(part.vector, len(ids), ids)
            for i, s in zip(hits.ids.tolist(), hits.scores.tolist(), strict=True):
                out[i][p] = s
        return out

    @staticmethod
    def _combine(
        parts: list[_Part], scores: np.ndarray, background: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(value to rank and judge, raw score, the background's values on the same scale).

        One part: its cosine. Several: each part's z against its own background, weighted,
        so a text and an image whose cosines live on different scales count as asked.
        """
        weights = np.array([p.weight for p in parts])
        raw = scores @ weights / weights.sum()
        if len(parts) == 1:
            return scores[:, 0], raw, background @ parts[0].vector
        norm = float(np.linalg.norm(weights))
        z = np.stack([p.background.z(scores[:, j]) for j, p in enumerate(parts)], axis=1)
        bz = np.stack([p.background.z(background @ p.vector) for p in parts], axis=1)
        return z @ weights / norm, raw, bz @ weights / norm

    # --- lexical, exclusions, validity, order ----------------------------------------------

    def _lexical(
        self, text: str, allowed: np.ndarray | None, searched: int
    ) -> tuple[list[lexical.LexicalHit], int]:
        if not text.strip():
            return [], 0
        hits, needed = lexical.find(self.catalog._query, text, max(searched, len(self.store)))
        if allowed is not None:
            inside = set(allowed.tolist())
            hits = [h for h in hits if h.file_id in inside]
        return hits, needed

    def _excluded(
        self,
        terms: list[str],
        ids: np.ndarray,
        allowed: np.ndarray | None,
        searched: int,
        background: np.ndarray,
        request: SearchRequest,
    ) -> set[int]:
        """Ids that match an excluded term, judged by its own scores like any query."""
        dropped: set[int] = set()
        bar = matching.exclusion_bar(searched, request.sensitivity)
        for term in terms:
            vector = _unit(self.embed_text(term))
            back = matching.Background.of(background @ vector)
            if back.informative and len(ids):
                hits = self.store.search(vector, len(ids), ids)
                z = back.z(hits.scores)
                dropped |= set(hits.ids[z >= bar].tolist())
            words_hits, needed = lexical.find(self.catalog._query, term, max(searched, 1))
            dropped |= {h.file_id for h in words_hits if needed and h.matched == needed}
        return dropped

    @staticmethod
    def _on_disk(
        ids: list[int],
        files: dict[int, SearchableFile],
        want: int,
        remote: dict[int, RemotePlace],
    ) -> list[int]:
        """The first `want` ids whose file is still as embedded; gone or changed ones are
        skipped (a file whose folder is gone too is an unplugged drive: kept, offline).
        Another machine's photos are kept: their machine keeps them current."""
        kept: list[int] = []
        for file_id in ids:
            if len(kept) >= want:
                break
            if file_id in remote:
                kept.append(file_id)
                continue
            row = files[file_id]
            try:
                st = os.stat(row.path)
            except FileNotFoundError:
                if not os.path.isdir(os.path.dirname(row.path)):
                    kept.append(file_id)
                continue
            except OSError:
                continue
            if st.st_size == row.size and st.st_mtime_ns == row.mtime_ns:
                kept.append(file_id)  # else changed since: re-read (and re-judged) first
        return kept

    @staticmethod
    def _order_matches(
        hits: list[int],
        lexical_hits: list[lexical.LexicalHit],
        files: dict[int, SearchableFile],
        order: str,
    ) -> list[int]:
        if order == "date":
            return sorted(hits, key=lambda i: (-files[i].taken, i))
        lexical_rank = {h.file_id: r for r, h in enumerate(lexical_hits)}
        fused = {
            i: 1.0 / (RRF_K + r) + (1.0 / (RRF_K + lexical_rank[i]) if i in lexical_rank else 0)
            for r, i in enumerate(hits)
        }
        return sorted(hits, key=lambda i: -fused[i])
