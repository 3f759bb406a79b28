"""The main window: search bar, folders panel, thumbnail grid, status bar.

All engine work goes through EngineHost (background threads); this module only wires widgets
to it. Keystrokes are debounced and a new query supersedes the previous one.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QModelIndex,
    QObject,
    QPoint,
    QSettings,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from magpie import __version__
from magpie.core.imaging import SUPPORTED_SUFFIXES
from magpie.core.library import Library
from magpie.gui.dialogs import FailuresDialog, ModelSetupDialog, PreviewDialog, SettingsDialog
from magpie.gui.host import EngineHost, Page, Query
from magpie.gui.item_models import FoldersModel, PathRole, ResultsModel
from magpie.gui.organize import Organizer
from magpie.gui.theme import app_icon
from magpie.gui.thumbnails import ThumbnailLoader, load_qimage
from magpie.gui.widgets import Chip, PhotoGrid, SearchBar, ThumbnailDelegate

log = logging.getLogger("magpie.gui")

DEBOUNCE_MS = 250
LIVE_REFRESH_S = 5.0
DEFAULT_THUMB = 160


class _Relay(QObject):
    imageForClipboard = Signal(QImage)
    encodedDrop = Signal(str, QByteArray)


class MainWindow(QMainWindow):
    def __init__(self, host: EngineHost, library: Library) -> None:
        super().__init__()
        self.host = host
        self.library = library
        self.query = Query()
        self.ready = False
        self.status: dict[str, Any] = {}
        self.model_dialog: ModelSetupDialog | None = None
        self.preview: PreviewDialog | None = None
        self.relay = _Relay()
        self._last_live_refresh = 0.0
        self.gui_settings = QSettings(str(library.root / "gui.ini"), QSettings.Format.IniFormat)
        thumb_size = int(self.gui_settings.value("thumb_size", DEFAULT_THUMB))

        self.setWindowTitle("Magpie")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.thumbnails = ThumbnailLoader(library.root / "thumbnails", thumb_size)
        self.results = ResultsModel(self.thumbnails, self)
        self.folders = FoldersModel(self)
        self._build(thumb_size)
        self._connect()
        self.organize = Organizer(self)  # albums, duplicates, trash/copy/export
        self.splitter.widget(0).layout().addWidget(self.organize.panel, 1)
        self._restore_geometry()
        self.statusBar().showMessage("Opening your library…")

    # --- layout -----------------------------------------------------------------------------

    def _build(self, thumb_size: int) -> None:
        self.search_bar = SearchBar(self)
        self.by_image = QToolButton(text="Search by image…", autoRaise=True)
        self.settings_button = QToolButton(text="Settings", autoRaise=True)
        top = QHBoxLayout()
        top.addWidget(self.search_bar, 1)
        top.addWidget(self.by_image)
        top.addWidget(self.settings_button)

        self.folder_list = QListView()
        self.folder_list.setModel(self.folders)
        self.folder_list.setSpacing(2)
        self.all_photos = QPushButton("All photos")
        self.all_photos.setCheckable(True)
        self.all_photos.setChecked(True)
        self.add_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Forget this folder; the photos on disk are not touched")
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("<b>Folders</b>"))
        side_layout.addWidget(self.all_photos)
        side_layout.addWidget(self.folder_list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        side_layout.addLayout(buttons)

        self.grid = PhotoGrid()
        self.delegate = ThumbnailDelegate(thumb_size, self.grid)
        self.grid.setItemDelegate(self.delegate)
        self.grid.setModel(self.results)
        self.empty = QWidget()
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(1)
        self.empty_label = QLabel(
            "Add a folder of photos to start.\n"
            "Magpie indexes it in the background; nothing in it is changed."
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setObjectName("emptyState")
        self.empty_add = QPushButton("Add a folder…")
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.empty_add, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)
        self.no_results = QLabel("No photos match.")
        self.no_results.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.no_results)

        self.splitter = QSplitter()
        self.splitter.addWidget(side)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 1060])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.count_label = QLabel()
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar(maximumWidth=180, textVisible=False)
        self.progress_bar.setVisible(False)
        self.pause_button = QToolButton(text="Pause", autoRaise=True)
        self.pause_button.setVisible(False)
        self.failures_link = QLabel()
        self.failures_link.setVisible(False)
        self.size_slider = QSlider(
            Qt.Orientation.Horizontal, minimum=80, maximum=320, value=thumb_size, maximumWidth=140
        )
        self.size_slider.setToolTip("Thumbnail size")
        bar = self.statusBar()
        bar.addWidget(self.count_label)
        bar.addWidget(self.progress_label)
        bar.addWidget(self.progress_bar)
        bar.addWidget(self.pause_button)
        bar.addPermanentWidget(self.failures_link)
        bar.addPermanentWidget(self.size_slider)

        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)

        self.add_action = QAction("Add folder…", self, shortcut=QKeySequence.StandardKey.Open)
        self.find_action = QAction("Find", self, shortcut=QKeySequence.StandardKey.Find)
        self.quit_action = QAction("Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        for action in (self.add_action, self.find_action, self.quit_action):
            self.addAction(action)
        self.copy_shortcut = QShortcut(
            QKeySequence.StandardKey.Copy, self.grid, context=Qt.ShortcutContext.WidgetShortcut
        )
        self.paste_shortcut = QShortcut(
            QKeySequence.StandardKey.Paste, self.grid, context=Qt.ShortcutContext.WidgetShortcut
        )
        self._update_views()

    def _connect(self) -> None:
        host = self.host
        host.opened.connect(self._opened)
        host.modelMissing.connect(self._model_missing)
        host.readOnly.connect(lambda why: self.statusBar().showMessage(f"Read-only: {why}"))
        host.statusChanged.connect(self._status_changed)
        host.progress.connect(self._progress)
        host.indexingChanged.connect(self._indexing_changed)
        host.pageReady.connect(self._page_ready)
        host.error.connect(self._error)
        host.watchFallback.connect(
            lambda folder, why: self.statusBar().showMessage(
                f"{folder}: {why}; checking it by polling instead", 15000
            )
        )
        edit = self.search_bar.edit
        edit.textEdited.connect(lambda _t: self.debounce.start())
        edit.returnPressed.connect(self.run_query_now)
        edit.imagePasted.connect(self.paste)
        self.debounce.timeout.connect(self.run_query_now)
        self.results.moreRequested.connect(self._fetch_more)
        self.grid.previewRequested.connect(self.open_preview)
        self.grid.customContextMenuRequested.connect(self._context_menu)
        self.folder_list.clicked.connect(self._folder_clicked)
        self.all_photos.clicked.connect(lambda: self.set_folder_filter(None))
        self.add_button.clicked.connect(self.choose_folder)
        self.empty_add.clicked.connect(self.choose_folder)
        self.remove_button.clicked.connect(self._remove_selected_folder)
        self.by_image.clicked.connect(self.choose_query_image)
        self.settings_button.clicked.connect(self.open_settings)
        self.pause_button.clicked.connect(self._toggle_pause)
        self.failures_link.linkActivated.connect(lambda _l: self.show_failures())
        self.size_slider.valueChanged.connect(self.set_thumb_size)
        self.add_action.triggered.connect(self.choose_folder)
        self.find_action.triggered.connect(self._focus_search)
        self.quit_action.triggered.connect(self.close)
        self.copy_shortcut.activated.connect(self.copy_paths)
        self.paste_shortcut.activated.connect(self.paste)
        self.relay.imageForClipboard.connect(
            lambda image: QGuiApplication.clipboard().setImage(image)
        )
        self.relay.encodedDrop.connect(
            lambda label, data: self.add_query_images([(label, bytes(data.data()))])
        )

    # --- host events ------------------------------------------------------------------------

    def _opened(self, status: dict[str, Any]) -> None:
        self.ready = True
        self.statusBar().showMessage(
            f"Model {status['model']} on {str(status['device']).upper()}", 8000
        )
        self.run_query_now()

    def _model_missing(self) -> None:
        self.statusBar().showMessage("No model yet: choose one to start")
        if self.model_dialog is None:
            self.model_dialog = ModelSetupDialog(self.library, self)
            self.model_dialog.installed.connect(lambda _name: self.host.reopen())
        self.model_dialog.open()

    def _status_changed(self, status: dict[str, Any]) -> None:
        before = [f["path"] for f in self.status.get("folders", [])]
        self.status = status
        self.folders.set_folders(status.get("folders", []))
        if self.ready and before != [f["path"] for f in status.get("folders", [])]:
            self.run_query_now()  # a folder came or went: its photos too
        count = status.get("images", 0)
        self.count_label.setText(
            f"{count:,} photos"
            + (f", {status['pending']:,} waiting" if status.get("pending") else "")
        )
        for notice in status.get("notices", []):
            self.statusBar().showMessage(notice, 30000)
        failed = status.get("failed", [])
        self.failures_link.setVisible(bool(failed))
        self.failures_link.setText(f'<a href="#">{len(failed)} files could not be read</a>')
        self._update_views()

    def _progress(self, progress: Any) -> None:
        eta = (
            f" · {progress.eta_s / 60:.0f} min left"
            if progress.eta_s and progress.eta_s > 90
            else ""
        )
        self.progress_label.setText(
            f"Indexing {progress.done:,} of {progress.total:,} · {progress.rate:.1f}/s{eta}"
        )
        self.progress_bar.setMaximum(progress.total)
        self.progress_bar.setValue(progress.done)
        # a long first index: let the newest photos show up while the rest is still encoding
        # (only while the user is at the top of the grid: never yank them from where they are)
        now = time.monotonic()
        at_top = self.grid.verticalScrollBar().value() == 0 and not self.grid.selectedIndexes()
        if (
            self.ready
            and self.query.empty
            and at_top
            and now - self._last_live_refresh > LIVE_REFRESH_S
        ):
            self._last_live_refresh = now
            self.run_query_now()

    def _indexing_changed(self, state: str) -> None:
        busy = state != "idle"
        self.progress_bar.setVisible(busy)
        self.pause_button.setVisible(busy)
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.folders.set_indexing(busy)
        if state == "paused":
            self.progress_label.setText("Indexing paused")
        if not busy:
            self.progress_label.setText("")
            if self.ready:
                self.run_query_now()  # new photos become visible

    def _page_ready(self, page: Page) -> None:
        if page.offset == 0:
            self.results.set_results(page.results, page.has_more, scored=not self.query.empty)
            if page.results:
                self.grid.scrollToTop()
        else:
            self.results.append_results(page.results, page.has_more)
        self._update_views()

    def _error(self, message: str) -> None:
        log.warning("%s", message)
        self.statusBar().showMessage(message, 15000)

    def _update_views(self) -> None:
        if not self.status.get("folders"):
            self.stack.setCurrentWidget(self.empty)
        elif self.results.rowCount() == 0 and not self.query.empty:
            self.stack.setCurrentWidget(self.no_results)
        else:
            self.stack.setCurrentWidget(self.grid)

    # --- queries ----------------------------------------------------------------------------

    def set_query(self, query: Query) -> None:
        self.query = query
        chips: list[Chip] = []
        for i, (label, _source) in enumerate(query.images):
            chip = Chip(f"🖼 {label}", None)
            chip.removeRequested.connect(lambda i=i: self._remove_image(i))
            chips.append(chip)
        if query.similar_to:
            chip = Chip(f"Similar to {Path(query.similar_to).name}", None)
            chip.removeRequested.connect(
                lambda: self.set_query(Query(self.search_bar.edit.text(), folder=self.query.folder))
            )
            chips.append(chip)
        self.search_bar.set_chips(chips)
        self.run_query_now()

    def _remove_image(self, i: int) -> None:
        images = tuple(x for j, x in enumerate(self.query.images) if j != i)
        self.set_query(Query(self.search_bar.edit.text(), images, None, self.query.folder))

    def run_query_now(self) -> None:
        self.debounce.stop()
        self.organize.current_album = None
        text = self.search_bar.edit.text()
        if text != self.query.text:
            self.query = Query(
                text,
                self.query.images if not self.query.similar_to else (),
                None,
                self.query.folder,
            )
            if not self.query.images:
                self.search_bar.set_chips([])
        if self.ready:
            self.host.search(self.query, 0, self.library.load_settings().results_per_page)

    def _fetch_more(self, offset: int) -> None:
        self.host.search(self.query, offset, self.library.load_settings().results_per_page)

    def add_query_images(self, images: list[tuple[str, str | bytes]]) -> None:
        current = () if self.query.similar_to else self.query.images
        self.set_query(
            Query(self.search_bar.edit.text(), (*current, *images), None, self.query.folder)
        )

    def find_similar(self, paths: list[str]) -> None:
        if len(paths) == 1:
            self.search_bar.edit.clear()
            self.set_query(Query("", (), paths[0], self.query.folder))
        elif paths:
            self.search_bar.edit.clear()
            self.set_query(
                Query("", tuple((Path(p).name, p) for p in paths), None, self.query.folder)
            )

    def set_folder_filter(self, folder: str | None) -> None:
        self.all_photos.setChecked(folder is None)
        if folder is None:
            self.folder_list.clearSelection()
        self.query = self.query.with_folder(folder)
        self.run_query_now()

    def _folder_clicked(self, index: QModelIndex) -> None:
        self.set_folder_filter(index.data(PathRole))

    def _focus_search(self) -> None:
        self.search_bar.edit.setFocus()
        self.search_bar.edit.selectAll()

    # --- images in: drop, paste, file dialog ------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if event.source() is self.grid:
            return  # our own thumbnails dragged out, then back in: nothing to do
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.take_mime(event.mimeData()):
            event.acceptProposedAction()

    def take_mime(self, mime: Any) -> bool:
        """Folders are added; image files and image data become an image query."""
        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        text = mime.text().strip() if mime.hasText() else ""
        if not paths and text and "\n" not in text:
            candidate = (
                QUrl(text).toLocalFile() if text.startswith("file://") else os.path.expanduser(text)
            )
            if os.path.exists(candidate):
                paths = [candidate]
        folders = [p for p in paths if os.path.isdir(p)]
        images = [
            p for p in paths if os.path.isfile(p) and Path(p).suffix.lower() in SUPPORTED_SUFFIXES
        ]
        for folder in folders:
            self.add_folder(folder)
        if images:
            self.add_query_images([(Path(p).name, p) for p in images])
            return True
        if mime.hasImage():  # raw image data (a web browser, a screenshot tool)
            image = QImage(mime.imageData())
            relay = self.relay

            def encode() -> None:  # PNG-encode off the GUI thread
                data = QByteArray()
                buffer = QBuffer(data)
                buffer.open(QIODevice.OpenModeFlag.WriteOnly)
                image.save(buffer, "PNG")
                relay.encodedDrop.emit("pasted image", data)

            self.host.run_in_background(encode)
            return True
        return bool(folders)

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None:
            self.take_mime(mime)

    def choose_query_image(self) -> None:
        suffixes = " ".join(f"*{s}" for s in sorted(SUPPORTED_SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(self, "Search by image", "", f"Images ({suffixes})")
        if files:
            self.add_query_images([(Path(p).name, p) for p in files])

    # --- folders ----------------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos")
        if folder:
            self.add_folder(folder)

    def add_folder(self, folder: str) -> None:
        self.statusBar().showMessage(f"Adding {folder}…", 5000)
        self.host.add_folder(folder)

    def _remove_selected_folder(self) -> None:
        index = self.folder_list.currentIndex()
        if index.isValid():
            self.remove_folder(index.data(PathRole))

    def remove_folder(self, folder: str) -> None:
        if self.query.folder == folder:
            self.set_folder_filter(None)
        self.host.remove_folder(folder)
        self.statusBar().showMessage(
            f"Removed {folder} from Magpie (the photos stay on disk)", 8000
        )

    # --- grid actions -----------------------------------------------------------------------

    def selected_paths(self) -> list[str]:
        rows = sorted({i.row() for i in self.grid.selectedIndexes()})
        return [self.results.index(r).data(PathRole) for r in rows]

    def _context_menu(self, pos: QPoint) -> None:
        index = self.grid.indexAt(pos)
        if not index.isValid():
            return
        if not self.grid.selectionModel().isSelected(index):
            self.grid.setCurrentIndex(index)
        self.context_menu(self.selected_paths()).exec(self.grid.viewport().mapToGlobal(pos))

    def context_menu(self, paths: list[str]) -> QMenu:
        menu = QMenu(self)
        label = "Find similar" if len(paths) == 1 else f"Find similar to these {len(paths)}"
        menu.addAction(label, lambda: self.find_similar(paths))
        menu.addSeparator()
        menu.addAction(
            "Open", lambda: [QDesktopServices.openUrl(QUrl.fromLocalFile(p)) for p in paths]
        )
        menu.addAction(
            "Show in folder",
            lambda: [
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(p).parent))) for p in {*paths}
            ],
        )
        menu.addAction("Copy path", lambda: self.copy_paths(paths))
        copy_image = menu.addAction("Copy image", lambda: self.copy_image(paths[0]))
        copy_image.setEnabled(len(paths) == 1)
        self.organize.extend_menu(menu, paths)
        return menu

    def copy_paths(self, paths: list[str] | None = None) -> None:
        paths = paths if paths is not None else self.selected_paths()
        if paths:
            QGuiApplication.clipboard().setText("\n".join(paths))

    def copy_image(self, path: str) -> None:
        relay = self.relay
        self.host.run_in_background(
            lambda: relay.imageForClipboard.emit(load_qimage(path, None, None, 4096))
        )

    def open_preview(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        if self.preview is None:
            self.preview = PreviewDialog(self.results, index.row(), self.host, self)
        else:
            self.preview.show_row(index.row())
        self.preview.show()
        self.preview.raise_()

    def set_thumb_size(self, size: int) -> None:
        self.delegate.size = size
        self.thumbnails.set_size(size)
        self.grid.fill_width()
        self.grid.doItemsLayout()
        self.results.refresh_thumbnails()
        self.gui_settings.setValue("thumb_size", size)

    # --- settings, failures, pause ----------------------------------------------------------

    def open_settings(self) -> None:
        device = self.status.get("device") or "not started"
        note = f"In use: {device}. {self.status.get('device_note', '')}"
        folders = self.status.get("folders", [])
        in_use = self.status.get("model") or ""
        dialog = SettingsDialog(self.library, folders, note, self, in_use, self.host)
        dialog.more_models.clicked.connect(self._get_another_model)
        if dialog.exec():
            restart, modes = dialog.save()
            for folder in self.status.get("folders", []):
                if modes.get(folder["path"], folder["watch"]) != folder["watch"]:
                    self.host.set_watch_mode(folder["path"], modes[folder["path"]])
            if restart:
                settings = self.library.load_settings()
                self.ready = False
                self.host.reopen(settings.model or None, settings.device)
            else:
                self.run_query_now()

    def _get_another_model(self) -> None:
        dialog = ModelSetupDialog(self.library, self)
        dialog.setWindowTitle("Get another model")
        dialog.installed.connect(
            lambda name: self.statusBar().showMessage(
                f"{name} installed; choose it in Settings", 10000
            )
        )
        dialog.open()

    def show_failures(self) -> None:
        FailuresDialog(self.status.get("failed", []), self).exec()

    def _toggle_pause(self) -> None:
        if self.host.control.paused:
            self.host.resume()
        else:
            self.host.pause()

    # --- geometry ---------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = self.gui_settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        splitter = self.gui_settings.value("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.gui_settings.setValue("geometry", self.saveGeometry())
        self.gui_settings.setValue("splitter", self.splitter.saveState())
        self.gui_settings.sync()
        super().closeEvent(event)

    def about(self) -> str:
        return f"Magpie {__version__}"
