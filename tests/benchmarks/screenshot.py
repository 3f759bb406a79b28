"""Screenshot of the real app window on an X display (run by hand, e.g. under Xvfb).

    Xvfb :99 -screen 0 1920x1080x24 &
    DISPLAY=:99 python tests/benchmarks/screenshot.py \
        --model ../shared/packs/bridge-effnetl0-minilm --photos ../shared/photos/large \
        --query "a bee" --size 1280x800 --out shot.png

Indexes the photos into a temporary library (unless --library is given), types the query
into the search bar key by key, waits for the thumbnails, then grabs the screen.

All four README shots (1280x800 and 1920x1080, light and dark) in one command, each under its
own Xvfb (xvfb-run), over one library indexed once:

    python tests/benchmarks/screenshot.py --all resources/screenshots \
        --model /work/shared/packs/bridge-effnetl0-minilm --photos /work/shared/photos/large
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--library", type=Path)
    parser.add_argument("--query", default="a bee")
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--out", type=Path, default=Path("screenshot.png"))
    parser.add_argument("--theme", choices=["system", "light", "dark"], default="light")
    parser.add_argument("--all", type=Path, metavar="DIR", help="the four shots into DIR")
    args = parser.parse_args()
    if args.all is not None:
        take_all(args)
        return
    width, height = (int(v) for v in args.size.split("x"))
    library = args.library or Path(tempfile.mkdtemp(prefix="magpie-shot-"))

    from magpie.core.engine import Engine
    from magpie.gui.app import create_window
    from magpie.gui.theme import app_icon, stylesheet
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    with Engine(library, model=args.model, writer=True) as engine:
        engine.add_folder(args.photos)
        engine.update()

    app = QApplication(sys.argv)
    app.setWindowIcon(app_icon())
    app.setStyleSheet(stylesheet())
    window = create_window(str(library), args.model)
    window.theme.set_choice(args.theme)
    window.setGeometry(0, 0, width, height)
    window.show()

    def wait(condition: Callable[[], bool], seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)

    wait(lambda: window.ready and window.results.rowCount() > 0)
    QTest.keyClicks(window.search_bar.edit, args.query, delay=40)
    wait(lambda: window.query.text == args.query and window.results.rowCount() > 0)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:  # thumbnails arrive
        app.processEvents()
        time.sleep(0.02)
    screen = app.primaryScreen().grabWindow(0, 0, 0, width, height)
    screen.save(str(args.out))
    print(f"saved {args.out} ({width}x{height}); top result: {window.results.result(0).path}")
    QTimer.singleShot(0, app.quit)
    app.exec()
    window.host.shutdown()


def take_all(args: argparse.Namespace) -> None:
    """main-window-<size>-<theme>.png for both sizes and themes, the library indexed once."""
    args.all.mkdir(parents=True, exist_ok=True)
    library = args.library or Path(tempfile.mkdtemp(prefix="magpie-shot-"))
    for size in ("1280x800", "1920x1080"):
        for theme in ("light", "dark"):
            out = args.all / f"main-window-{size}-{theme}.png"
            command = [
                "xvfb-run", "-a", "-s", "-screen 0 1920x1080x24",
                sys.executable, __file__, "--model", str(args.model), "--photos",
                str(args.photos), "--library", str(library), "--query", args.query,
                "--size", size, "--theme", theme, "--out", str(out),
            ]  # fmt: skip
            subprocess.run(command, check=True, env={**os.environ, "QT_QPA_PLATFORM": "xcb"})
            optimise(out)


def optimise(path: Path) -> None:
    """256 colours (median cut, dithered): the README shots stay under ~400 KB each."""
    from PIL import Image

    with Image.open(path) as image:
        colours = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG
        )
    colours.save(path, optimize=True)


if __name__ == "__main__":
    main()
