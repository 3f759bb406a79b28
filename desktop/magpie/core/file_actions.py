"""The only writes Magpie makes near photos, and only when the user asks and confirms.

- Move to the system trash (send2trash: the desktop's own trash, so the file manager can
  restore it too). On freedesktop systems (Linux, BSD) Magpie remembers where each file went
  and Undo puts it back; elsewhere the platform's trash has no API for that, and Undo says
  where to restore from.
- Copy to a folder the user picks: byte-for-byte copies, never overwriting (a clash becomes
  "name (2).jpg").
- Export: upright JPEG copies, optionally scaled down, for sharing.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_to_bytes

from magpie.core import imaging
from magpie.core.errors import DecodeError, MagpieError

log = logging.getLogger("magpie.file_actions")


@dataclass(frozen=True)
class Trashed:
    original: str
    in_trash: str | None  # the file inside the trash, where the platform lets us know


@dataclass
class ActionReport:
    """What happened to each photo: done, or why not."""

    done: list[tuple[str, str]] = field(default_factory=list)  # (source, result)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    trashed: list[Trashed] = field(default_factory=list)

    def summary(self, verb: str) -> str:
        text = f"{verb} {len(self.done)} photo{'s' if len(self.done) != 1 else ''}"
        if self.failed:
            text += f"; {len(self.failed)} could not be: " + "; ".join(
                f"{Path(p).name}: {why}" for p, why in self.failed[:3]
            )
        return text


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


# --- trash ------------------------------------------------------------------------------------


def restorable() -> bool:
    """Whether Undo can put trashed files back (the freedesktop trash)."""
    return sys.platform not in ("win32", "darwin")


def _trash_dirs(path: str) -> list[tuple[Path, Path]]:
    """(trash, the folder its relative paths start from) where the freedesktop trash may
    have put `path`: the home trash, then the trash folders of the file's volume."""
    try:
        from send2trash import plat_other

        data = Path(os.fsdecode(plat_other.XDG_DATA_HOME))
        volume = Path(os.fsdecode(plat_other.find_mount_point(os.fsencode(path))))
    except (ImportError, OSError, AttributeError):
        data = Path(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"))
        return [(data / "Trash", data)]
    uid = str(os.getuid())
    return [
        (data / "Trash", data),
        (volume / ".Trash" / uid, volume),
        (volume / f".Trash-{uid}", volume),
    ]


def _find_in_trash(original: str) -> str | None:
    """The newest trash entry whose recorded origin is `original` (freedesktop spec)."""
    best: tuple[str, str] | None = None
    for trash, top in _trash_dirs(original):
        info_dir = trash / "info"
        if not info_dir.is_dir():
            continue
        for info in info_dir.glob("*.trashinfo"):
            try:
                lines = info.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            fields = dict(line.split("=", 1) for line in lines if "=" in line)
            # quoted bytes: names that are not UTF-8 compare exactly
            recorded = os.path.join(os.fsencode(top), unquote_to_bytes(fields.get("Path", "")))
            if recorded != os.fsencode(original):
                continue
            stamp = fields.get("DeletionDate", "")
            entry = trash / "files" / info.name.removesuffix(".trashinfo")
            if os.path.lexists(entry) and (best is None or stamp > best[0]):
                best = (stamp, str(entry))
    return best[1] if best else None


def move_to_trash(paths: Iterable[str]) -> ActionReport:
    """Send each photo to the system trash; one failure never stops the others."""
    from send2trash import send2trash
    from send2trash.exceptions import TrashPermissionError

    report = ActionReport()
    for path in paths:
        try:
            send2trash(path)
        except (OSError, TrashPermissionError) as exc:
            report.failed.append((path, _reason(exc) if isinstance(exc, OSError) else str(exc)))
            continue
        where = _find_in_trash(path) if restorable() else None
        report.trashed.append(Trashed(path, where))
        report.done.append((path, where or "trash"))
        log.info("moved to the trash at the user's request: %s", path)
    return report


def restore_from_trash(items: Iterable[Trashed]) -> ActionReport:
    """Undo: put trashed photos back where they were, never over a file that is there now."""
    report = ActionReport()
    for item in items:
        if item.in_trash is None or not os.path.lexists(item.in_trash):
            report.failed.append(
                (item.original, "not found in the trash; restore it from the system trash")
            )
            continue
        if os.path.lexists(item.original):
            report.failed.append((item.original, "a file with that name is there now"))
            continue
        try:
            os.makedirs(os.path.dirname(item.original), exist_ok=True)
            shutil.move(item.in_trash, item.original)
        except OSError as exc:
            report.failed.append((item.original, _reason(exc)))
            continue
        info = Path(item.in_trash).parent.parent / "info" / f"{Path(item.in_trash).name}.trashinfo"
        info.unlink(missing_ok=True)
        report.done.append((item.original, item.original))
    return report


# --- copy and export -----------------------------------------------------------------------


def _free_name(folder: Path, name: str) -> Path:
    """`name` in `folder`, or "stem (2).ext"... if taken: never overwrite."""
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 1
    while os.path.lexists(target):
        n += 1
        target = folder / f"{stem} ({n}){suffix}"
    return target


def _check_destination(folder: str | Path) -> Path:
    dest = Path(folder).expanduser()
    if not dest.is_dir():
        raise MagpieError(f"{dest}: not a folder")
    if not os.access(dest, os.W_OK):
        raise MagpieError(f"{dest}: cannot write there (permission denied)")
    return dest


def _each(paths: Iterable[str], dest: Path, write: Callable[[str, Path], Path]) -> ActionReport:
    report = ActionReport()
    for path in paths:
        try:
            report.done.append((path, str(write(path, dest))))
        except DecodeError as exc:
            report.failed.append((path, str(exc).replace(f"{path}: ", "", 1)))
        except OSError as exc:
            report.failed.append((path, _reason(exc)))
    return report


def copy_to_folder(paths: Iterable[str], folder: str | Path) -> ActionReport:
    """Byte-for-byte copies (with their dates) into a folder the user picked."""
    dest = _check_destination(folder)

    def write(path: str, into: Path) -> Path:
        target = _free_name(into, os.path.basename(path))
        shutil.copy2(path, target)
        return target

    return _each(paths, dest, write)


def export_to_folder(
    paths: Iterable[str], folder: str | Path, max_side: int | None = None, quality: int = 90
) -> ActionReport:
    """Upright JPEG copies, the long side at most `max_side` pixels (None: full size)."""
    dest = _check_destination(folder)

    def write(path: str, into: Path) -> Path:
        image = imaging.decode_image(path)
        if max_side:
            image = imaging.make_thumbnail(image, max_side)
        target = _free_name(into, f"{Path(path).stem}.jpg")
        partial = target.with_name(f".{target.name}.part")
        try:
            image.save(partial, "JPEG", quality=quality)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    return _each(paths, dest, write)
