"""Big collections are freed by one long-lived worker, never on the caller's thread."""

from __future__ import annotations

import threading

from magpie.gui import release


def test_big_collections_are_emptied_by_one_worker_thread() -> None:
    rows = list(range(release.BIG * 3))
    keys = {i: str(i) for i in range(release.BIG)}
    small = list(range(10))
    release.release_in_background(rows, keys, small)
    release.release_in_background(list(range(release.BIG)))
    assert release.drained()
    assert rows == [] and keys == {}
    assert small == list(range(10))  # too small to be worth a hand-over: left as it was
    workers = [t for t in threading.enumerate() if t.name == "magpie-release"]
    assert len(workers) == 1  # not one thread per release
