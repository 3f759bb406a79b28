"""Waiting for background work: a polling wait, and a watch loop run on a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from magpie.core.engine import Engine

TIMEOUT_S = 20


def wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


class Watching:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.reports: list = []
        self.thread = threading.Thread(
            target=engine.watch,
            args=(self.stop, self.reports.append),
            kwargs={
                "quiet_s": 0.3,
                "polling_interval_s": 0.2,
                "on_ready": lambda _: self.ready.set(),
            },
            daemon=True,
        )

    def names(self, query: str, k: int = 10) -> list[str]:
        return [Path(r.path).name for r in self.engine.search(query, k=k, threshold=0.99)]
