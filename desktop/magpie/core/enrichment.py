"""The second pass after embeddings: text read in photos (OCR) and place names from GPS.

It runs only once every photo has its embedding, in small batches that check the same
pause/resume/cancel control as indexing and a `should_yield` callback, so a newly arrived
photo's embedding (what search needs first) never waits behind OCR. Places need no decode
and are done for the whole library in one go; text costs a decode and a detection pass per
photo and is read newest first. Every batch is one transaction, like indexing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from magpie.core import places
from magpie.core.catalog import Catalog, PendingFile
from magpie.core.errors import DecodeError
from magpie.core.indexer import IndexControl
from magpie.core.ocr import READER_ID, TextReader

log = logging.getLogger("magpie.enrichment")

TEXT_BATCH = 8  # photos per transaction (a waiting update gets its turn between photos)


@dataclass(frozen=True)
class EnrichProgress:
    """Progress of the text pass (reported separately from indexing)."""

    done: int
    total: int
    rate: float  # photos per second
    current: str


@dataclass
class EnrichRun:
    places: int = 0
    texts: int = 0
    with_text: int = 0
    unreadable: int = 0
    seconds: float = 0.0
    stopped_early: bool = False  # paused work left for later (cancel, or more urgent work)


def update_places(catalog: Catalog) -> int:
    """Name the place of every photo whose GPS position has no current place. Cheap."""
    pending = catalog.places_pending(places.PLACES_VERSION)
    if not pending:
        return 0
    found = places.places_for([(lat, lon) for _i, lat, lon in pending])
    rows = [
        (
            file_id,
            lat,
            lon,
            None
            if place is None
            else (
                place.locality,
                place.city,
                place.region,
                place.county,
                place.country,
                place.country_code,
            ),
        )
        for (file_id, lat, lon), place in zip(pending, found, strict=True)
    ]
    catalog.store_places(places.PLACES_VERSION, rows)
    return len(rows)


def read_texts(
    catalog: Catalog,
    reader: TextReader,
    progress: Callable[[EnrichProgress], None] | None = None,
    control: IndexControl | None = None,
    should_yield: Callable[[], bool] | None = None,
) -> EnrichRun:
    """Read the text of every photo that needs it, newest first, batch by batch."""
    control = control or IndexControl()
    run = EnrichRun()
    started = time.monotonic()
    total = len(catalog.text_pending(READER_ID))
    done = 0

    def must_stop() -> bool:
        return not control.wait_if_paused() or (should_yield is not None and should_yield())

    while not run.stopped_early:
        if must_stop():
            run.stopped_early = True
            break
        batch = catalog.text_pending(READER_ID, limit=TEXT_BATCH)
        if not batch:
            break
        results = [_read_one(reader, batch[0], run)]
        for item in batch[1:]:  # between photos too: a photo takes seconds on a slow CPU
            if must_stop():
                run.stopped_early = True  # what was read is kept; the rest waits its turn
                break
            results.append(_read_one(reader, item, run))
        catalog.store_text(READER_ID, results)
        done += len(results)
        if progress is not None:
            elapsed = time.monotonic() - started
            rate = done / elapsed if elapsed > 0 else 0.0
            progress(EnrichProgress(done, max(total, done), rate, results[-1][0].path))
    run.seconds = time.monotonic() - started
    return run


def _read_one(
    reader: TextReader, item: PendingFile, run: EnrichRun
) -> tuple[PendingFile, str, float]:
    """A photo that cannot be read is stored with no text: indexing already reported it,
    and it is tried again when it changes."""
    try:
        found = reader.read(item.path)
    except (DecodeError, OSError) as exc:
        log.info("no text read from %s: %s", item.path, exc)
        run.unreadable += 1
        return item, "", 0.0
    except Exception:  # the OCR engine on an odd picture: never stop the pass for one photo
        log.warning("text recognition failed on %s", item.path, exc_info=True)
        run.unreadable += 1
        return item, "", 0.0
    run.texts += 1
    if found.lines:
        run.with_text += 1
    return item, found.text, round(found.seconds, 4)
