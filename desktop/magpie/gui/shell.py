"""Accessibility for the window and its dialogs: every control gets an accessible name, and the
window gets a sane keyboard order.

Names come from what a sighted user reads: a control's own text, the form label that is its
buddy, its placeholder or tooltip; controls with none of these are named explicitly (the main
window's below; dialogs name theirs). `unnamed()` lists what is still missing, for the tests.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QMenuBar,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

if TYPE_CHECKING:
    from magpie.gui.main_window import MainWindow

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QTextEdit,
    QPlainTextEdit,
    QTabBar,
)
# parts of a compound control (a combo's line edit, a table's corner button): the compound
# control carries the name
COMPOUND = (QComboBox, QAbstractSpinBox, QAbstractItemView, QTabBar, QLineEdit, QMenuBar)


def _clean(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)  # rich text labels
    text = text.replace("&&", "\0").replace("&", "").replace("\0", "&")
    return " ".join(text.replace("…", "").split()).rstrip(":").strip()


def interactive(widget: QWidget) -> bool:
    """A control the user operates (a link label counts); not a part of a compound one."""
    if isinstance(widget, QScrollBar):
        return False
    parent = widget.parentWidget()
    while parent is not None:  # a combo's popup list is a window of its own: go all the way
        if isinstance(parent, COMPOUND):
            return False
        parent = parent.parentWidget()
    if isinstance(widget, QLabel):
        return "<a " in widget.text()
    return isinstance(widget, INTERACTIVE)


def derived_name(widget: QWidget, buddies: dict[int, str]) -> str:
    if id(widget) in buddies:
        return buddies[id(widget)]
    if isinstance(widget, QAbstractButton | QLabel) and _clean(widget.text()):
        return _clean(widget.text())
    if isinstance(widget, QLineEdit) and widget.placeholderText():
        return _clean(widget.placeholderText())
    tip = widget.toolTip().splitlines()[0] if widget.toolTip() else ""
    return _clean(tip)


def name_widgets(top: QWidget) -> None:
    """Give every unnamed control under `top` the name a sighted user would read for it."""
    buddies = {
        id(label.buddy()): _clean(label.text())
        for label in top.findChildren(QLabel)
        if label.buddy() is not None and _clean(label.text())
    }
    for widget in [top, *top.findChildren(QWidget)]:
        if interactive(widget) and not widget.accessibleName():
            name = derived_name(widget, buddies)
            if name:
                widget.setAccessibleName(name)


def unnamed(top: QWidget) -> list[str]:
    """The controls under `top` (shown or not) that still have no accessible name."""
    return [
        f"{type(w).__name__} {w.objectName()!r} {getattr(w, 'text', lambda: '')()!r} "
        f"tip {w.toolTip()!r} in {type(w.parentWidget()).__name__}"
        for w in [top, *top.findChildren(QWidget)]
        if interactive(w) and not w.accessibleName()
    ]


class NamesOnShow(QObject):
    """Installed on the window's child windows (dialogs, message boxes): names their controls
    each time one is shown, when it is complete (an event filter on that one object only)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        shown = event.type() == QEvent.Type.Show
        if shown and isinstance(watched, QWidget) and watched.isWindow():
            name_widgets(watched)
        return False


def apply_accessible_names(window: MainWindow) -> None:
    """The main window's controls without readable text get names; the rest are derived."""
    explicit: list[tuple[QWidget, str]] = [
        (window.search_bar.edit, "Search photos"),
        (window.grid, "Photos"),
        (window.size_slider, "Thumbnail size"),
        (window.progress_bar, "Indexing progress"),
        (window.pause_button, "Pause or resume indexing"),
        (window.failures_link, "Files that could not be read"),
        (window.organize.panel.view, "Albums"),
        (window.organize.undo_button, "Undo move to trash"),
        (window.search_options.weight, "Text or image weight"),
        (window.search_options.order, "Order"),
        (window.search_options.less_button, "Show less likely matches"),
        (window.waiting.button, "Add a folder"),
    ]
    for widget, name in explicit:
        widget.setAccessibleName(name)
    name_widgets(window)


def set_tab_order(window: MainWindow) -> None:
    """Search first, then its buttons, the sidebar top to bottom, the photos, the status bar."""
    panel = window.organize.panel
    chain: list[QWidget] = [
        window.search_bar.edit,
        window.by_image,
        window.settings_button,
        window.all_photos,
        window.add_button,
        window.remove_button,
        window.folder_list,
        panel.view,
        panel.new_button,
        panel.save_search_button,
        panel.delete_button,
        panel.duplicates_button,
        window.grid,
        window.size_slider,
    ]
    for widget in chain:
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # tool buttons: reachable by Tab
    for first, second in itertools.pairwise(chain):
        QWidget.setTabOrder(first, second)
