"""Free big collections off the GUI thread.

Dropping 100,000 results (a new query over a loaded timeline) frees them in one C call that
holds the interpreter for ~100 ms; a worker frees them a slice at a time instead, and the GUI
thread takes the interpreter back between slices. The worker is one long-lived thread fed by
a queue: starting a thread per release made the GUI thread wait for the new thread to be
scheduled (up to 90 ms on a loaded machine).
"""

from __future__ import annotations

import queue
import threading
from typing import Any

BIG = 5000
SLICE = 2000

_pending: queue.SimpleQueue[list[Any] | threading.Event] = queue.SimpleQueue()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def release_in_background(*collections: Any) -> None:
    """Empty these lists and dicts in a worker; the caller must hold no other use of them."""
    big = [c for c in collections if len(c) >= BIG]
    if not big:
        return
    _pending.put(big)  # never blocks
    start()


def drained(timeout: float = 10.0) -> bool:
    """Wait until everything handed over so far is freed (tests)."""
    done = threading.Event()
    _pending.put(done)
    start()
    return done.wait(timeout)


def start() -> None:
    """Start the worker now (cheap, once): the views that release call it when they are made,
    so the first release of a big page never waits for a thread to be scheduled."""
    global _worker
    with _worker_lock:
        if _worker is None:
            # daemon: it holds nothing worth keeping at exit
            _worker = threading.Thread(target=_serve, name="magpie-release", daemon=True)
            _worker.start()


def _serve() -> None:
    while True:
        item = _pending.get()
        if isinstance(item, threading.Event):
            item.set()
            continue
        for collection in item:
            if isinstance(collection, dict):
                while collection:
                    collection.popitem()
            else:
                while collection:
                    del collection[-SLICE:]
