"""Installed model packs: <library>/models/<name>/. Import, choose, resolve, validate."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from magpie.core.errors import MagpieError, ModelNotFoundError
from magpie.core.library import Library
from magpie.core.packs import CONFIG_FILE, ModelPack, check_pack_files, load_pack
from magpie.core.registry import DEFAULT_MODEL

log = logging.getLogger("magpie.models")


@dataclass(frozen=True)
class InstalledPack:
    name: str
    path: Path
    size_bytes: int


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def installed_packs(library: Library) -> list[InstalledPack]:
    """Pack folders in the library (hidden folders are downloads and swaps in progress)."""
    if not library.models_dir.is_dir():
        return []
    packs = []
    for child in sorted(library.models_dir.iterdir()):
        if child.name.startswith(".") or not (child / CONFIG_FILE).is_file():
            continue
        packs.append(InstalledPack(child.name, child, _folder_size(child)))
    return packs


def validate_pack(path: Path, name: str | None = None) -> ModelPack:
    """Load both graphs on the CPU and embed one image and one text: proof the pack works."""
    from magpie.core.encoders import ClipModel

    pack = load_pack(path, name)
    check_pack_files(pack.path)  # external weights too: named if missing, not a bare ORT error
    model = ClipModel(pack, device="cpu")
    cfg = pack.preprocess
    probe = np.zeros((1, 3, cfg.height, cfg.width), dtype=np.float32)
    model.image.encode(probe)
    model.text.encode(["a photo"])
    return pack


def resolve_model(library: Library, spec: str | None = None) -> ModelPack:
    """--model NAME|DIR, else the chosen one in settings, else the only one installed."""
    if spec:
        installed = library.models_dir / spec
        if os.sep not in spec and "/" not in spec and installed.is_dir():
            return load_pack(installed, spec)
        if Path(spec).expanduser().is_dir():
            return load_pack(Path(spec))
        raise ModelNotFoundError(
            f"no model {spec!r}: not installed in {library.models_dir} and not a folder. "
            "See `magpie models list`."
        )
    chosen = library.load_settings().model
    if chosen:
        path = library.models_dir / chosen
        if path.is_dir():
            return load_pack(path, chosen)
        log.warning("the model in use, %r, is no longer installed", chosen)
    packs = installed_packs(library)
    if len(packs) == 1:
        return load_pack(packs[0].path, packs[0].name)
    if not packs:
        raise ModelNotFoundError(
            f"no model installed. Run `magpie models install {DEFAULT_MODEL}` (downloads ~600 MB), "
            "or `magpie models import DIR` for a pack folder you have, or pass --model DIR."
        )
    names = ", ".join(p.name for p in packs)
    raise ModelNotFoundError(
        f"several models installed ({names}): pick one with `magpie models use NAME`"
    )


def replace_folder_atomically(staging: Path, target: Path) -> None:
    """Move a complete pack into place; the old one (if any) is swapped out, then removed."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    try:
        staging.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def import_pack(library: Library, source: Path, name: str | None = None) -> InstalledPack:
    """Copy a pack folder (every file its graphs reference, nothing else) into the library;
    the copy, not the source, must then load and embed before it is put in place."""
    source = source.expanduser().resolve()
    pack_name = name or source.name
    if not pack_name or pack_name.startswith(".") or os.sep in pack_name:
        raise MagpieError(f"{pack_name!r} is not a usable model name")
    load_pack(source, pack_name)  # cheap JSON checks before copying gigabytes
    files = check_pack_files(source)
    library.ensure()
    target = library.models_dir / pack_name
    if target.resolve() == source:
        raise MagpieError(f"{source} is already installed as {pack_name!r}")
    staging = Path(tempfile.mkdtemp(prefix=f".{pack_name}.import-", dir=library.models_dir))
    try:
        for relative in files:
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relative, staging / relative)
            if (staging / relative).stat().st_size != (source / relative).stat().st_size:
                raise MagpieError(f"{relative}: the copy differs in size from {source}")
        validate_pack(staging, pack_name)
        staging.chmod(0o755)
        replace_folder_atomically(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise MagpieError(f"cannot copy the pack into {target} ({exc.strerror or exc})") from None
    except MagpieError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return InstalledPack(pack_name, target, _folder_size(target))


def use_model(library: Library, name: str) -> None:
    if not (library.models_dir / name / CONFIG_FILE).is_file():
        raise ModelNotFoundError(f"no model {name!r} installed (see `magpie models list`)")
    settings = library.load_settings()
    settings.model = name
    library.save_settings(settings)
