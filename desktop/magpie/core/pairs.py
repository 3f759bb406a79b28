"""One shot, one item: RAW+JPEG pairs and Live Photos (a still plus a .mov of the same name).

Cameras write IMG_0001.CR2 beside IMG_0001.JPG; iPhones write IMG_0001.HEIC beside
IMG_0001.MOV. Both files are indexed (either may be all the user keeps later), but results
show the still once, with its companions listed, wherever either file matched.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from magpie.core.imaging import RAW_SUFFIXES, SUPPORTED_SUFFIXES

if TYPE_CHECKING:
    from magpie.core.engine import SearchResult

LIVE_PHOTO_MOTION = frozenset({".mov"})  # the moving part of an iPhone Live Photo
STILL_SUFFIXES = SUPPORTED_SUFFIXES - RAW_SUFFIXES

# path -> files in its folder with the same name before the extension:
# (path, id, fingerprint, indexed)
Member = tuple[str, int, "str | None", bool]
SiblingLookup = Callable[[list[str]], dict[str, list[Member]]]


def stem_prefix(path: str) -> str:
    """What the files of one shot share: folder, name and the dot before the extension."""
    return os.path.splitext(path)[0] + "."


def is_still(path: str) -> bool:
    return Path(path).suffix.lower() in STILL_SUFFIXES


def is_companion(path: str) -> bool:
    suffix = Path(path).suffix.lower()
    return suffix in RAW_SUFFIXES or suffix in LIVE_PHOTO_MOTION


def companion_label(paths: tuple[str, ...] | list[str]) -> str:
    """The badge text: RAW, LIVE or both."""
    kinds = []
    if any(Path(p).suffix.lower() in RAW_SUFFIXES for p in paths):
        kinds.append("RAW")
    if any(Path(p).suffix.lower() in LIVE_PHOTO_MOTION for p in paths):
        kinds.append("LIVE")
    return "+".join(kinds)


def group(
    results: list[SearchResult], siblings: SiblingLookup, map_companions: bool = True
) -> list[SearchResult]:
    """Results with each shot once: a companion's hit becomes its still's (at the best rank),
    and the still lists its companions. map_companions=False drops companion rows instead
    (browsing: the still has its own row, perhaps on another page)."""
    found = siblings([r.path for r in results])
    out: list[SearchResult] = []
    shown: set[int] = set()
    for result in results:
        members = found.get(result.path, [])
        stills = [m for m in members if is_still(m[0]) and m[3]]
        companions = tuple(m[0] for m in members if is_companion(m[0]))
        if not stills or not companions:
            out.append(result)
            continue
        if is_companion(result.path):
            if not map_companions:
                continue
            path, file_id, print_, _ = stills[0]
            result = dataclasses.replace(
                result, path=path, file_id=file_id, fingerprint=print_, time=None
            )
        if result.file_id in shown:
            continue
        shown.add(result.file_id)
        out.append(dataclasses.replace(result, companions=companions))
    return out
