"""Output of the `magpie` command: JSON or text on stdout, progress and logs on stderr."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any, TextIO


class ProgressBar:
    """A one-line bar on a terminal, a line per 10% otherwise (logs, CI)."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.tty = stream.isatty()
        self._last_tenth = -1
        self._last_draw = 0.0

    def update(self, done: int, total: int | None, detail: str = "") -> None:
        fraction = done / total if total else 0.0
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and done != total:
                return
            self._last_draw = now
            filled = int(fraction * 30)
            size = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
            self.stream.write(
                f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {size} {detail[:30]:<30}"
            )
        else:
            tenth = int(fraction * 10)
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
            self.stream.write(f"{self.label}: {tenth * 10}% {detail}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def setup_logging(args: argparse.Namespace, library_root: Path | None) -> None:
    logger = logging.getLogger("magpie")
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if args.verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("magpie: %(message)s"))
    console.addFilter(lambda record: not record.exc_info)  # tracebacks: log file / --debug only
    logger.addHandler(console)
    logger.propagate = False
    if library_root is not None:
        try:
            (library_root / "logs").mkdir(parents=True, exist_ok=True)
            file_handler = RotatingFileHandler(
                library_root / "logs" / "magpie.log",
                maxBytes=2_000_000,
                backupCount=3,
                encoding="utf-8",
            )
        except OSError:
            return  # a read-only library still answers queries
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        logger.addHandler(file_handler)


def emit(args: argparse.Namespace, document: dict[str, Any], text: Callable[[], str]) -> None:
    if args.json:
        # ASCII escapes keep file names that are not valid UTF-8 representable
        sys.stdout.write(json.dumps(document) + "\n")
    else:
        sys.stdout.write(text() + "\n")
    sys.stdout.flush()


def usage_error(message: str) -> int:
    sys.stderr.write(f"magpie: usage error: {message}\n")
    return 2


def stderr_progress(args: argparse.Namespace) -> Callable[[Any], None]:
    bar = ProgressBar(sys.stderr, "indexing")

    def report(p: Any) -> None:
        eta = f", {p.eta_s:.0f} s left" if p.eta_s is not None else ""
        detail = f"{p.done}/{p.total} at {p.rate:.1f}/s{eta}"
        if bar.tty:
            bar.stream.write(f"\rindexing {detail} {Path(p.current).name[:40]:<40}")
            bar.stream.flush()
        else:
            bar.update(p.done, p.total, detail)

    return report


def print_results(args: argparse.Namespace, results: list[Any]) -> None:
    emit(
        args,
        {"results": [_result_json(r) for r in results]},
        lambda: (
            "\n".join(
                f"{r.score:.3f}  {r.path}" + (f"  (on {r.machine})" if r.machine else "")
                for r in results
            )
            or "no results"
        ),
    )


def _result_json(result: Any) -> dict[str, Any]:
    item = {"path": result.path, "score": round(result.score, 6)}
    if getattr(result, "machine", None):
        item["machine"] = result.machine  # a shared store: the photo lives on that machine
    return item
