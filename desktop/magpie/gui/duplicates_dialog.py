"""The Duplicates view: groups of near-duplicates with the suggested keeper, a similarity
control with a live preview, and "Move the others to the trash".

Candidate pairs are found once in the background; moving the control only regroups them,
also in the background (a newer position makes older results stale), so the window never
waits.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from magpie.core import duplicates

if TYPE_CHECKING:
    from magpie.gui.organize import Organizer

PathItemRole = Qt.ItemDataRole.UserRole + 30
PREVIEW_DEBOUNCE_MS = 120


def _still_there(groups: list[duplicates.DuplicateGroup]) -> list[duplicates.DuplicateGroup]:
    """Without photos trashed or deleted since the catalog last looked (runs off the GUI)."""
    out = []
    for group in groups:
        photos = [p for p in group.photos if os.path.lexists(p.path)]
        if len(photos) == len(group.photos):
            out.append(group)
        elif len(photos) > 1:
            keep, reason = duplicates.choose_keeper(photos)
            ordered = [keep, *[p for p in photos if p is not keep]]
            out.append(duplicates.DuplicateGroup(ordered, keep, reason, group.score))
    return out


class DuplicatesDialog(QDialog):
    def __init__(self, organizer: Organizer, folder: str | None = None) -> None:
        super().__init__(organizer.window)
        self.organizer = organizer
        self.folder = folder
        self.finder: duplicates.DuplicateFinder | None = None
        self.groups: list[duplicates.DuplicateGroup] = []
        self._generation = 0
        self._items: dict[str, QTreeWidgetItem] = {}
        self.setWindowTitle("Duplicates")
        self.resize(820, 620)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(round(duplicates.MIN_THRESHOLD * 100), 100)
        self.slider.setValue(round(duplicates.DEFAULT_THRESHOLD * 100))
        self.slider.setToolTip(
            "Lower finds more (heavier crops and edits) but may group look-alikes; "
            "higher keeps only near-identical copies"
        )
        self.value_label = QLabel()
        self.summary = QLabel("Looking for duplicates…")
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Groups of duplicates")
        self.tree.setHeaderLabels(["Photo", "Why"])
        self.tree.setColumnWidth(0, 520)
        self.tree.setIconSize(self.tree.iconSize().expandedTo(self.tree.iconSize() * 4))
        self.trash_button = QPushButton("Move checked to trash…")
        self.trash_button.setEnabled(False)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        control = QHBoxLayout()
        control.addWidget(QLabel("Similarity"))
        control.addWidget(self.slider, 1)
        control.addWidget(self.value_label)
        layout = QVBoxLayout(self)
        layout.addLayout(control)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.trash_button)
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout.addLayout(bottom)

        self.debounce = QTimer(self, singleShot=True, interval=PREVIEW_DEBOUNCE_MS)
        self.debounce.timeout.connect(self.regroup)
        self.slider.valueChanged.connect(self._moved)
        self.trash_button.clicked.connect(self.trash_checked)
        organizer.window.thumbnails.ready.connect(self._thumbnail_ready)
        self._moved(self.slider.value())
        self.refresh()

    @property
    def threshold(self) -> float:
        return self.slider.value() / 100.0

    def _moved(self, value: int) -> None:
        self.value_label.setText(f"{value / 100:.2f}")
        self.debounce.start()

    def refresh(self) -> None:
        """Find candidate pairs again (after photos changed), then group them."""
        engine = self.organizer.engine()
        if engine is None:
            return
        folder = self.folder
        self.summary.setText("Looking for duplicates…")
        self.organizer.background.run(
            lambda: duplicates.find_duplicates(engine, folder), self._finder_ready
        )

    def _finder_ready(self, finder: duplicates.DuplicateFinder) -> None:
        self.finder = finder
        self.regroup()

    def regroup(self) -> None:
        self.debounce.stop()
        finder = self.finder
        if finder is None:
            return
        self._generation += 1
        generation, threshold = self._generation, self.threshold
        self.organizer.background.run(
            lambda: _still_there(finder.groups(threshold)),
            lambda groups: self._show(generation, groups),
        )

    def _show(self, generation: int, groups: list[duplicates.DuplicateGroup]) -> None:
        if generation != self._generation:
            return  # the control moved on meanwhile
        self.groups = groups
        self.tree.clear()
        self._items.clear()
        extra = sum(len(g.photos) - 1 for g in groups)
        self.summary.setText(
            f"{len(groups)} groups; {extra} photos could go (checked), keepers unchecked"
            if groups
            else "No duplicates at this similarity."
        )
        for n, group in enumerate(groups, 1):
            head = QTreeWidgetItem([f"Group {n}: {len(group.photos)} photos", ""])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(head)
            for photo in group.photos:
                keep = photo is group.keep
                item = QTreeWidgetItem([photo.path, f"keep: {group.reason}" if keep else ""])
                item.setData(0, PathItemRole, photo.path)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Unchecked if keep else Qt.CheckState.Checked)
                item.setToolTip(0, f"{photo.width}x{photo.height}, {Path(photo.path).name}")
                self._set_icon(item, photo.path, photo.fingerprint)
                self._items[photo.path] = item
                head.addChild(item)
            head.setExpanded(True)
        self.trash_button.setEnabled(bool(groups))

    def _set_icon(self, item: QTreeWidgetItem, path: str, fingerprint: str | None) -> None:
        pixmap = self.organizer.window.thumbnails.pixmap(path, path, fingerprint)
        if pixmap is not None:
            item.setIcon(0, QIcon(pixmap))

    def _thumbnail_ready(self, key: str) -> None:
        item = self._items.get(key)
        if item is not None:
            photo = next((p for g in self.groups for p in g.photos if p.path == key), None)
            self._set_icon(item, key, photo.fingerprint if photo else None)

    def checked_paths(self) -> list[str]:
        return [
            path
            for path, item in self._items.items()
            if item.checkState(0) == Qt.CheckState.Checked
        ]

    def trash_checked(self) -> None:
        paths = self.checked_paths()
        if paths:
            self.organizer.trash(paths, then=lambda _report: self.refresh())

    def done(self, result: Any) -> None:
        self.organizer.window.thumbnails.ready.disconnect(self._thumbnail_ready)
        super().done(result)
