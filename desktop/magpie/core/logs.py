"""Magpie's log file: <library>/logs/magpie.log, rotating; the one set-up the app and the
command line share (the CLI adds its console handler, the app has no terminal)."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from magpie.core.library import Library

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_library(library: Library) -> bool:
    """Send the `magpie` loggers to the library's log file (once), instead of any other
    library's; False if it cannot be written (a read-only library still answers queries)."""
    logger = logging.getLogger("magpie")
    logger.setLevel(logging.INFO)
    target = library.log_file
    for handler in list(logger.handlers):
        if isinstance(handler, RotatingFileHandler):
            if Path(handler.baseFilename) == target:
                return True
            logger.removeHandler(handler)  # one library per process: the last one opened
            handler.close()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(target, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return False
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    return True
