"""Output of the `magpie` command: JSON or text on stdout, progress and logs on stderr."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from magpie.core.engine import SearchResult
    from magpie.core.indexer import Progress


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
        from magpie.core.library import Library
        from magpie.core.logs import log_to_library

        log_to_library(Library(library_root))


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


def stderr_progress(args: argparse.Namespace) -> Callable[[Progress], None]:
    """Progress of indexing (photos, then videos in seconds of footage)."""

    def detail(p: Progress) -> str:
        eta = f", {p.eta_s:.0f} s left" if p.eta_s is not None else ""
        if getattr(p, "unit", "photos") == "seconds":
            return f"videos: {p.done}/{p.total} s of footage at {p.rate:.1f} s/s{eta}"
        return f"{p.done}/{p.total} at {p.rate:.1f}/s{eta}"

    return _pass_progress("indexing", detail)


def text_progress(args: argparse.Namespace) -> Callable[[Any], None]:
    """Progress of the text-reading pass (OCR), on its own line after indexing."""
    return _pass_progress("reading text", lambda p: f"{p.done}/{p.total} at {p.rate:.1f}/s")


def _pass_progress(label: str, detail: Callable[[Any], str]) -> Callable[[Any], None]:
    """A pass over files on stderr: one redrawn line with the current file on a terminal,
    a line per 10% otherwise."""
    bar = ProgressBar(sys.stderr, label)

    def report(p: Any) -> None:
        if bar.tty:
            bar.stream.write(f"\r{label} {detail(p)} {Path(p.current).name[:40]:<40}")
            bar.stream.flush()
        else:
            bar.update(p.done, p.total, detail(p))

    return report


def print_results(args: argparse.Namespace, results: list[SearchResult]) -> None:
    """Matches first (`match`: true), then the less likely ones (contract: DESIGN.md)."""
    matches = sum(1 for r in results if r.match)
    document = {
        "results": [
            {
                "path": r.path,
                "score": round(r.score, 6),
                "match": r.match,
                "confidence": round(r.confidence, 4),
                **({"found_in": list(r.why)} if r.why else {}),
                **({"time": round(r.time, 3)} if r.time is not None else {}),
                **({"companions": list(r.companions)} if r.companions else {}),
                # a shared store: the photo lives on that machine, at `path` there
                **({"machine": r.machine} if getattr(r, "machine", None) else {}),
            }
            for r in results
        ],
        "matches": matches,
    }

    def text() -> str:
        if not results:
            return "no results"
        lines = [f"{matches} match{'es' if matches != 1 else ''}" if matches else "nothing close"]
        for i, r in enumerate(results):
            if i == matches:
                lines.append("-- less likely --")
            found = f"  (words found in its {', '.join(r.why)})" if r.why else ""
            where = f"  (on {r.machine})" if getattr(r, "machine", None) else ""
            lines.append(f"{r.score:.3f}  {r.path}{_moment_text(r)}{where}{found}")
        return "\n".join(lines)

    emit(args, document, text)


def _moment_text(result: Any) -> str:
    seconds = getattr(result, "time", None)
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    return f"  at {int(minutes)}:{rest:05.2f}"
