"""The watch rule shared by `magpie watch` and the app: changes coalesce until taken."""

from __future__ import annotations

import threading

from magpie.core.watcher import ChangedFolders


def test_changes_coalesce_until_the_next_update_takes_them():
    changed = ChangedFolders()
    assert changed.add({"/a"}) is True  # schedule one update
    assert changed.add({"/b", "/a"}) is False  # already scheduled
    assert changed.take() == ["/a", "/b"]
    assert changed.take() == []
    stop = threading.Event()
    threading.Timer(0.05, lambda: changed.add({"/c"})).start()
    changed.wait(stop, timeout=5)
    assert changed.take() == ["/c"]
