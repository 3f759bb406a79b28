"""Startup: launch -> main window shown, and -> first search answered (run by hand, JSON).

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_startup.py [--size 10000] [--runs 3]

Each run is a new process (as a double-click is), timed from just before it is spawned. The
library is one of bench_search.py's synthetic ones, opened with the random-init ViT-B/32.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

CHILD = """
import sys, time
sys.path.insert(0, {repo!r})
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
from magpie.gui.app import create_window
window = create_window({library!r}, {pack!r})
def shown():
    print("shown", time.time(), flush=True)
    window.search_bar.edit.setText("a dog on a bench")
    window.search_bar.edit.textEdited.emit("a dog on a bench")
QTimer.singleShot(0, shown)  # runs once the event loop is live, the window painted
def answered(page):
    if window.query.text and page.results:
        print("answered", time.time(), flush=True)
        window.host.shutdown()
        app.quit()
window.host.pageReady.connect(answered)
window.show()
app.exec()
"""


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from bench_encoders import random_b32_pack
    from bench_search import make_library

    pack = random_b32_pack()
    library = make_library(args.size, pack.name)
    code = CHILD.format(repo=str(REPO), library=str(library), pack=str(pack))
    shown, answered = [], []
    for _ in range(args.runs):
        start = time.time()
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
        )
        marks = {line.split()[0]: line.split() for line in out.stdout.splitlines() if line.split()}
        shown.append(float(marks["shown"][1]) - start)
        answered.append(float(marks["answered"][1]) - start)
    result = {
        "library_photos": args.size,
        "window_shown_s": round(statistics.median(shown), 2),
        "first_search_answered_s": round(statistics.median(answered), 2),
        "runs": args.runs,
        "targets": {"window_shown_s": 1.5},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
