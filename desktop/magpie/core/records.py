"""Typed records the engine hands to the CLI, the GUI and scripts (no dicts read by key).

`to_json` gives each the shape DESIGN.md fixes for `--json` output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Counts:
    """Photos of one model: indexed (current embedding), all files, failed, waiting."""

    images: int = 0
    files: int = 0
    failed: int = 0
    pending: int = 0


@dataclass(frozen=True)
class FolderStatus:
    path: str
    images: int
    online: bool
    watch: str  # "native" | "polling"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "images": self.images,
            "online": self.online,
            "watch": self.watch,
        }


@dataclass(frozen=True)
class FailedFile:
    path: str
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "error": self.error}


@dataclass(frozen=True)
class Status:
    """What `magpie status` and the app's status bar and folder panel show."""

    images: int = 0
    pending: int = 0
    folders: list[FolderStatus] = field(default_factory=list)
    model: str | None = None
    device: str | None = None
    device_note: str = ""
    failed: list[FailedFile] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # to tell the user once
    # the text pass (OCR) apart from indexing: {"enabled": bool, "read": N, "pending": N}
    text: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "pending": self.pending,
            "folders": [f.to_json() for f in self.folders],
            "model": self.model,
            "device": self.device,
            "device_note": self.device_note,
            "failed": [f.to_json() for f in self.failed],
            "notices": list(self.notices),
            "text": dict(self.text),
        }


@dataclass(frozen=True)
class PhotoDetails:
    """Everything the preview shows about one photo (from the catalog)."""

    path: str
    size: int
    mtime_ns: int
    width: int | None
    height: int | None
    taken_at: float | None
    camera: str | None
    gps_lat: float | None
    gps_lon: float | None
    state: str
    error: str | None
    # videos only (the catalog's videos table); None for photos
    duration: float | None = None
    codec: str | None = None
    fps: float | None = None
    # words read in the photo (OCR) and where it was taken ("Intendente, Lisbon, Portugal")
    text: str = ""
    place: str = ""
    lens: str = ""  # from the photo's EXIF (LensModel), read when shown
