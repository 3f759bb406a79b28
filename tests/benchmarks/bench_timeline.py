"""The window over a 100,000-photo timeline: longest GUI stall while it opens, scrolls, jumps
with the date scrubber, changes the thumbnail size, and while indexing (run by hand).

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_timeline.py [--photos N]

The library is synthesised into the catalog directly (as bench_search.py does): N photos over
ten years, mixed shapes, each with a thumbnail already cached (made from the shared photos
when MAGPIE_SHARED or ../shared has them, else from solid colours), so the grid paints real
pixmaps without decoding 100,000 files. The pack is the tests' tiny colour pack: no model
time, only the window's. A 5 ms repeating timer on the GUI thread records the gaps between
its ticks (bench_gui_stall.StallMeter). Target: the longest gap <= 50 ms.
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

SHAPES = [(4000, 3000), (3000, 4000), (6000, 4000), (4000, 4000), (1920, 1080), (8000, 2000)]
YEARS = 10


def build_library(root: Path, n: int, photos: list[Path]) -> str:
    """A library whose catalog holds n indexed photos (their folder offline: never scanned)."""
    from magpie.core import imaging
    from magpie.core.catalog import Catalog, encode_path
    from magpie.core.indexer import ThumbnailCache
    from magpie.core.library import Library
    from magpie.core.pack_store import import_pack

    from tests.helpers.packs import make_colour_pack, solid_image

    library = Library(root)
    pack = make_colour_pack(root.parent / "colour")
    model = import_pack(library, pack).name
    sources = photos or [
        solid_image(root.parent / f"solid-{i}.jpg", ((i * 53) % 255, (i * 97) % 255, 128))
        for i in range(24)
    ]
    cache = ThumbnailCache(library.thumbnails_dir)
    prints = []
    for i, source in enumerate(sources):
        fingerprint = f"bench{i:027x}"
        cache.store(fingerprint, imaging.decode_image(source, min_short_side=256))
        prints.append(fingerprint)
    catalog = Catalog(library.catalog_file)
    folder = catalog.add_folder(Path("/synthetic-offline/photos"))
    newest = time.time() - 86_400
    step = YEARS * 365 * 86_400 / n
    vector = np.ones(8, np.float16).tobytes()
    with catalog.transaction() as db:
        db.executemany(
            "INSERT INTO files(id, folder_id, path, name, size, mtime_ns, fingerprint, state, "
            "updated_at, width, height, taken_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'indexed', ?, ?, ?, ?)",
            (
                (
                    i + 1,
                    folder.id,
                    encode_path(f"/synthetic-offline/photos/{i // 1000:04}/IMG_{i:07}.jpg"),
                    f"IMG_{i:07}.jpg",
                    4_000_000,
                    1_600_000_000 * 10**9 + i,
                    prints[i % len(prints)],
                    newest,
                    *SHAPES[(i * 7) % len(SHAPES)],
                    newest - i * step,
                )
                for i in range(n)
            ),
        )
        db.executemany(
            "INSERT INTO embeddings(file_id, model, vector, source_size, source_mtime_ns) "
            "VALUES (?, ?, ?, ?, ?)",
            ((i + 1, model, vector, 4_000_000, 1_600_000_000 * 10**9 + i) for i in range(n)),
        )
    catalog.close()
    return model


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--scroll-seconds", type=float, default=8.0)
    args = parser.parse_args()

    from bench_gui_stall import StallMeter
    from magpie.gui.app import create_window
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from tests.helpers.shared import SHARED_PHOTOS

    real = sorted(SHARED_PHOTOS.glob("*.jpg")) if SHARED_PHOTOS.is_dir() else []
    work = Path(tempfile.mkdtemp(prefix="magpie-timeline-"))
    started = time.monotonic()
    build_library(work / "library", args.photos, real)
    result: dict[str, object] = {
        "photos": args.photos,
        "thumbnails_from": "shared photos" if real else "solid colours",
        "build_seconds": round(time.monotonic() - started, 1),
    }

    app = QApplication(sys.argv)
    window = create_window(str(work / "library"))
    window.resize(1280, 800)
    window.show()
    grid, results = window.grid, window.results
    meter = StallMeter(window)

    def spin(condition: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.001)
        return condition()

    # 1. opening: the first page and the scrubber's outline (photos per month), off the GUI
    meter.start()
    t0 = time.monotonic()
    spin(lambda: window.ready, 120)
    spin(lambda: results.rowCount() > 0 and grid.scrubber.outline.total == args.photos, 120)
    result["open_seconds"] = round(time.monotonic() - t0, 2)
    result["months_in_outline"] = len(grid.scrubber.outline.months)
    spin(lambda: False, 1.0)
    result["stall_opening"] = meter.stop()

    # the floor: the same window idle for as long (on a shared machine the OS alone stalls it)
    meter.start()
    spin(lambda: False, args.scroll_seconds)
    result["stall_idle_baseline"] = meter.stop()

    # 2. a scrubber jump to the oldest month: pages of 5,000 load and lay out on the way
    meter.start()
    t0 = time.monotonic()
    oldest = grid.scrubber.outline.months[-1]
    grid.jump_to_month(*oldest)
    reached = spin(lambda: grid._jump is None, 300)
    result["jump_to_oldest"] = {
        "seconds": round(time.monotonic() - t0, 2),
        "reached": reached,
        "rows_loaded": results.rowCount(),
        "top_month": grid.top_month(),
    }
    result["stall_jumping_through_100k"] = meter.stop()

    # 3. scrolling the whole timeline, a flick every frame (1,200 px per 16 ms, 75 px/ms)
    bar = grid.verticalScrollBar()
    bar.setValue(0)
    spin(lambda: False, 0.5)
    meter.start()
    frames = {"n": 0}

    def flick() -> None:
        frames["n"] += 1
        value = bar.value() + 1200
        bar.setValue(value if value < bar.maximum() else 0)

    scroller = QTimer(window)
    scroller.setInterval(16)
    scroller.timeout.connect(flick)
    scroller.start()
    spin(lambda: False, args.scroll_seconds)
    scroller.stop()
    result["stall_scrolling"] = {**meter.stop(), "frames": frames["n"]}

    # 4. scrubbing: 40 drags across the years, one every 50 ms
    meter.start()
    months = grid.scrubber.outline.months
    picks = [months[(i * 37) % len(months)] for i in range(40)]

    def scrub() -> None:
        if picks:
            grid.jump_to_month(*picks.pop())
        else:
            scrubber_timer.stop()

    scrubber_timer = QTimer(window)
    scrubber_timer.setInterval(50)
    scrubber_timer.timeout.connect(scrub)
    scrubber_timer.start()
    spin(lambda: not scrubber_timer.isActive(), 30)
    spin(lambda: False, 0.5)
    result["stall_scrubbing"] = meter.stop()

    # 5. the size slider, 100k photos laid out again, the top photo kept at the top
    bar.setValue(bar.maximum() // 2)
    spin(lambda: False, 0.5)
    top_before = grid._top_item()
    meter.start()
    t0 = time.monotonic()
    for size in (200, 120, 160):
        window.size_slider.setValue(size)
        spin(lambda: False, 0.3)
    top_after = grid._top_item()
    result["size_change"] = {
        "top_photo_before": top_before[0] if top_before else None,
        "top_photo_after": top_after[0] if top_after else None,
        **meter.stop(),
    }

    # 6. indexing a real folder while the timeline scrolls
    if real:
        meter.start()
        window.add_folder(str(real[0].parent))
        scroller.start()
        spin(
            lambda: (
                window.status.images >= args.photos + len(real) and window.indexing_state == "idle"
            ),
            300,
        )
        scroller.stop()
        result["stall_scrolling_while_indexing"] = {
            **meter.stop(),
            "indexed": window.status.images,
        }
    result["target_ms"] = 50
    result["load_average"] = os.getloadavg()[0]
    print(json.dumps(result, indent=2))
    window.host.shutdown()
    window.thumbnails.wait()
    window.close()
    window.deleteLater()
    app.processEvents()


if __name__ == "__main__":
    main()
