"""The desktop app: QApplication set-up and the main window (started by magpie.launch)."""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from magpie.core.library import Library
from magpie.gui.host import EngineHost
from magpie.gui.main_window import MainWindow
from magpie.gui.theme import app_icon, stylesheet


def _log_to_library(library: Library) -> None:
    """The app has no terminal: its log goes to <library>/logs/magpie.log."""
    logger = logging.getLogger("magpie")
    if any(isinstance(h, RotatingFileHandler) for h in logger.handlers):
        return
    try:
        (library.root / "logs").mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            library.root / "logs" / "magpie.log",
            maxBytes=2_000_000,
            backupCount=3,
            encoding="utf-8",
        )
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def create_window(
    library: str | None = None, model: str | None = None, device: str | None = None
) -> MainWindow:
    """The main window with its engine host started (used by run_app and the tests)."""
    lib = Library(library).ensure()
    _log_to_library(lib)
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
    window = create_window(library, model, device)
    window.show()
    if quit_after is not None:  # smoke tests of the frozen app: start, run, close cleanly
        QTimer.singleShot(int(quit_after * 1000), window.close)
    code = app.exec()
    # background work ends here, in one place, before any Qt object it reports to goes away
    window.host.shutdown()
    window.thumbnails.shutdown()
    return code
