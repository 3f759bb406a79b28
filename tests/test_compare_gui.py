"""The GUI side of switching models: the host keeps answering searches while the new model
indexes, and the compare view shows both models' results side by side."""

from __future__ import annotations

from pathlib import Path

import pytest
from magpie.core.library import Library
from magpie.core.pack_store import import_pack
from magpie.core.records import Status
from magpie.gui.compare import CompareDialog
from magpie.gui.host import EngineHost, Page, Query
from pytestqt.qtbot import QtBot

from tests.helpers.packs import make_colour_pack

WAIT_MS = 15_000


@pytest.fixture
def host(qtbot: QtBot, tmp_path: Path, photos: Path):
    root = tmp_path / "library"
    library = Library(root)
    import_pack(library, make_colour_pack(tmp_path / "old"), "old")
    import_pack(library, make_colour_pack(tmp_path / "new", dim=4), "new")
    settings = library.load_settings()
    settings.model = "old"
    library.save_settings(settings)
    host = EngineHost(root)
    statuses: list[Status] = []
    host.statusChanged.connect(statuses.append)
    host.start()
    qtbot.waitUntil(lambda: host._engine is not None and host.writer, timeout=WAIT_MS)
    host.add_folder(str(photos))
    qtbot.waitUntil(lambda: bool(statuses) and statuses[-1].images == 7, timeout=WAIT_MS)
    yield host
    host.shutdown()


def _search(host: EngineHost, qtbot: QtBot, text: str) -> Page:
    with qtbot.waitSignal(host.pageReady, timeout=WAIT_MS) as blocker:
        host.search(Query(text))
    return blocker.args[0]


def test_compare_then_switch_while_searches_keep_answering(host: EngineHost, qtbot: QtBot):
    dialog = CompareDialog(host)
    qtbot.addWidget(dialog)
    dialog.show()
    held = []

    def hold(status) -> None:
        held.append(status.state)

    host.switchChanged.connect(hold)
    host.switch_model("new", auto_switch=False)
    qtbot.waitUntil(lambda: "ready" in held, timeout=WAIT_MS)
    assert "indexed all 7 photos" in dialog.state.text()
    # the old model still answers the grid's searches
    page = _search(host, qtbot, "red")
    assert Path(page.results[0].path).name == "red.jpg"
    assert host._engine is not None and host._engine.model_name == "old"

    dialog.query.setText("blue")
    dialog.compare()
    qtbot.waitUntil(lambda: dialog.candidate_list.count() > 0, timeout=WAIT_MS)
    assert dialog.names(dialog.current_list)[0].startswith("blue")
    assert dialog.names(dialog.candidate_list)[0].startswith("blue")
    assert dialog.current_list.item(0).icon().isNull() is False  # thumbnails shown
    assert "In use: old" in dialog.current_title.text()

    with qtbot.waitSignal(host.statusChanged, timeout=WAIT_MS) as blocker:
        dialog.switch_now()
    assert blocker.args[0].model == "new"
    qtbot.waitUntil(lambda: "now using new" in dialog.state.text(), timeout=WAIT_MS)
    page = _search(host, qtbot, "green")
    assert Path(page.results[0].path).name == "green.jpg"
    assert host._engine.index.dim == 4
    assert not dialog.switch_button.isEnabled()
