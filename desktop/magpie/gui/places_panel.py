"""The Places view: where photos were taken, country > region > city, with photo counts.

The list is read from the catalog on the host's query lane (never on the GUI thread) and
refreshed when the library changes; choosing a place asks the window for its photos.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLabel, QTreeView, QVBoxLayout, QWidget

from magpie.gui.host import EngineHost

PlaceRole = Qt.ItemDataRole.UserRole + 40  # the name the place filter uses for a row

PlaceRow = tuple[str, str, str, int]  # (city, region, country, photos), as Catalog.places


def place_tree(
    rows: Sequence[PlaceRow], model: QStandardItemModel | None = None
) -> QStandardItemModel:
    """Countries, their regions, their cities; each with its photo count, most first (filled
    into `model` when given, replacing what it held)."""
    countries: dict[str, dict[str, list[tuple[str, int]]]] = {}
    for city, region, country, count in rows:
        countries.setdefault(country, {}).setdefault(region or "", []).append((city, count))

    def item(label: str, name: str, count: int) -> QStandardItem:
        found = QStandardItem(f"{label} ({count:,})")
        found.setData(name, PlaceRole)
        found.setToolTip(f"{count:,} photos taken in {label}")
        found.setEditable(False)
        return found

    def total(regions: dict[str, list[tuple[str, int]]]) -> int:
        return sum(c for cities in regions.values() for _city, c in cities)

    if model is None:
        model = QStandardItemModel()
    model.clear()
    model.setHorizontalHeaderLabels(["Places"])
    for country, regions in sorted(countries.items(), key=lambda kv: (-total(kv[1]), kv[0])):
        country_item = item(country, country, total(regions))
        ordered = sorted(regions.items(), key=lambda kv: (-sum(c for _n, c in kv[1]), kv[0]))
        for region, cities in ordered:
            if region:  # a city without a region hangs under its country
                parent = item(region, region, sum(c for _n, c in cities))
                country_item.appendRow(parent)
            else:
                parent = country_item
            for city, count in sorted(cities, key=lambda c: (-c[1], c[0])):
                if city and city != region:  # "Lisbon" the region stands for Lisbon the city
                    parent.appendRow(item(city, city, count))
        model.appendRow(country_item)
    return model


class PlacesPanel(QWidget):
    """The tree of places; `placeChosen(name)` when the user picks one."""

    placeChosen = Signal(str)
    namesChanged = Signal(list)  # every known place name (the search bar completes them)

    def __init__(self, host: EngineHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.names: list[str] = []  # every place name, for the search bar's completion
        self.tree = QTreeView()
        self.tree.setAccessibleName("Places")
        self.tree.setHeaderHidden(True)
        # one model for the panel's life, owned by the view and refilled in place: a replaced,
        # parentless model was freed by whichever thread's garbage collection found it, and
        # a Qt object deleted off the GUI thread crashes the app (a segfault seen under load)
        self.model = place_tree([], QStandardItemModel(self.tree))
        self.tree.setModel(self.model)
        self.empty = QLabel("No photos with a location yet.")
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        self.tree.clicked.connect(self._clicked)
        self.tree.activated.connect(self._clicked)
        self._asked = False

    def refresh(self) -> None:
        """Read the places again (query lane); one read in flight at a time."""
        if self._asked:
            return
        self._asked = True
        self.host.ask(lambda engine: engine.catalog.places(), self._show)

    def _show(self, rows: list[PlaceRow]) -> None:
        self._asked = False
        expanded = self._expanded()
        place_tree(rows, self.model)
        self._expand(expanded)
        names = {name for city, region, country, _c in rows for name in (city, region, country)}
        self.names = sorted(n for n in names if n)
        self.namesChanged.emit(self.names)
        self.empty.setVisible(not rows)

    def _expanded(self) -> set[str]:
        model = self.tree.model()
        return {
            str(model.index(r, 0).data(PlaceRole))
            for r in range(model.rowCount())
            if self.tree.isExpanded(model.index(r, 0))
        }

    def _expand(self, names: set[str]) -> None:
        model = self.tree.model()
        for r in range(model.rowCount()):
            index = model.index(r, 0)
            self.tree.setExpanded(index, index.data(PlaceRole) in names)

    def _clicked(self, index: QModelIndex) -> None:
        name = index.data(PlaceRole)
        if name:
            self.placeChosen.emit(str(name))
