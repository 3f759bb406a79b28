"""The library's outline for the timeline: how many photos each month holds, newest first.

One GROUP BY over the catalog (local time, as the window shows dates), run on the host's query
lane: the date scrubber places years and months by it before the pages holding them load.
"""

from __future__ import annotations

import os
from pathlib import Path

from magpie.core.catalog import _CURRENT, _NOT_EXCLUDED, Catalog, encode_path


def month_counts(
    catalog: Catalog, model: str, folder: str | Path | None = None
) -> list[tuple[int, int, int]]:
    """(year, month, photos) for every month with indexed photos, newest month first; the
    same photos, dates and folder filter as Catalog.newest (the library's browse order)."""
    where, args = f" WHERE f.id {_NOT_EXCLUDED}", [model]
    if folder is not None:
        prefix = encode_path(os.path.join(os.fspath(folder), ""))
        where += " AND f.path >= ? AND f.path < ?"
        args += [prefix, prefix[:-1] + bytes([prefix[-1] + 1])]
    rows = catalog._query(
        "SELECT strftime('%Y-%m', COALESCE(f.taken_at, f.mtime_ns / 1e9), 'unixepoch', "
        f"'localtime') AS month, count(*) FROM files f {_CURRENT}{where} "
        "GROUP BY month ORDER BY month DESC",
        args,
    )
    out = []
    for month, count in rows:
        if month:
            year, number = month.split("-")
            out.append((int(year), int(number), int(count)))
    return out
