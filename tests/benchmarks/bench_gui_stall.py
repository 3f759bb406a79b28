"""Longest GUI event-loop stall while indexing and while typing queries (run by hand).

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_gui_stall.py [--pack DIR] [--photos DIR]

The default pack is a random-init CLIP ViT-B/32 (same compute as the real one). A 5 ms
repeating timer on the GUI thread records the gaps between its ticks: a gap is how long the
window could not react. Target: the longest gap <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

QUERIES = ["a dog on a bench", "sunset over the sea", "red flowers", "a bridge at night", "oranges"]


class StallMeter:
    def __init__(self, parent: object) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer(parent)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        gaps = np.array(self.gaps or [0.0])
        return {
            "max_ms": round(float(gaps.max()), 1),
            "p99_ms": round(float(np.percentile(gaps, 99)), 1),
            "ticks": len(self.gaps),
        }


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", type=Path)
    parser.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "photos" / "large")
    args = parser.parse_args()
    from bench_encoders import random_b32_pack
    from magpie.gui.app import create_window
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    pack = str(args.pack or random_b32_pack())
    app = QApplication(sys.argv)
    library = Path(tempfile.mkdtemp(prefix="magpie-stall-"))
    window = create_window(str(library), pack)
    window.resize(1280, 800)
    window.show()
    meter = StallMeter(window)

    def spin(condition: Callable[[], bool], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.001)

    spin(lambda: window.ready, 120)
    result: dict[str, object] = {"pack": Path(pack).name, "photos": str(args.photos)}

    # 1. indexing the photos, the grid showing what arrives
    meter.start()
    started = time.monotonic()
    window.add_folder(str(args.photos))
    spin(
        lambda: (
            bool(window.status.images)
            and window.status.pending == 0
            and not window.progress_bar.isVisible()
        ),
        600,
    )
    result["indexing_seconds"] = round(time.monotonic() - started, 1)
    result["indexed"] = window.status.images
    result["stall_while_indexing"] = meter.stop()

    # 2. typing queries key by key (80 ms apart, a brisk typist), searches in the background
    keys = list("\n".join(QUERIES))
    meter.start()

    def type_next() -> None:
        if not keys:
            typer.stop()
            return
        key = keys.pop(0)
        if key == "\n":
            window.search_bar.edit.clear()
        else:
            QTest.keyClicks(window.search_bar.edit, key)

    typer = QTimer(window)
    typer.setInterval(80)
    typer.timeout.connect(type_next)
    typer.start()
    spin(lambda: not typer.isActive(), 120)
    spin(lambda: False, 1.0)  # the last search lands
    result["stall_while_typing"] = meter.stop()
    result["target_ms"] = 50
    print(json.dumps(result, indent=2))
    window.host.shutdown()
    window.thumbnails.wait()
    window.close()
    window.deleteLater()
    app.processEvents()


if __name__ == "__main__":
    main()
