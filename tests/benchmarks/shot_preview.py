"""Screenshots of the preview and of words and places in the window (by hand, under Xvfb).

    xvfb-run -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb MAGPIE_SHARED=/work/shared \
        python tests/benchmarks/shot_preview.py --out DIR

Over a few of ../shared/photos/large plus generated ones (a sign with words, photos with GPS
in Lisbon and Zürich), indexed with the tests' colour pack, the text pass run. Writes
DIR/preview-photo.png (a real photo with its details), preview-text.png (the sign: its
recognised words), places.png (the Places view and the "At Lisbon" chip, text progress line).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from magpie.core.library import Library
    from magpie.core.pack_store import import_pack
    from magpie.gui.app import create_window
    from PySide6.QtWidgets import QApplication, QWidget

    from tests.helpers.exif import lens_photo
    from tests.helpers.packs import COLOURS, make_colour_pack
    from tests.helpers.scenes import LISBON, ZURICH, gps_photo, sign_photo
    from tests.helpers.shared import SHARED_PHOTOS

    app = QApplication(sys.argv)
    work = Path(tempfile.mkdtemp(prefix="magpie-shot-preview-"))
    photos = work / "photos"
    photos.mkdir()
    for source in sorted(SHARED_PHOTOS.iterdir())[:6]:
        shutil.copy(source, photos / source.name)
    sign_photo(photos / "receipt.jpg", "MIGROS 12.50", size=(1600, 1000), font_px=120)
    gps_photo(photos / "tram.jpg", COLOURS["red"], LISBON)
    gps_photo(photos / "lake.jpg", COLOURS["blue"], ZURICH)
    lens_photo(photos / "lens.jpg", COLOURS["green"], "RF24-105mm F4 L IS USM")
    library = Library(work / "library")
    import_pack(library, make_colour_pack(work / "pack"))
    window = create_window(str(library.root))
    window.resize(1280, 800)
    window.show()
    args.out.mkdir(parents=True, exist_ok=True)

    def wait(condition: Callable[[], bool], timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 0.8) -> None:
        wait(lambda: False, seconds)

    def shot(name: str, widget: QWidget) -> None:
        settle()
        path = args.out / name
        widget.grab().save(str(path))
        print(path)

    wait(lambda: window.ready)
    window.add_folder(str(photos))
    wait(lambda: window.text_status.isVisible())
    settle(0.3)
    wait(lambda: window.status.text.get("pending") == 0 and window.status.text.get("read", 0) > 0)
    wait(lambda: window.places_panel.tree.model().rowCount() > 0)
    window.places_panel.tree.expandAll()
    window.set_place_filter("Lisbon")
    shot("places.png", window)
    window.set_place_filter(None)
    wait(lambda: window.results.rowCount() == 10)
    names = [Path(window.results.result(i).path).name for i in range(10)]
    real = next(
        i
        for i, n in enumerate(names)
        if n not in ("receipt.jpg", "tram.jpg", "lake.jpg", "lens.jpg")
    )
    window.open_preview(window.results.index(real))
    preview = window.preview
    assert preview is not None
    wait(lambda: preview.full_shown and "Folder:" in preview.info.text())
    shot("preview-photo.png", preview)
    preview.show_row(names.index("receipt.jpg"))
    wait(lambda: preview.full_shown and "MIGROS" in preview.text_box.toPlainText())
    shot("preview-text.png", preview)
    window.host.shutdown()
    window.thumbnails.wait()


if __name__ == "__main__":
    main()
