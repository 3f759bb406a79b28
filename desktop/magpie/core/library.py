"""The library folder: everything Magpie writes lives under it, nothing anywhere else.

Resolution order: an explicit path (--library), then $MAGPIE_LIBRARY, then the platform's
user data folder. Settings are typed, versioned and upgraded in place.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from magpie.core.errors import MagpieError

log = logging.getLogger("magpie.library")

ENV_VAR = "MAGPIE_LIBRARY"
SETTINGS_VERSION = 1


def default_library_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("Magpie", appauthor=False))


def resolve_library_dir(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return default_library_dir()


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class Settings:
    """User settings; unknown keys from newer versions are kept, not dropped."""

    model: str = ""  # name of the installed pack in use ("" = the only one installed)
    device: str = "auto"
    results_per_page: int = 200
    score_threshold: float = 0.0  # no longer applied: matches are judged per query
    match_sensitivity: int = 0  # -2 (strict) .. 2 (generous): see magpie.core.matching
    int8_images: bool = False  # faster CPU indexing, once checked on the user's photos
    language: str = ""  # the query language NLLB packs are told ("" = the system locale)
    read_text: bool = True  # OCR pass after embeddings: words in photos are searchable

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        data = _upgrade(dict(data))
        known = {f.name: f for f in fields(cls)}
        defaults = cls()
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known or isinstance(value, bool) != isinstance(
                getattr(defaults, name), bool
            ):
                continue
            expected = type(getattr(defaults, name))
            if expected is float and isinstance(value, int):
                value = float(value)
            if isinstance(value, expected):
                values[name] = value
            else:
                log.warning(
                    "settings: ignoring %s=%r (expected %s)", name, value, expected.__name__
                )
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return {"version": SETTINGS_VERSION, **asdict(self)}


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring settings written by older Magpie versions up to SETTINGS_VERSION."""
    version = data.get("version", 1)
    if not isinstance(version, int) or version > SETTINGS_VERSION:
        log.warning(
            "settings written by a newer Magpie (version %s); reading what we know", version
        )
    return data


class Library:
    """Paths inside one library folder, and its settings."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = resolve_library_dir(root)

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs_dir / "magpie.log"

    @property
    def catalog_file(self) -> Path:
        return self.root / "catalog.sqlite"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def thumbnails_dir(self) -> Path:
        return self.root / "thumbnails"

    @property
    def writer_lock_file(self) -> Path:
        return self.root / "writer.lock"

    @property
    def gui_settings_file(self) -> Path:
        return self.root / "gui.ini"

    def ensure(self) -> Library:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.models_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise MagpieError(
                f"{self.root}: cannot create the library folder ({exc.strerror or exc})"
            ) from None
        return self

    def load_settings(self) -> Settings:
        try:
            data = json.loads(self.settings_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Settings()
        except (OSError, ValueError) as exc:
            log.warning("%s: unreadable settings, using defaults (%s)", self.settings_file, exc)
            return Settings()
        return Settings.from_json(data) if isinstance(data, dict) else Settings()

    def save_settings(self, settings: Settings) -> None:
        self.ensure()
        atomic_write_text(self.settings_file, json.dumps(settings.to_json(), indent=2) + "\n")
