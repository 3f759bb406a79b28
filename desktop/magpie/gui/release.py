"""Free big collections off the GUI thread.

Dropping 100,000 results (a new query over a loaded timeline) frees them in one C call that
holds the interpreter for ~100 ms; a worker frees them a slice at a time instead, and the GUI
thread takes the interpreter back between slices.
"""

from __future__ import annotations

import threading
from typing import Any

BIG = 5000
SLICE = 2000


def release_in_background(*collections: Any) -> None:
    """Empty these lists and dicts in a worker; the caller must hold no other use of them."""
    big = [c for c in collections if len(c) >= BIG]
    if not big:
        return

    def work() -> None:
        for collection in big:
            if isinstance(collection, dict):
                while collection:
                    collection.popitem()
            else:
                while collection:
                    del collection[-SLICE:]

    threading.Thread(target=work, name="magpie-release", daemon=True).start()
