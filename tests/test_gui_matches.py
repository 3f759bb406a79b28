"""The grid shows matches, a count, the less likely ones on demand, a "nothing close" state,
confidence cues, date order, the text-image weight and the filters in force."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.gui.app import create_window
from magpie.gui.main_window import MainWindow
from magpie.gui.matches import CueRole, DayRole, MatchedResultsModel
from magpie.gui.search_options import SENSITIVITY_LEVELS
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from tests.helpers.packs import GRID_DIM, concept_library, grid_image, make_grid_pack

WAIT_MS = 15_000


@pytest.fixture
def scene(tmp_path: Path) -> tuple[Path, dict]:
    rng = np.random.default_rng(11)
    vectors, made = concept_library(tmp_path / "photos", rng, {"cat": 4, "boat": 3}, 60, 0.5)
    pack = make_grid_pack(tmp_path / "pack", {**vectors, "tree": rng.standard_normal(GRID_DIM)})
    library = tmp_path / "library"
    import_pack(Library(library), pack)
    return library, {"photos": tmp_path / "photos", "made": made, "vectors": vectors}


@pytest.fixture
def window(qtbot: QtBot, scene: tuple[Path, dict]):
    library, info = scene
    window = create_window(str(library))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.ready, timeout=WAIT_MS)
    window.add_folder(str(info["photos"]))
    qtbot.waitUntil(lambda: window.status.images == 67, timeout=WAIT_MS)
    yield window
    window.host.shutdown()
    window.thumbnails.wait()


def type_query(window: MainWindow, qtbot: QtBot, text: str) -> None:
    window.search_bar.edit.setText(text)
    window.run_query_now()
    qtbot.waitUntil(
        lambda: window.query.text == text and bool(window.results.results()), timeout=WAIT_MS
    )
    qtbot.wait(50)


def visible(window: MainWindow) -> set[str]:
    rows = window.results.rowCount()
    return {Path(window.results.result(i).path).name for i in range(rows)}


def names(paths: list[Path]) -> set[str]:
    return {p.name for p in paths}


def test_matches_count_cue_and_the_less_likely_on_demand(window: MainWindow, qtbot: QtBot, scene):
    made = scene[1]["made"]
    type_query(window, qtbot, "cat")
    qtbot.waitUntil(lambda: visible(window) == names(made["cat"]), timeout=WAIT_MS)
    assert window.search_options.count.text() == "4 matches"
    assert window.stack.currentWidget() is window.grid
    index = window.results.index(0)
    assert index.data(CueRole) in ("strong", "likely")
    assert "match" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert "score" in index.data(Qt.ItemDataRole.ToolTipRole)
    button = window.search_options.less_button
    assert button.isVisibleTo(window) and "Show less likely" in button.text()
    button.click()
    assert window.results.rowCount() == len(window.results.results()) > 4
    assert window.results.index(4).data(CueRole) == "less"
    assert "Less likely" in window.results.index(4).data(Qt.ItemDataRole.ToolTipRole)
    window.grid.viewport().repaint()  # the delegate paints cues, veil and mark


def test_nothing_close_keeps_the_nearest_reachable(window: MainWindow, qtbot: QtBot):
    type_query(window, qtbot, "tree")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.nothing_close, timeout=WAIT_MS)
    assert "Nothing close to “tree”" in window.nothing_close.label.text()
    assert window.search_options.count.text() == "Nothing close to that"
    assert window.results.rowCount() == 0
    window.nothing_close.button.click()
    assert window.stack.currentWidget() is window.grid
    assert window.results.rowCount() > 0
    assert window.results.index(0).data(CueRole) == "less"


def test_date_order_and_day_marks(window: MainWindow, qtbot: QtBot, scene):
    import os

    made = scene[1]["made"]
    stamps = {}
    for days, path in enumerate(sorted(made["cat"])):
        stamps[path.name] = 1_600_000_000 + days * 86_400 * 40
        os.utime(path, (stamps[path.name],) * 2)
    with qtbot.waitSignal(window.host.statusChanged, timeout=WAIT_MS):
        window.host.reindex()  # new dates
    window.search_options.order.setCurrentIndex(1)  # Date
    type_query(window, qtbot, "cat")
    expected = sorted(stamps, key=lambda n: -stamps[n])
    qtbot.waitUntil(
        lambda: [Path(r.path).name for r in window.results.results()[:4]] == expected,
        timeout=WAIT_MS,
    )
    assert window._with_options(window.query).order == "date"  # travels with each search
    # the four are 40 days apart (120 in all): grouped by month, each group marked once
    labels = [window.results.index(i).data(DayRole) for i in range(4)]
    assert labels[0] and all(label is None or label[0].isalpha() for label in labels)
    assert 1 <= len([label for label in labels if label]) <= 4


def test_weight_shows_with_text_and_image_and_moves_the_results(
    window: MainWindow, qtbot: QtBot, scene, tmp_path: Path
):
    info = scene[1]
    ref = grid_image(tmp_path / "ref.png", info["vectors"]["boat"])
    window.search_bar.edit.setText("cat")
    window.add_query_images([("ref.png", str(ref))])
    options = window.search_options
    qtbot.waitUntil(lambda: options.weight.isVisibleTo(window), timeout=WAIT_MS)
    options.weight.setValue(0)  # all text
    window.run_query_now()
    qtbot.waitUntil(lambda: visible(window) == names(info["made"]["cat"]), timeout=WAIT_MS)
    options.weight.setValue(100)  # all image
    window.run_query_now()
    qtbot.waitUntil(lambda: visible(window) == names(info["made"]["boat"]), timeout=WAIT_MS)


def test_filters_in_force_are_chips_in_the_search_bar(window: MainWindow, qtbot: QtBot, scene):
    made = scene[1]["made"]
    type_query(window, qtbot, "cat -boat")
    chips = window.search_options.filter_chips()
    assert [c.text() for c in chips] == ["Without boat  ✕"]
    qtbot.waitUntil(lambda: visible(window) == names(made["cat"]), timeout=WAIT_MS)
    chips[0].click()
    assert window.search_bar.edit.text() == "cat"
    window.set_folder_filter(str(scene[1]["photos"]))
    chips = window.search_options.filter_chips()
    assert chips and chips[0].text().startswith("In photos")
    chips[0].click()
    assert window.query.folder is None


def test_settings_offer_a_sensitivity_not_a_score(window: MainWindow, qtbot: QtBot):
    from magpie.gui.dialogs import SettingsDialog

    dialog = SettingsDialog(window.library, [], "", window, "", window.host)
    assert not hasattr(dialog, "threshold")
    assert dialog.sensitivity.count() == len(SENSITIVITY_LEVELS)
    dialog.sensitivity.setCurrentIndex(0)
    dialog.save()
    assert window.library.load_settings().match_sensitivity == -2
    dialog.deleteLater()


def test_matched_results_model_passes_the_model_tester(qtmodeltester, window: MainWindow):
    from magpie.core.search import SearchResult

    model = MatchedResultsModel(window.thumbnails)
    results = [
        SearchResult(f"/x/{i}.jpg", 1.0 - i / 10, i, None, i < 2, 0.99, (), 1e9) for i in range(5)
    ]
    model.set_results(results, False, scored=True)
    assert model.rowCount() == 2
    qtmodeltester.check(model)
    model.expand()
    assert model.rowCount() == 5 and model.rowCount(model.index(0)) == 0
    qtmodeltester.check(model)
    assert model.data(QModelIndex(), CueRole) is None


def test_date_groups_are_days_when_close_and_months_when_spread(window: MainWindow):
    from magpie.core.search import SearchResult

    def marks(stamps: list[float]) -> list[str | None]:
        model = MatchedResultsModel(window.thumbnails)
        model.date_order = True
        rows = [
            SearchResult(f"/x/{i}.jpg", 0.9, i, None, True, 0.999, (), t)
            for i, t in enumerate(stamps)
        ]
        model.set_results(rows, False, scored=True)
        return [model.index(i).data(DayRole) for i in range(len(rows))]

    day = 1_700_000_000.0
    close = marks([day + 2 * 86_400, day + 2 * 86_400 + 60, day])
    assert close[0] and close[1] is None and close[2] and close[0] != close[2]
    spread = marks([day + 202 * 86_400, day + 201 * 86_400, day])
    assert spread[1] is None and spread[0] and spread[2]
    assert not spread[0][0].isdigit()  # "June 2024", not a day
