"""Run the app offscreen, use it (search, scroll, open a preview), then quit as Ctrl+Q does.

    python -m tests.helpers.quit_app LIBRARY SEED

Used by tests/test_quit.py and tests/benchmarks/quit_stress.py: the process must exit 0 every
time, whatever was still loading when the user quit.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from magpie.gui.app import run_app
from magpie.gui.main_window import MainWindow
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

QUERIES = ["red", "blue", "green sky", "yellow", "a red car", "blue water", ""]


def prepare(root: Path, count: int = 40, photos: Path | None = None) -> Path:
    """A library template: the colour pack, and `count` generated photos (plus a folder
    of real ones, if given) added but not indexed yet, so the app indexes and loads
    thumbnails while it is used."""
    import numpy as np
    from magpie.core.engine import Engine
    from magpie.core.library import Library
    from magpie.core.pack_store import import_pack
    from PIL import Image

    from tests.helpers.packs import make_colour_pack

    library = root / "library"
    import_pack(Library(library), make_colour_pack(root / "colour-pack"))
    generated = root / "photos"
    generated.mkdir(parents=True)
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 1, 640, dtype=np.float32)[None, :, None]
    for i in range(count):
        colour = rng.integers(0, 255, 3).astype(np.float32)
        pixels = (ramp * colour + (1 - ramp) * colour[::-1]).repeat(480, axis=0)
        Image.fromarray(pixels.astype(np.uint8)).save(generated / f"{i:03}.jpg", quality=85)
    with Engine(library, writer=True) as engine:
        engine.add_folder(generated)
        if photos is not None:
            engine.add_folder(photos)
    return library


def run_trial(template: Path, work: Path, seed: int, timeout_s: float = 120) -> tuple[int, str]:
    """Copy the template library, run the app on it with this seed; (exit code, stderr)."""
    import shutil
    import subprocess

    library = work / f"trial-{seed}"
    shutil.rmtree(library, ignore_errors=True)
    shutil.copytree(template, library)
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "faulthandler",
            "-m",
            "tests.helpers.quit_app",
            str(library),
            str(seed),
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    shutil.rmtree(library, ignore_errors=True)
    return proc.returncode, proc.stderr


def drive(app: QApplication, rng: random.Random) -> None:
    windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
    if not windows:
        QTimer.singleShot(20, lambda: drive(app, rng))
        return
    window = windows[0]
    steps = rng.randint(10, 40)

    def step(left: int) -> None:
        if left == 0:
            window.quit_action.trigger()  # what Ctrl+Q does
            return
        edit = window.search_bar.edit
        edit.setText(rng.choice(QUERIES))
        window.run_query_now()
        bar = window.grid.verticalScrollBar()
        bar.setValue(rng.randint(0, max(bar.maximum(), 0)))
        if rng.random() < 0.3 and window.results.rowCount():
            window.open_preview(window.results.index(rng.randrange(window.results.rowCount())))
        if rng.random() < 0.3:
            window.set_thumb_size(rng.choice([80, 120, 160, 240]))
        QTimer.singleShot(rng.randint(0, 120), lambda: step(left - 1))

    QTimer.singleShot(rng.randint(50, 600), lambda: step(steps))


def main() -> int:
    library, seed = sys.argv[1], int(sys.argv[2])
    app = QApplication(sys.argv[:1])
    QTimer.singleShot(0, lambda: drive(app, random.Random(seed)))
    return run_app(library=library)


if __name__ == "__main__":
    sys.exit(main())
