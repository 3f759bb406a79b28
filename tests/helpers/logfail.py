"""A test fails on an unexpected WARNING or worse from Magpie's loggers (qutebrowser's logfail).

A test that expects warnings says so: `@pytest.mark.logs_warnings`, or it asserts them with
`caplog`. Exceptions on worker threads are logged by the host (ERROR) or reach
threading.excepthook, which pytest turns into a failing warning: both fail the test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

WATCHED = ("", "magpie")  # root, and magpie's own tree (the CLI stops it propagating)
# Third-party messages that say nothing about Magpie, each with its reason.
KNOWN_NOISE = (
    # watchdog logs this when an observer is stopped while inotify still delivers an event
    # (a watcher restarted on reopen); the event is dropped by design, nothing is lost
    ("watchdog.observers.inotify", "queue_events() called when the thread is inactive"),
)


class LogFailHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if any(record.name == n and t in record.getMessage() for n, t in KNOWN_NOISE):
            return
        if all(r is not record for r in self.records):  # seen once though attached twice
            self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_unexpected_warnings(request: pytest.FixtureRequest) -> Iterator[None]:
    handler = LogFailHandler()
    loggers = [logging.getLogger(name) for name in WATCHED]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    expected = (
        request.node.get_closest_marker("logs_warnings") is not None
        or "caplog" in request.fixturenames
    )
    if handler.records and not expected:
        lines = "\n".join(
            f"  {r.levelname} {r.name}: {r.getMessage()}" for r in handler.records[:20]
        )
        pytest.fail(
            "unexpected warnings were logged (mark the test logs_warnings if they are meant):\n"
            + lines,
            pytrace=False,
        )
