"""The main window: search bar, folders panel, thumbnail grid, status bar.

All engine work goes through EngineHost (background threads); this module only wires widgets
to it. Keystrokes are debounced and a new query supersedes the previous one.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QChildEvent,
    QEvent,
    QIODevice,
    QModelIndex,
    QObject,
    QPoint,
    QSettings,
    QStandardPaths,
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
    QMainWindow,
    QMenu,
    QMessageBox,
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
from magpie.core.records import Status
from magpie.core.video import format_time, is_video
from magpie.gui import queries
from magpie.gui.dialogs import (
    AboutDialog,
    FailuresDialog,
    ModelSetupDialog,
    PreviewDialog,
    SettingsDialog,
    ShortcutsDialog,
)
from magpie.gui.dialogs.preview import PreviewItem
from magpie.gui.exclusions_dialog import ExclusionsDialog
from magpie.gui.host import EngineHost, Page, Query
from magpie.gui.icons import icon
from magpie.gui.item_models import PathRole, TimeRole
from magpie.gui.matches import MatchedResultsModel
from magpie.gui.menus import build_menu_bar
from magpie.gui.organize import Organizer
from magpie.gui.photo_grid import JustifiedDelegate, JustifiedGrid, thumbnail_pixels
from magpie.gui.places_panel import PlacesPanel
from magpie.gui.player import play_at
from magpie.gui.progress_panel import ProgressPanel
from magpie.gui.search_options import NothingClose, SearchOptions
from magpie.gui.shell import NamesOnShow, apply_accessible_names, name_widgets, set_tab_order
from magpie.gui.sidebar import FolderStates, Sidebar
from magpie.gui.state_pages import Banner, StatePage
from magpie.gui.text_status import TextStatus
from magpie.gui.theme import Theme, app_icon, image_icon
from magpie.gui.thumbnails import ThumbnailLoader, load_qimage
from magpie.gui.widgets import Chip, SearchBar
from magpie.gui.wording import plural

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
        self.model_missing = False
        self.indexing_state = "idle"  # "indexing" | "paused" | "idle", as the host last said
        self.status = Status()
        self.model_dialog: ModelSetupDialog | None = None
        self.compare_dialog: Any = None  # a magpie.gui.compare.CompareDialog while switching
        self.preview: PreviewDialog | None = None
        self.relay = _Relay()
        self.names_on_show = NamesOnShow(self)
        self._last_live_refresh = 0.0
        self._counts_fresh = False  # a status arrived since the grid's last live refresh
        self._refresh_waiting = False  # new photos came while the user was down the grid
        self._quiet_refresh = False  # the query in flight only refreshes the content
        self.gui_settings = QSettings(str(library.gui_settings_file), QSettings.Format.IniFormat)
        thumb_size = int(self.gui_settings.value("thumb_size", DEFAULT_THUMB))

        self.setWindowTitle("Magpie")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.thumbnails = ThumbnailLoader(library.thumbnails_dir, thumbnail_pixels(thumb_size))
        self.results = MatchedResultsModel(self.thumbnails, self)
        self.folders = FolderStates(self)
        self.theme = Theme(self.gui_settings, self)  # system, light or dark; follows the system
        self.theme.apply()
        self._build(thumb_size)
        self._connect()
        self.organize = Organizer(self)  # albums, duplicates, trash/copy/export
        self._add_organizer_sections()
        self._add_places()
        apply_accessible_names(self)
        set_tab_order(self)
        self._restore_geometry()
        self.statusBar().showMessage("Opening your library…")

    # --- layout -----------------------------------------------------------------------------

    def _build(self, thumb_size: int) -> None:
        self.search_bar = SearchBar(self)
        self.by_image = QToolButton(text="Search by image…", autoRaise=True)
        self.by_image.setIcon(icon("image"))
        self.by_image.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.settings_button = QToolButton(text="Settings", autoRaise=True)
        self.settings_button.setIcon(icon("settings"))
        self.settings_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        top = QHBoxLayout()
        top.addWidget(self.search_bar, 1)
        top.addWidget(self.by_image)
        top.addWidget(self.settings_button)

        self.sidebar = side = Sidebar(self.folders)
        self.folder_list, self.all_photos = side.folder_list, side.all_photos
        self.add_button, self.remove_button = side.add_button, side.remove_button

        self.grid = JustifiedGrid()  # justified rows; a timeline with headers when browsing
        self.grid.row_height = thumb_size
        self.delegate = JustifiedDelegate(thumb_size, self.grid)
        self.delegate.show_names = self.gui_settings.value("show_names", "false") == "true"
        self.grid.setItemDelegate(self.delegate)
        self.grid.setModel(self.results)
        self.empty = StatePage(
            "Add a folder of photos to start.\n"
            "Magpie indexes it in the background; nothing in it is changed.",
            "Add a folder…",
        )
        self.empty_label, self.empty_add = self.empty.label, self.empty.button
        self.no_model = StatePage(
            "Magpie needs a model before it can show or find your photos.\n"
            "Download the recommended one, or import a model pack folder you already have.",
            "Choose a model…",
        )
        self.no_results = StatePage("No photos match.", "Show all photos")
        self.waiting = StatePage("")
        self.stack = QStackedWidget()
        self.nothing_close = NothingClose()
        self.search_options = SearchOptions()
        for page in (
            self.empty,
            self.grid,
            self.no_results,
            self.no_model,
            self.waiting,
            self.nothing_close,
        ):
            self.stack.addWidget(page)

        self.splitter = QSplitter()
        self.splitter.addWidget(side)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 1040])
        self.splitter.setChildrenCollapsible(False)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addLayout(top)
        self.banner = Banner(
            "The magpie command (index or watch) or another Magpie window is updating this "
            "library right now. You can search and browse here; adding folders and indexing "
            "wait until it stops.",
            "Try again",
        )
        self.banner.setVisible(False)
        self.banner.button.clicked.connect(lambda: self.host.reopen())
        layout.addWidget(self.banner)
        layout.addWidget(self.search_options)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.count_label = QLabel()
        self.progress_panel = ProgressPanel()
        self.progress_label = self.progress_panel.label
        self.progress_bar = self.progress_panel.bar
        self.pause_button = self.progress_panel.pause
        self.failures_link = QLabel()
        self.failures_link.setVisible(False)
        self.size_slider = QSlider(
            Qt.Orientation.Horizontal, minimum=80, maximum=320, value=thumb_size, maximumWidth=140
        )
        self.size_slider.setToolTip("Thumbnail size")
        bar = self.statusBar()
        # all permanent: a message then takes the left and never paints over them
        bar.addPermanentWidget(self.count_label)
        bar.addPermanentWidget(self.progress_panel)
        self.text_status = TextStatus()  # the OCR pass, apart from indexing
        bar.addPermanentWidget(self.text_status)
        bar.addPermanentWidget(self.failures_link)
        bar.addPermanentWidget(self.size_slider)

        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)

        self.add_action = QAction("Add folder…", self, shortcut=QKeySequence.StandardKey.Open)
        self.find_action = QAction("Find", self, shortcut=QKeySequence.StandardKey.Find)
        # Ctrl+Q spelled out: not every platform theme maps StandardKey.Quit (Cmd+Q on macOS)
        self.quit_action = QAction("Quit", self, shortcut=QKeySequence("Ctrl+Q"))
        for action in (self.add_action, self.find_action, self.quit_action):
            self.addAction(action)
        self.names_action = QAction("Show file names", self, checkable=True)
        self.names_action.setChecked(self.delegate.show_names)
        self.menu_actions = build_menu_bar(self)
        self.copy_shortcut = QShortcut(
            QKeySequence.StandardKey.Copy, self.grid, context=Qt.ShortcutContext.WidgetShortcut
        )
        self.paste_shortcut = QShortcut(
            QKeySequence.StandardKey.Paste, self.grid, context=Qt.ShortcutContext.WidgetShortcut
        )
        self._update_views()

    def _add_organizer_sections(self) -> None:
        panel = self.organize.panel
        panel.title.hide()  # the section gives the title
        panel.layout().removeWidget(panel.duplicates_button)
        panel.duplicates_button.setIcon(icon("duplicates"))
        self.sidebar.add_section("Albums", "album", panel, stretch=1)
        self.sidebar.add_section("Duplicates", "duplicates", panel.duplicates_button)

    def _connect(self) -> None:
        host = self.host
        self.theme.changed.connect(lambda _dark: self.sidebar.recolour())
        host.opened.connect(self._opened)
        host.modelMissing.connect(self._model_missing)
        host.readOnly.connect(self._read_only)
        host.statusChanged.connect(self._status_changed)
        host.progress.connect(self._progress)
        host.indexingChanged.connect(self._indexing_changed)
        host.pageReady.connect(self._page_ready)
        host.textProgress.connect(self.text_status.show_progress)
        host.textChanged.connect(self._text_changed)
        host.error.connect(self._error)
        host.watchFallback.connect(
            lambda folder, why: self.statusBar().showMessage(
                f"{folder}: {why}; checking it by polling instead", 15000
            )
        )
        edit = self.search_bar.edit
        edit.textEdited.connect(self._typed)
        # background passes that can wait (words and places) wait while the user scrolls
        self.grid.verticalScrollBar().valueChanged.connect(self._scrolled)
        edit.returnPressed.connect(self.run_query_now)
        edit.imagePasted.connect(self.paste)
        edit.downPressed.connect(self.focus_results)
        edit.filesDropped.connect(self.take_mime)
        self.debounce.timeout.connect(self.run_query_now)
        self.results.moreRequested.connect(self._fetch_more)
        options = self.search_options
        options.orderChanged.connect(lambda _o: self.run_query_now())
        options.weightChanged.connect(lambda _w: self.debounce.start())
        options.showLessLikely.connect(self.show_less_likely)
        options.folderCleared.connect(lambda: self.set_folder_filter(None))
        options.exclusionRemoved.connect(self._remove_exclusion)
        options.placeChosen.connect(self.set_place_filter)
        options.placeCleared.connect(lambda: self.set_place_filter(None))
        self.nothing_close.showNearest.connect(self.show_less_likely)
        self.grid.previewRequested.connect(self.open_preview)
        self.grid.deleteIgnored.connect(
            lambda: self.statusBar().showMessage(
                "Delete does not remove photos. To move them to the trash: "
                "Edit > Move selection to trash, or right-click.",
                8000,
            )
        )
        self.grid.customContextMenuRequested.connect(self._context_menu)
        self.folder_list.clicked.connect(self._folder_clicked)
        self.folder_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.folder_list.customContextMenuRequested.connect(self._folder_context_menu)
        self.all_photos.clicked.connect(lambda: self.set_folder_filter(None))
        self.add_button.clicked.connect(self.choose_folder)
        self.empty_add.clicked.connect(self.choose_folder)
        self.no_model.button.clicked.connect(self._model_missing)
        self.no_results.button.clicked.connect(self.clear_search)
        self.waiting.button.clicked.connect(self.choose_folder)
        self.remove_button.clicked.connect(self._remove_selected_folder)
        self.by_image.clicked.connect(self.choose_query_image)
        self.settings_button.clicked.connect(self.open_settings)
        self.pause_button.clicked.connect(self._toggle_pause)
        self.failures_link.linkActivated.connect(lambda _l: self.show_failures())
        self.size_slider.valueChanged.connect(self.set_thumb_size)
        self.names_action.toggled.connect(self.set_show_names)
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

    def _opened(self, status: Status) -> None:
        self.ready = True
        self.model_missing = False
        if self.host.writer:
            self.banner.setVisible(False)
        self.statusBar().showMessage(f"Model {status.model} on {str(status.device).upper()}", 8000)
        self._show_engine_state()
        self.run_query_now()
        self.places_panel.refresh()

    def _model_missing(self) -> None:
        self.model_missing = True
        self._update_views()
        self.statusBar().showMessage("Magpie needs a model: choose one to start")
        if self.model_dialog is None:
            self.model_dialog = ModelSetupDialog(self.library, self)
            self.model_dialog.installed.connect(lambda _name: self.host.reopen())
        self.model_dialog.open()

    def _status_changed(self, status: Status) -> None:
        self._counts_fresh = True
        before = [f.path for f in self.status.folders]
        self.status = status
        self.folders.set_folders(status.folders)
        self._show_engine_state()
        after = [f.path for f in status.folders]
        if self.ready and before != after:
            if set(before) - set(after):
                self.run_query_now()  # a folder went: its photos leave the grid at once
            else:
                self.refresh_at_top()  # a folder came: its photos, once the user is up there
            self.places_panel.refresh()
        count = status.images
        self.count_label.setText(
            f"{count:,} photos" + (f", {status.pending:,} waiting" if status.pending else "")
        )
        for notice in status.notices:
            self.statusBar().showMessage(notice, 30000)
        failed = status.failed
        self.failures_link.setVisible(bool(failed))
        self.failures_link.setText(
            f'<a href="#">{plural(len(failed), "file")} could not be read</a>'
        )
        self._update_views()

    def _progress(self, progress: Any) -> None:
        eta = (
            f" · {progress.eta_s / 60:.0f} min left"
            if progress.eta_s and progress.eta_s > 90
            else ""
        )
        self.progress_label.setText(
            f"Indexing {progress.done:,} of {progress.total:,} · {progress.rate:.1f}/s{eta}"
            if getattr(progress, "unit", "photos") != "seconds"
            else f"Indexing videos: {format_time(progress.done)} of "
            f"{format_time(progress.total)}{eta}"
        )
        self.progress_bar.setMaximum(progress.total)
        self.progress_bar.setValue(progress.done)
        self.progress_panel.show_busy(True)
        self.folders.set_indexing(self.folders.owner(progress.current))
        # a long first index: let the newest photos show up while the rest is still encoding
        # (only while the user is at the top of the grid: never yank them from where they are)
        now = time.monotonic()
        at_top = self.grid.verticalScrollBar().value() == 0 and not self.grid.selectedIndexes()
        if (
            self.ready
            and self.query.empty
            and at_top
            and now - self._last_live_refresh > LIVE_REFRESH_S
            and self._counts_fresh  # counts sent since the last refresh: they stay ahead
        ):
            self._last_live_refresh = now
            self._counts_fresh = False
            self._refresh_quietly()

    def _indexing_changed(self, state: str) -> None:
        self.indexing_state = state
        self.folders.set_paused(state == "paused")
        self._show_engine_state()
        busy = state != "idle"
        self.progress_panel.show_busy(busy)
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        if not busy:
            self.folders.set_indexing(None)
        if state == "paused":
            self.progress_label.setText("Indexing paused")
        if not busy:
            self.progress_label.setText("")
            if self.ready:
                self.refresh_at_top()  # new photos become visible

    def _show_engine_state(self) -> None:
        status = self.status
        model = status.model if self.ready else ""
        device = str(status.device or "")
        self.sidebar.set_state(model, device, self.indexing_state, len(status.folders))

    def _page_ready(self, page: Page) -> None:
        if page.offset == 0 and self._quiet_refresh:
            self._quiet_refresh = False
            if self.grid.verticalScrollBar().value() != 0:
                self._wait_for_top()  # they scrolled down meanwhile: never yank them
                return
        if page.offset == 0:
            timeline = self.query.empty or self.search_options.order_value == "date"
            self.grid.set_timeline(timeline)
            self.grid.scrubber.set_outline([])
            if self.query.empty:  # the whole library's months, for the scrubber
                self.host.timeline_outline(self.query.folder, self._outline_ready)
            self.results.set_results(page.results, page.has_more, scored=not self.query.empty)
            if page.results:
                self.grid.scrollToTop()
        else:
            self.results.append_results(page.results, page.has_more)
        self._update_views()

    def _outline_ready(self, months: list[tuple[int, int, int]]) -> None:
        if self.query.empty:  # a search typed meanwhile has no use for it
            self.grid.scrubber.set_outline(months)

    def show_less_likely(self) -> None:
        self.results.expand()
        self._update_views()

    def _remove_exclusion(self, term: str) -> None:
        quoted = f'-"{term}"' if " " in term else f"-{term}"
        self.search_bar.edit.setText(
            " ".join(self.search_bar.edit.text().replace(quoted, "").split())
        )
        self.run_query_now()

    def _error(self, message: str) -> None:
        # without a model, engine errors are the expected "install one" (the page says so)
        (log.info if self.model_missing else log.warning)("%s", message)
        if self.model_missing:  # the engine's reason names a command; the window has a button
            message = "Magpie needs a model first: use “Choose a model…” in the window"
        self.statusBar().showMessage(message, 15000)

    def _read_only(self, why: str) -> None:
        log.info("read-only: %s", why)
        self.banner.setVisible(True)

    def _update_views(self) -> None:
        rows = self.results.rowCount()
        results = self.results
        self.search_options.set_counts(
            not self.query.empty, results.matches, results.less_likely, results.more
        )
        if self.model_missing:
            page: QWidget = self.no_model
        elif not self.status.folders:
            page = self.empty
        elif not self.query.empty and results.matches == 0 and results.less_likely > 0:
            self.nothing_close.set_query(self.query.text)
            page = self.nothing_close
        elif rows == 0 and not self.query.empty:
            page = self.no_results
        elif rows == 0 and self.ready and self.indexing_state != "idle":
            self.waiting.say("Magpie is reading your photos; they appear here as it goes.")
            page = self.waiting
        elif rows == 0 and self.ready and self.status.images == 0:
            self.waiting.say(
                "No photos found in your folders yet. Magpie shows JPEG, PNG, HEIC, WebP and "
                "other photos; add a folder that holds some.",
                "Add a folder…",
            )
            page = self.waiting
        else:
            page = self.grid
        self.stack.setCurrentWidget(page)

    # --- queries ----------------------------------------------------------------------------

    def set_query(self, query: Query) -> None:
        self.query = query
        chips: list[Chip] = []
        for i, label in enumerate(queries.chip_labels(query)):
            chip = Chip(label, image_icon() if i < len(query.images) else None)
            chip.removeRequested.connect(lambda i=i: self._remove_chip(i))
            chip.setAccessibleName(f"Remove {label} from the search")
            chips.append(chip)
        self.search_bar.set_chips(chips)
        self.run_query_now()

    def _remove_chip(self, i: int) -> None:
        text = self.search_bar.edit.text()
        if i < len(self.query.images):
            self.set_query(queries.without_image(self.query, i, text))
        else:
            self.set_query(queries.without_similar(self.query, text))

    def _scrolled(self, value: int) -> None:
        self.host.note_user_activity()
        if value == 0 and self._refresh_waiting:
            # a layout being redone can pass through 0 for an instant: a stay at the top counts
            QTimer.singleShot(150, self._refresh_if_at_top)

    def _refresh_if_at_top(self) -> None:
        if self._refresh_waiting and self.grid.verticalScrollBar().value() == 0:
            self.run_query_now()

    def refresh_at_top(self) -> None:
        """New photos are in (indexing finished, a folder came): show them now if the user is
        at the top of the grid, else once they scroll back up; a refresh starts at the top,
        and it must never yank the user from where they are looking."""
        if self.grid.verticalScrollBar().value() == 0:
            self._refresh_quietly()
            return
        self._wait_for_top()

    def _wait_for_top(self) -> None:
        self._refresh_waiting = True
        self.statusBar().showMessage("New photos are in: they show at the top (Home)", 15000)

    def _refresh_quietly(self) -> None:
        """The same query again, for new content: if the user has scrolled away by the time
        its first page comes, it waits for them at the top instead of taking them there."""
        self.run_query_now()
        self._quiet_refresh = True

    def _typed(self, _text: str) -> None:
        self.host.note_user_activity()
        self.debounce.start()

    def run_query_now(self) -> None:
        self.debounce.stop()
        self._refresh_waiting = False
        self._quiet_refresh = False  # what comes next is the user's own query
        self.organize.current_album = None
        text = self.search_bar.edit.text()
        if text != self.query.text:
            self.query = queries.typed(self.query, text)
            if not self.query.images:
                self.search_bar.set_chips([])
        options = self.search_options
        options.set_weight_visible(bool(self.query.images and text.strip()))
        options.set_filters(self.query.folder, text, self.query.place)
        name_widgets(options)  # its filter chips come and go with the query
        if self.ready:
            per_page = self.library.load_settings().results_per_page
            self.host.search(self._with_options(self.query), 0, per_page)

    def _with_options(self, query: Query) -> Query:
        """The query with the order and weight chosen in the search options."""
        options = self.search_options
        self.results.date_order = options.order_value == "date"
        return replace(query, order=options.order_value, text_weight=options.text_weight)

    def _fetch_more(self, offset: int) -> None:
        per_page = self.library.load_settings().results_per_page
        per_page = max(per_page, self.grid.fetch_hint)  # a scrubber jump far ahead: one page
        self.host.search(self._with_options(self.query), offset, per_page)

    def add_query_images(self, images: list[tuple[str, str | bytes]]) -> None:
        self.set_query(queries.with_images(self.query, self.search_bar.edit.text(), images))

    def find_similar(self, paths: list[str], seconds: float | None = None) -> None:
        query = queries.similar_to(self.query, paths, seconds)
        if query is not None:
            self.search_bar.edit.clear()
            self.set_query(query)

    def set_folder_filter(self, folder: str | None) -> None:
        self.all_photos.setChecked(folder is None)
        if folder is None:
            self.folder_list.clearSelection()
        self.query = self.query.with_folder(folder)
        self.run_query_now()

    def set_place_filter(self, place: str | None) -> None:
        """Only photos taken there (the Places view, the place filter); None: everywhere."""
        self.query = replace(self.query, place=place)
        self.run_query_now()

    def _add_places(self) -> None:
        self.places_panel = PlacesPanel(self.host)
        self.sidebar.add_section("Places", "places", self.places_panel, stretch=1)
        self.places_panel.placeChosen.connect(self.set_place_filter)
        self.places_panel.namesChanged.connect(self.search_options.set_place_names)

    def _text_changed(self, state: str) -> None:
        """The OCR pass started, paused or ended: its own line, and Pause while it reads."""
        self.text_status.set_state(state)
        reading = state != "idle"
        if reading:
            self.pause_button.setVisible(True)
            self.pause_button.setText("Resume" if state == "paused" else "Pause")
        elif self.indexing_state == "idle":
            self.pause_button.setVisible(False)
            self.places_panel.refresh()  # new places were named

    def _folder_clicked(self, index: QModelIndex) -> None:
        self.set_folder_filter(index.data(PathRole))

    def focus_results(self) -> None:
        """Down from the search box: into the grid, on its first photo."""
        if self.results.rowCount() == 0:
            return
        self.grid.setFocus()
        if not self.grid.currentIndex().isValid():
            self.grid.setCurrentIndex(self.results.index(0))

    def clear_search(self) -> None:
        self.search_bar.edit.clear()
        self.set_query(Query(folder=self.query.folder, place=self.query.place))

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
        dropped = queries.classify(paths, mime.text() if mime.hasText() else "")
        folders, images = dropped.folders, dropped.images
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
        files, _ = QFileDialog.getOpenFileNames(
            self, "Search by image", self._start_folder("last_image_folder"), f"Images ({suffixes})"
        )
        if files:
            self.gui_settings.setValue("last_image_folder", str(Path(files[0]).parent))
            self.add_query_images([(Path(p).name, p) for p in files])

    # --- folders ----------------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Add a folder of photos", self._start_folder("last_folder")
        )
        if folder:
            self.gui_settings.setValue("last_folder", str(Path(folder).parent))
            self.add_folder(folder)

    def _start_folder(self, key: str) -> str:
        """Where a file dialog opens: the last folder used, else Pictures, else home."""
        last = self.gui_settings.value(key)
        if last and os.path.isdir(str(last)):
            return str(last)
        pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        return pictures if pictures and os.path.isdir(pictures) else str(Path.home())

    def add_folder(self, folder: str) -> None:
        if self.model_missing:
            note = f"Added {folder}; it is indexed once you choose a model"
        else:
            note = f"Adding {folder}…"
        self.statusBar().showMessage(note, 5000)
        self.host.add_folder(folder)

    def _remove_selected_folder(self) -> None:
        index = self.folder_list.currentIndex()
        if not index.isValid():
            self.statusBar().showMessage("Select a folder in the list to remove it", 5000)
            return
        folder = index.data(PathRole)
        count = next((f.images for f in self.status.folders if f.path == folder), 0)
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove folder",
            f"Remove {folder} from Magpie?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(
            f"Its {plural(count, 'photo')} leave Magpie's library and search. The files stay "
            "on disk, untouched; add the folder again to bring them back (it is indexed anew)."
        )
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(
            lambda button: self.remove_folder(folder) if button is remove else None
        )
        self.remove_box = box
        box.open()

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
        paths = self.selected_paths()
        seconds = index.data(TimeRole) if len(paths) == 1 else None
        self.context_menu(paths, seconds).exec(self.grid.viewport().mapToGlobal(pos))

    def context_menu(self, paths: list[str], seconds: float | None = None) -> QMenu:
        menu = QMenu(self)
        label = "Find similar" if len(paths) == 1 else f"Find similar to these {len(paths)}"
        menu.addAction(label, lambda: self.find_similar(paths, seconds))
        if len(paths) == 1 and is_video(paths[0]):
            start = seconds or 0.0
            menu.addAction(f"Play from {format_time(start)}", lambda: self.play(paths[0], start))
        menu.addSeparator()
        menu.addAction("Open", lambda: self.open_paths(paths))
        menu.addAction(
            "Show in folder", lambda: self.open_paths(sorted({str(Path(p).parent) for p in paths}))
        )
        menu.addAction("Copy path", lambda: self.copy_paths(paths))
        copy_image = menu.addAction("Copy image", lambda: self.copy_image(paths[0]))
        copy_image.setEnabled(len(paths) == 1)
        self.organize.extend_menu(menu, paths)
        return menu

    def play(self, path: str, seconds: float) -> None:
        if not play_at(path, seconds):
            self.statusBar().showMessage(
                f"Opened in the default player from the start (mpv or VLC start at "
                f"{format_time(seconds)})",
                8000,
            )

    def open_paths(self, paths: list[str]) -> None:
        """Hand photos (or folders) to the desktop; say so when nothing is set up to open them."""
        failed = [p for p in paths if not QDesktopServices.openUrl(QUrl.fromLocalFile(p))]
        if failed:
            what = "folders" if os.path.isdir(failed[0]) else f"{Path(failed[0]).suffix} files"
            self.statusBar().showMessage(
                f"No program on this computer is set up to open {what}. Choose a default "
                "program for them in your system settings, or use Copy path.",
                15000,
            )

    def find_similar_to_selection(self) -> None:
        paths = self.selected_paths()
        if paths:
            self.find_similar(paths)
        else:
            self.statusBar().showMessage("Select a photo first, then find similar ones", 5000)

    def select_all_photos(self) -> None:
        self.grid.setFocus()
        self.grid.selectAll()

    def trash_selection(self) -> None:
        """Delete: the selected photos to the system trash, only after the user confirms."""
        paths = self.selected_paths()
        if paths:
            self.organize.trash(paths)
        else:
            self.statusBar().showMessage("Select photos first; nothing was moved", 5000)

    def step_thumb_size(self, direction: int) -> None:
        self.size_slider.setValue(self.size_slider.value() + 40 * direction)

    def show_shortcuts(self) -> None:
        self.shortcuts_dialog = ShortcutsDialog(self.menu_actions, self)
        self.shortcuts_dialog.open()

    def show_about(self) -> None:
        self.about_dialog = AboutDialog(str(self.library.root), self.status.model, self)
        self.about_dialog.open()

    def _folder_context_menu(self, pos: QPoint) -> None:
        index = self.folder_list.indexAt(pos)
        if index.isValid():
            menu = self.folder_menu(index.data(PathRole))
            menu.exec(self.folder_list.viewport().mapToGlobal(pos))

    def folder_menu(self, folder: str) -> QMenu:
        menu = QMenu(self)
        menu.addAction("Excluded photos…", lambda: self.open_exclusions(folder))
        menu.addAction(
            "Exclude a sub-folder…", lambda: self.open_exclusions(folder).choose_subfolder()
        )
        menu.addSeparator()
        menu.addAction("Remove", lambda: self.remove_folder(folder))
        return menu

    def open_exclusions(self, folder: str | None = None) -> ExclusionsDialog:
        """The exclusions editor (Settings, or a folder's context menu), not blocking."""
        folders = [f.path for f in self.status.folders]
        dialog = ExclusionsDialog(self.host, folders, folder, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.changed.connect(self.run_query_now)  # excluded photos leave the grid at once
        dialog.open()
        return dialog

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
        items = [PreviewItem.of(result) for result in self.results.results()]
        if self.preview is None:
            self.preview = PreviewDialog(items, index.row(), self.host, self.thumbnails, self)
            self.preview.findSimilar.connect(self._similar_from_preview)
        else:
            self.preview.set_items(items, index.row())
        self.preview.show()
        self.preview.raise_()

    def _similar_from_preview(self, path: str, seconds: float | None) -> None:
        if self.preview is not None:
            self.preview.close()
        self.find_similar([path], seconds)

    def set_thumb_size(self, size: int) -> None:
        self.thumbnails.set_size(thumbnail_pixels(size))
        self.grid.set_row_height(size)  # keeps the photo at the top at the top
        self.results.refresh_thumbnails()
        self.gui_settings.setValue("thumb_size", size)

    def set_show_names(self, on: bool) -> None:
        self.delegate.show_names = on
        self.grid.viewport().update()
        self.gui_settings.setValue("show_names", "true" if on else "false")

    # --- settings, failures, pause ----------------------------------------------------------

    def open_settings(self) -> None:
        device = self.status.device or "not started"
        note = f"In use: {device}. {self.status.device_note}"
        folders = self.status.folders
        in_use = self.status.model or ""
        dialog = SettingsDialog(self.library, folders, note, self, in_use, self.host)
        dialog.exclusions_button.clicked.connect(lambda: self.open_exclusions())
        if dialog.exec():
            restart, modes = dialog.save()
            self.host.set_read_text(self.library.load_settings().read_text)
            for folder in self.status.folders:
                if modes.get(folder.path, folder.watch) != folder.watch:
                    self.host.set_watch_mode(folder.path, modes[folder.path])
            if restart:
                settings = self.library.load_settings()
                if in_use and settings.model not in ("", in_use) and self.host.writer:
                    self._switch_model(in_use, settings.model)
                    return
                self.ready = False
                self.host.reopen(settings.model or None, settings.device)
            else:
                self.run_query_now()

    def _switch_model(self, in_use: str, new: str) -> None:
        """No downtime: the model in use answers while the new one indexes; both side by side."""
        from magpie.gui.compare import CompareDialog

        settings = self.library.load_settings()
        settings.model = in_use  # until the switch happens (the switch saves the new one)
        self.library.save_settings(settings)
        self.compare_dialog = CompareDialog(self.host, self)
        self.host.switch_model(new)
        self.compare_dialog.open()

    def show_failures(self) -> None:
        failed = self.status.failed
        if not failed:
            self.statusBar().showMessage("Every file in your folders could be read", 5000)
            return
        FailuresDialog(failed, self).exec()

    def _toggle_pause(self) -> None:
        if self.host.paused:
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

    def childEvent(self, event: QChildEvent) -> None:
        super().childEvent(event)
        # dialogs of this window name their controls when shown (complete by then)
        if event.type() == QEvent.Type.ChildAdded and isinstance(event.child(), QWidget):
            event.child().installEventFilter(self.names_on_show)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.gui_settings.setValue("geometry", self.saveGeometry())
        self.gui_settings.setValue("splitter", self.splitter.saveState())
        self.gui_settings.sync()
        super().closeEvent(event)

    def bring_forward(self) -> None:
        """Another launch of Magpie on this library: show this window instead."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def about(self) -> str:
        return f"Magpie {__version__}"
