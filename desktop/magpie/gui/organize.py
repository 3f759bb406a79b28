"""Organizing from the main window: albums in the side panel, the Duplicates view, and the
actions the user starts on photos (add to an album, copy, export, move to the trash, undo).

Everything that reads the catalog or touches files runs on the Background lane; this module
only asks (confirmations, folder pickers) and shows the outcome. Nothing here acts on photos
unless the user picked them and, for the trash, confirmed the count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox, QToolButton

from magpie.core import file_actions
from magpie.core.albums import Album, Albums, SmartQuery
from magpie.gui.albums_panel import AlbumNameRole, AlbumsPanel
from magpie.gui.background import Background

if TYPE_CHECKING:
    from magpie.core.engine import Engine
    from magpie.gui.duplicates_dialog import DuplicatesDialog
    from magpie.gui.main_window import MainWindow

log = logging.getLogger("magpie.gui.organize")

UNDO_VISIBLE_MS = 60_000


def _photos(n: int) -> str:
    return f"{n:,} photo{'s' if n != 1 else ''}"


class Organizer(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.background = Background(window.host, self)
        self.background.failed.connect(self.message)
        self.panel = AlbumsPanel()
        self.duplicates_dialog: DuplicatesDialog | None = None
        self.last_trashed: list[file_actions.Trashed] = []
        self.current_album: str | None = None
        self.undo_button = QToolButton(text="Undo move to trash", autoRaise=True)
        self.undo_button.setVisible(False)
        self.undo_timer = QTimer(self, singleShot=True, interval=UNDO_VISIBLE_MS)
        self.undo_timer.timeout.connect(lambda: self.undo_button.setVisible(False))
        window.statusBar().addPermanentWidget(self.undo_button)
        self.undo_button.clicked.connect(self.undo_trash)
        panel = self.panel
        panel.new_button.clicked.connect(lambda: self.new_album())
        panel.save_search_button.clicked.connect(self.save_search)
        panel.delete_button.clicked.connect(self._delete_selected)
        panel.view.clicked.connect(self._album_clicked)
        panel.duplicates_button.clicked.connect(self.open_duplicates)
        panel.model.photosDropped.connect(self.add_to_album)
        window.host.opened.connect(lambda _status: self.refresh_albums())
        window.host.indexingChanged.connect(
            lambda state: self.refresh_albums() if state == "idle" else None
        )

    # --- helpers ----------------------------------------------------------------------------

    def engine(self) -> Engine | None:
        engine = self.window.host.engine
        if engine is None:
            self.message("The library is still opening; try again in a moment")
        return engine

    def message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 15_000)

    def _albums(self) -> Albums | None:
        engine = self.engine()
        return Albums(engine) if engine is not None else None

    # --- albums -----------------------------------------------------------------------------

    def refresh_albums(self) -> None:
        """Names and counts (smart albums are searched for theirs, in the background)."""
        albums = self._albums()
        if albums is not None:
            self.background.run(lambda: albums.list(count_smart=True), self._albums_listed)

    def _albums_listed(self, found: list[Album]) -> None:
        self.panel.model.set_albums(found)

    def new_album(self, paths: list[str] | None = None) -> None:
        name, ok = QInputDialog.getText(self.window, "New album", "Name of the album:")
        albums = self._albums()
        if not ok or not name.strip() or albums is None:
            return

        def work() -> str:
            albums.create(name)
            if paths:
                albums.add(name, list(paths))
            return name

        self.background.run(work, lambda made: self._changed(f"Album {made!r} created"))

    def add_to_album(self, name: str, paths: list[str]) -> None:
        albums = self._albums()
        if albums is None or not paths:
            return
        self.background.run(
            lambda: albums.add(name, list(paths)),
            lambda added: self._changed(f"Added {_photos(added)} to {name}"),
        )

    def remove_from_album(self, name: str, paths: list[str]) -> None:
        albums = self._albums()
        if albums is None:
            return

        def done(removed: int) -> None:
            self._changed(f"Took {_photos(removed)} out of {name} (the files are untouched)")
            self.show_album(name)

        self.background.run(lambda: albums.remove(name, list(paths)), done)

    def save_search(self) -> None:
        query = self.window.query
        images = [s for _label, s in query.images if isinstance(s, str)]
        if query.similar_to:
            images.append(query.similar_to)
        if not query.text.strip() and not images:
            self.message("Type a search or add a reference photo first, then save it")
            return
        name, ok = QInputDialog.getText(
            self.window, "Save search as a smart album", "Name of the smart album:"
        )
        albums = self._albums()
        if not ok or not name.strip() or albums is None:
            return
        smart = SmartQuery(query.text.strip(), images, folder=query.folder)
        self.background.run(
            lambda: albums.save_search(name, smart),
            lambda album: self._changed(f"Smart album {album.name!r} saved; it stays current"),
        )

    def _delete_selected(self) -> None:
        name = self.panel.selected_name()
        albums = self._albums()
        if name is None or albums is None:
            return
        answer = QMessageBox.question(
            self.window,
            "Delete album",
            f"Delete the album {name!r}? Its photos stay where they are.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.background.run(lambda: albums.delete(name), lambda _r: self._changed("Deleted"))

    def _changed(self, text: str) -> None:
        self.message(text)
        self.refresh_albums()

    def _album_clicked(self, index: QModelIndex) -> None:
        self.show_album(index.data(AlbumNameRole))

    def show_album(self, name: str) -> None:
        """The album's photos in the grid (a smart album's search is run now)."""
        albums = self._albums()
        if albums is None:
            return
        window = self.window
        self.current_album = name

        def shown(found: tuple[list[Any], bool]) -> None:
            results, smart = found
            window.results.set_results(results, False, scored=smart)
            window.stack.setCurrentWidget(window.grid if results else window.no_results)
            self.message(f"Album {name}: {_photos(len(results))}")

        self.background.run(
            lambda: (albums.photos(name), albums.get(name).smart is not None), shown
        )

    # --- the grid's context menu --------------------------------------------------------------

    def extend_menu(self, menu: QMenu, paths: list[str]) -> None:
        n = len(paths)
        add = menu.addMenu("Add to album")
        model = self.panel.model
        for album in (model.album(row) for row in range(model.rowCount())):
            if album.smart is None:  # a smart album's photos follow its search
                add.addAction(album.name, lambda name=album.name: self.add_to_album(name, paths))
        add.addAction("New album…", lambda: self.new_album(paths))
        if self.current_album is not None and self.current_album in self.panel.model.names():
            album = self.current_album
            menu.addAction(f"Remove from {album}", lambda: self.remove_from_album(album, paths))
        menu.addSeparator()
        menu.addAction(f"Copy {_photos(n)} to folder…", lambda: self.copy(paths, export=False))
        menu.addAction(f"Export {_photos(n)}…", lambda: self.copy(paths, export=True))
        everything = [r.path for r in self.window.results.results()]
        if len(everything) > n:
            menu.addAction(
                f"Copy all {len(everything):,} results to folder…",
                lambda: self.copy(everything, export=False),
            )
            menu.addAction(
                f"Export all {len(everything):,} results…",
                lambda: self.copy(everything, export=True),
            )
        menu.addSeparator()
        menu.addAction(f"Move {_photos(n)} to trash…", lambda: self.trash(paths))

    # --- file actions -------------------------------------------------------------------------

    def copy(self, paths: list[str], export: bool) -> None:
        title = "Export to folder" if export else "Copy to folder"
        folder = QFileDialog.getExistingDirectory(self.window, title)
        if not folder or not paths:
            return
        if export:
            work = lambda: file_actions.export_to_folder(paths, folder, max_side=2048)  # noqa: E731
        else:
            work = lambda: file_actions.copy_to_folder(paths, folder)  # noqa: E731
        verb = f"Exported to {folder}:" if export else f"Copied to {folder}:"
        self.background.run(work, lambda report: self.message(report.summary(verb)))

    def trash(
        self,
        paths: list[str],
        then: Callable[[file_actions.ActionReport], None] | None = None,
    ) -> None:
        """After the user confirms the count: to the system trash, with Undo."""
        n = len(paths)
        undo = (
            "You can undo this."
            if file_actions.restorable()
            else "You can restore them from the system trash."
        )
        answer = QMessageBox.question(
            self.window,
            "Move to trash",
            f"Move {_photos(n)} to the trash? {undo}",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return

        def done(report: file_actions.ActionReport) -> None:
            self.last_trashed = report.trashed
            restorable = any(t.in_trash for t in report.trashed)
            self.undo_button.setVisible(restorable)
            if restorable:
                self.undo_timer.start()
            self.message(report.summary("Moved to the trash:"))
            self.window.host.reindex()  # the catalog lets go of them now, not at the next scan
            if then is not None:
                then(report)

        self.background.run(lambda: file_actions.move_to_trash(list(paths)), done)

    def undo_trash(self) -> None:
        items, self.last_trashed = self.last_trashed, []
        self.undo_button.setVisible(False)
        if not items:
            return

        def done(report: file_actions.ActionReport) -> None:
            self.message(report.summary("Restored from the trash:"))
            self.window.host.reindex()

        self.background.run(lambda: file_actions.restore_from_trash(items), done)

    # --- duplicates -----------------------------------------------------------------------------

    def open_duplicates(self) -> None:
        from magpie.gui.duplicates_dialog import DuplicatesDialog

        if self.duplicates_dialog is None or not self.duplicates_dialog.isVisible():
            self.duplicates_dialog = DuplicatesDialog(self, self.window.query.folder)
        self.duplicates_dialog.show()
        self.duplicates_dialog.raise_()
