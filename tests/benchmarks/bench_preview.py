"""How fast the preview opens and how fast the full photo follows (run by hand).

    QT_QPA_PLATFORM=offscreen MAGPIE_SHARED=/work/shared python tests/benchmarks/bench_preview.py

Over the real photos in ../shared/photos/large (41, 0.7 to 20 megapixels), indexed with the
tests' tiny colour pack (the model plays no part in a preview), text reading off. Every grid
thumbnail is loaded first (the "cached photos" case). Then, for each photo:

- open: from the call that opens the preview until it has painted the cached thumbnail
  (open_preview, then a synchronous repaint of the picture);
- full: until the decoded photo is on screen (decoded on a background lane);
- the same measured for the old preview, which showed nothing until it had decoded the
  photo at 1600 px (load_qimage on the GUI thread here, to time the decode alone);
- stepping: → through all photos with 0.5 s on each (neighbours are decoded ahead), the
  time until each full photo is up, and the longest GUI-thread stall meanwhile.

Prints JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from bench_gui_stall import StallMeter
    from magpie.core.library import Library
    from magpie.core.pack_store import import_pack
    from magpie.gui.app import create_window
    from magpie.gui.thumbnails import load_qimage
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from tests.helpers.packs import make_colour_pack
    from tests.helpers.shared import SHARED_PHOTOS

    if not SHARED_PHOTOS.is_dir():
        sys.exit(f"no photos at {SHARED_PHOTOS} (set MAGPIE_SHARED)")
    app = QApplication(sys.argv)
    work = Path(tempfile.mkdtemp(prefix="magpie-preview-"))
    library = Library(work / "library")
    import_pack(library, make_colour_pack(work / "pack"))
    settings = library.load_settings()
    settings.read_text = False  # OCR would share the 2 cores with what is measured
    library.save_settings(settings)
    window = create_window(str(library.root))
    window.resize(1280, 800)
    window.show()

    def spin(condition: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            app.processEvents()
            time.sleep(0.001)
        return True

    spin(lambda: window.ready, 120)
    window.add_folder(str(SHARED_PHOTOS))
    count = len([p for p in SHARED_PHOTOS.iterdir() if p.is_file()])
    spin(lambda: window.results.rowCount() >= count and window.indexing_state == "idle", 900)
    results = window.results
    rows = results.rowCount()
    for row in range(rows):  # the grid's thumbnails, as after scrolling past every photo
        spin(
            lambda row=row: results.index(row).data(Qt.ItemDataRole.DecorationRole) is not None, 60
        )

    opens, fulls, old_first = [], [], []
    for row in range(rows):
        preview = window.preview
        if preview is not None:  # a cold open: nothing decoded ahead, nothing in flight
            spin(lambda p=preview: not p._decoding, 60)
            preview._decoded_images.clear()
        started = time.perf_counter()
        window.open_preview(results.index(row))
        preview = window.preview
        assert preview is not None
        preview.picture.viewport().repaint()
        opens.append((time.perf_counter() - started) * 1000)
        spin(lambda p=preview: p.full_shown, 60)
        fulls.append((time.perf_counter() - started) * 1000)
        path = results.result(row).path
        started = time.perf_counter()
        load_qimage(path, None, None, 1600)  # the old preview's first picture
        old_first.append((time.perf_counter() - started) * 1000)

    # stepping with → through every photo, half a second on each
    preview = window.preview
    assert preview is not None
    spin(lambda: not preview._decoding, 60)
    preview._decoded_images.clear()
    preview.show_row(0)
    spin(lambda: preview.full_shown, 60)
    meter = StallMeter(window)
    meter.start()
    steps, ready_on_arrival = [], 0
    for row in range(1, rows):
        spin(lambda: False, 0.5)
        started = time.perf_counter()
        preview.show_row(row)
        ready_on_arrival += preview.full_shown
        spin(lambda: preview.full_shown, 60)
        steps.append((time.perf_counter() - started) * 1000)
    stall = meter.stop()

    result = {
        "photos": rows,
        "open_cached_thumbnail": summary(opens),
        "full_photo_cold": summary(fulls),
        "old_preview_first_picture_1600px": summary(old_first),
        "open_vs_old_first_picture_median": round(
            statistics.median(opens) / statistics.median(old_first), 3
        ),
        "stepping_0_5s_per_photo": {
            **summary(steps),
            "full_photo_ready_on_arrival": f"{ready_on_arrival}/{rows - 1}",
            "gui_stall": stall,
        },
        "load_average": [round(v, 1) for v in os.getloadavg()],
    }
    print(json.dumps(result, indent=2))
    window.host.shutdown()
    window.thumbnails.wait()
    window.close()
    app.processEvents()


if __name__ == "__main__":
    main()
