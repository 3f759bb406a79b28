"""Screenshots of the window's states on a real X display (by hand, e.g. under Xvfb).

    Xvfb :99 -screen 0 1920x1080x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python tests/benchmarks/shot_states.py \
        --model ../shared/packs/bridge-effnetl0-minilm --photos ../shared/photos/large --out DIR

Writes DIR/gui-<state>.png: no-model (first-run dialog dismissed), indexing (progress text,
bar and Pause), chip (an image query's chip), menu (the File menu open), shortcuts (F1),
settings, read-only (another writer holds the library), remove (the confirmation).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from magpie.core.engine import Engine
    from magpie.core.library import Library
    from magpie.core.pack_store import import_pack
    from magpie.gui.app import create_window
    from magpie.gui.dialogs import SettingsDialog
    from magpie.gui.theme import app_icon, stylesheet
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication(sys.argv)
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(app_icon())
    work = Path(tempfile.mkdtemp(prefix="magpie-states-"))

    def wait(condition: Callable[[], bool], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit("timed out")
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 0.6) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(name: str, widget: QWidget | None = None) -> None:
        settle()
        screen = app.primaryScreen()
        # the whole screen for popups (menus are windows of their own), else the widget
        image = screen.grabWindow(0) if widget is None else widget.grab()
        path = args.out / f"gui-{name}.png"
        image.save(str(path))
        print(path)

    # 1. no model: the first-run dialog dismissed
    window = create_window(str(work / "empty"))
    window.resize(1100, 700)
    window.show()
    wait(lambda: window.model_dialog is not None and window.model_dialog.isVisible())
    window.model_dialog.reject()
    shot("no-model", window)
    window.close()
    window.host.shutdown()

    # 2. indexing, caught mid-run
    library = work / "library"
    import_pack(Library(library), args.model)
    window = create_window(str(library))
    window.resize(1100, 700)
    window.show()
    wait(lambda: window.ready)
    progressed: list[object] = []
    window.host.progress.connect(progressed.append)
    window.add_folder(str(args.photos))
    wait(lambda: bool(progressed))
    window.statusBar().showMessage("Adding a folder… (a message shown meanwhile)", 5000)
    shot("indexing", window)
    wait(lambda: window.indexing_state == "idle" and window.status.images > 0)

    # 3. an image query's chip, 4. the File menu, 5. the shortcut list, 6. settings
    first = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in {".jpg", ".jpeg"})[0]
    window.add_query_images([(first.name, str(first))])
    wait(lambda: window.results.rowCount() > 0)
    shot("chip", window)
    file_menu = window.menuBar().actions()[0].menu()
    file_menu.popup(window.mapToGlobal(QPoint(8, window.menuBar().height())))
    shot("menu")
    file_menu.close()
    window.show_shortcuts()
    shot("shortcuts", window.shortcuts_dialog)
    window.shortcuts_dialog.close()
    dialog = SettingsDialog(window.library, window.status.folders, "In use: cpu.", window)
    dialog.show()
    shot("settings", dialog)
    dialog.close()
    window.folder_list.setCurrentIndex(window.folders.index(0))
    window.remove_button.click()
    shot("remove", window.remove_box)
    window.remove_box.reject()
    window.close()
    window.host.shutdown()
    window.thumbnails.wait()

    # 7. read-only: the command line holds the library
    cli = Engine(library, model=str(args.model), device="cpu", writer=True)
    window = create_window(str(library))
    window.resize(1100, 700)
    window.show()
    wait(lambda: window.banner.isVisible())
    shot("read-only", window)
    window.close()
    window.host.shutdown()
    window.thumbnails.wait()
    cli.close()


if __name__ == "__main__":
    main()
