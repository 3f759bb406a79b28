"""What the grid is asked for: the query rules behind the search bar, Qt-free and testable.

The main window only wires widgets to these: typing keeps image chips but ends a "similar
to" search, dropped files become folders to add or an image query, and so on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from magpie.core.imaging import is_supported
from magpie.core.video import format_time

if TYPE_CHECKING:
    from magpie.gui.host import Query

ImageSource = tuple[str, "str | bytes"]  # (label, path or encoded image)


def typed(query: Query, text: str) -> Query:
    """The query once the search box holds `text`: image chips stay, "similar to" ends."""
    if text == query.text:
        return query
    images = query.images if not query.similar_to else ()
    return replace(query, text=text, images=images, similar_to=None, similar_time=None)


def with_images(query: Query, text: str, images: list[ImageSource]) -> Query:
    """Reference images added to the query (they replace a "similar to" search)."""
    current = () if query.similar_to else query.images
    return replace(query, text=text, images=(*current, *images), similar_to=None, similar_time=None)


def without_image(query: Query, position: int, text: str) -> Query:
    images = tuple(x for i, x in enumerate(query.images) if i != position)
    return replace(query, text=text, images=images, similar_to=None, similar_time=None)


def without_similar(query: Query, text: str) -> Query:
    return replace(query, text=text, images=(), similar_to=None, similar_time=None)


def similar_to(query: Query, paths: list[str], seconds: float | None = None) -> Query | None:
    """One photo (or a video's frame at `seconds`): its neighbours; several: their combined
    look; none: nothing to do."""
    if not paths:
        return None
    if len(paths) == 1:
        return replace(query, text="", images=(), similar_to=paths[0], similar_time=seconds)
    images = tuple((Path(p).name, p) for p in paths)
    return replace(query, text="", images=images, similar_to=None, similar_time=None)


def chip_labels(query: Query) -> list[str]:
    """The search bar's chips, in order: each reference image, then "similar to"."""
    labels = [label for label, _source in query.images]
    if query.similar_to:
        at = f" at {format_time(query.similar_time)}" if query.similar_time is not None else ""
        labels.append(f"Similar to {Path(query.similar_to).name}{at}")
    return labels


@dataclass(frozen=True)
class Dropped:
    """What a drop or a paste holds: folders to add, image files to search by."""

    folders: list[str]
    images: list[str]


def local_path(text: str) -> str | None:
    """A single line of pasted text naming an existing file or folder (a path or file:// URL)."""
    text = text.strip()
    if not text or "\n" in text:
        return None
    candidate = unquote(urlparse(text).path) if text.startswith("file://") else text
    candidate = os.path.expanduser(candidate)
    return candidate if os.path.exists(candidate) else None


def classify(paths: list[str], text: str = "") -> Dropped:
    """Sort dropped or pasted things; the text counts only when no file came with them."""
    if not paths:
        found = local_path(text)
        paths = [found] if found else []
    folders = [p for p in paths if os.path.isdir(p)]
    images = [p for p in paths if os.path.isfile(p) and is_supported(p)]
    return Dropped(folders, images)
