"""The row under the search bar: the match count, Best match / Date, the text-image weight,
and the filters in force (folder, exclusions) as chips the user can remove."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from magpie.core.search import parse_text
from magpie.gui.widgets import Chip

ORDERS = (("Best match", "best"), ("Date", "date"))


class SearchOptions(QWidget):
    orderChanged = Signal(str)  # "best" | "date"
    weightChanged = Signal(float)  # the text's share, 0..1
    showLessLikely = Signal()
    folderCleared = Signal()
    exclusionRemoved = Signal(str)
    placeChosen = Signal(str)  # a place typed or completed in the place filter
    placeCleared = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        self.count = QLabel()
        self.count.setObjectName("matchCount")
        self.less_button = QPushButton()
        self.less_button.setFlat(True)
        self.less_button.setVisible(False)
        self.filters = QHBoxLayout()
        self.filters.setSpacing(2)
        self.weight_label = QLabel("Text")
        self.weight = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=50)
        self.weight.setMaximumWidth(120)
        self.weight.setToolTip("How much the text counts against the image(s)")
        self.weight_end = QLabel("Image")
        self.order = QComboBox()
        for label, value in ORDERS:
            self.order.addItem(label, value)
        self.order.setToolTip("Order of the matches")
        self.place = QLineEdit()
        self.place.setPlaceholderText("Place…")
        self.place.setAccessibleName("Place filter")
        self.place.setToolTip("Only photos taken in this town, city, region or country")
        self.place.setClearButtonEnabled(True)
        self.place.setMaximumWidth(160)
        self.place_names = QStringListModel(self)
        completer = QCompleter(self.place_names, self.place)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.place.setCompleter(completer)
        completer.activated.connect(self._choose_place)
        self.place.returnPressed.connect(lambda: self._choose_place(self.place.text()))
        layout.addWidget(self.count)
        layout.addWidget(self.less_button)
        layout.addLayout(self.filters)
        layout.addStretch(1)
        for widget in (self.weight_label, self.weight, self.weight_end):
            layout.addWidget(widget)
        layout.addWidget(self.place)
        layout.addWidget(self.order)
        self.set_weight_visible(False)
        self.order.currentIndexChanged.connect(
            lambda _i: self.orderChanged.emit(str(self.order.currentData()))
        )
        self.weight.valueChanged.connect(lambda v: self.weightChanged.emit(v / 100.0))
        self.less_button.clicked.connect(self.showLessLikely)

    @property
    def order_value(self) -> str:
        return str(self.order.currentData())

    @property
    def text_weight(self) -> float:
        # the slider runs from Text (left) to Image (right): the text's share is its complement
        return 1.0 - self.weight.value() / 100.0

    def set_weight_visible(self, visible: bool) -> None:
        for widget in (self.weight_label, self.weight, self.weight_end):
            widget.setVisible(visible)

    def set_counts(self, scored: bool, matches: int, hidden: int, more: bool) -> None:
        """The count for a query ("12 matches"), and the button that shows the rest."""
        if not scored:
            self.count.setText("")
        elif matches:
            self.count.setText(
                f"{matches}{'+' if more and not hidden else ''} match{'es' if matches != 1 else ''}"
            )
        else:
            self.count.setText("Nothing close to that")
        self.less_button.setVisible(scored and hidden > 0 and matches > 0)
        self.less_button.setText(f"Show less likely ({hidden}{'+' if more else ''})")

    def set_place_names(self, names: list[str]) -> None:
        """The known places (from the catalog), offered as the user types a place."""
        self.place_names.setStringList(names)

    def _choose_place(self, name: str) -> None:
        name = name.strip()
        if name:
            self.place.clear()
            self.placeChosen.emit(name)

    def set_filters(self, folder: str | None, text: str, place: str | None = None) -> None:
        """Chips for what narrows the search: the folder, the place, each excluded term."""
        while self.filters.count():
            item = self.filters.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if folder:
            chip = Chip(f"In {Path(folder).name or folder}", None)
            chip.setToolTip(f"Only photos in {folder}: click to search everywhere")
            chip.removeRequested.connect(self.folderCleared)
            self.filters.addWidget(chip)
        if place:
            chip = Chip(f"At {place}", None)
            chip.setToolTip(f"Only photos taken in {place}: click to search everywhere")
            chip.removeRequested.connect(self.placeCleared)
            self.filters.addWidget(chip)
        for term in parse_text(text)[1]:
            chip = Chip(f"Without {term}", None)
            chip.setToolTip(f"Photos that match “{term}” are left out: click to allow them")
            chip.removeRequested.connect(lambda term=term: self.exclusionRemoved.emit(term))
            self.filters.addWidget(chip)

    def filter_chips(self) -> list[Chip]:
        found = []
        for i in range(self.filters.count()):
            item = self.filters.itemAt(i)
            widget = item.widget() if item is not None else None
            if isinstance(widget, Chip):
                found.append(widget)
        return found


class NothingClose(QWidget):
    """Shown when a query matches nothing: says so, and keeps the nearest photos a click away."""

    showNearest = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.label = QLabel("Nothing close to that in your photos.")
        self.label.setObjectName("emptyState")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton("Show the nearest photos anyway")
        layout.addWidget(self.label)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.button.clicked.connect(self.showNearest)

    def set_query(self, text: str) -> None:
        what = f"“{text}”" if text.strip() else "that"
        self.label.setText(f"Nothing close to {what} in your photos.")


SENSITIVITY_LEVELS = (
    ("Strict: only the clearest matches", -2),
    ("Careful", -1),
    ("Balanced (recommended)", 0),
    ("Generous", 1),
    ("Very generous: more matches, more mistakes", 2),
)


def sensitivity_box(value: int) -> QComboBox:
    """Settings' choice of how readily a result counts as a match: the same for every model
    and every kind of query (it moves the match rule's chance level, not a score)."""
    box = QComboBox()
    for label, level in SENSITIVITY_LEVELS:
        box.addItem(label, level)
    box.setCurrentIndex(max(0, box.findData(value)))
    box.setToolTip(
        "Magpie marks the photos that stand out for each search. Stricter marks fewer, "
        "surer matches; more generous marks more, with more mistakes."
    )
    return box
