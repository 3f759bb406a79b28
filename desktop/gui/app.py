"""Application entry point for the double-click launcher (`magpie-gui`) and `magpie gui`."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMainWindow, QVBoxLayout, QWidget

from desktop import __version__


class MainWindow(QMainWindow):
    """The main window. Search and the thumbnail grid arrive with the library engine."""

    def __init__(self, library: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Magpie")
        self.resize(1280, 800)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        self.search = QLineEdit(central)
        self.search.setPlaceholderText("Search your photos, e.g. “a dog on a bench”")
        self.search.setEnabled(False)
        layout.addWidget(self.search)
        self.empty_state = QLabel("No photo folders yet.", central)
        layout.addWidget(self.empty_state, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage(f"Magpie {__version__}")


def run_app(library: str | None = None, model: str | None = None, device: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Magpie")
    window = MainWindow(library)
    window.show()
    return app.exec()


def main() -> int:
    from desktop.cli import main as cli_main

    return cli_main(["gui", *sys.argv[1:]])


if __name__ == "__main__":
    raise SystemExit(main())
