"""The desktop app: QApplication set-up and the main window (started by magpie.launch)."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from magpie.core.library import Library
from magpie.core.logs import log_to_library
from magpie.gui.host import EngineHost
from magpie.gui.main_window import MainWindow
from magpie.gui.single_instance import SingleInstance
from magpie.gui.theme import app_icon, stylesheet


def create_window(
    library: str | None = None, model: str | None = None, device: str | None = None
) -> MainWindow:
    """The main window with its engine host started (used by run_app and the tests)."""
    lib = Library(library).ensure()
    log_to_library(lib)  # the app has no terminal: its log goes to the library
    host = EngineHost(lib.root, model, device)
    window = MainWindow(host, lib)
    host.start()
    return window


def run_app(
    library: str | None = None,
    model: str | None = None,
    device: str | None = None,
    quit_after: float | None = None,
) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Magpie")
    app.setApplicationDisplayName("Magpie")
    app.setDesktopFileName("magpie")
    app.setWindowIcon(app_icon())
    app.setStyleSheet(stylesheet())
    app.styleHints().setShowShortcutsInContextMenus(True)
    app.setAttribute(Qt.ApplicationAttribute.AA_DontShowIconsInMenus, False)
    instance = SingleInstance(str(Library(library).root))
    if instance.forward():
        print(
            "Magpie is already open on this library: its window was brought forward.",
            file=sys.stderr,
        )
        return 0
    instance.listen()
    window = create_window(library, model, device)
    instance.activated.connect(window.bring_forward)
    window.show()
    if quit_after is not None:  # smoke tests of the frozen app: start, run, close cleanly
        QTimer.singleShot(int(quit_after * 1000), window.close)
    code = app.exec()
    instance.close()
    # background work ends here, in one place, before any Qt object it reports to goes away
    window.host.shutdown()
    window.thumbnails.shutdown()
    return code
