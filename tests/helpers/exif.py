"""Photos whose EXIF names a camera and a lens (the preview's details)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

EXIF_IFD, MAKE, MODEL, LENS_MAKE, LENS_MODEL = 0x8769, 0x010F, 0x0110, 0xA433, 0xA434


def lens_photo(
    path: Path,
    rgb: tuple[int, int, int],
    lens: str,
    lens_make: str = "",
    size: tuple[int, int] = (640, 480),
) -> Path:
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = "Canon", "Canon EOS R5"
    details = {LENS_MODEL: lens}
    if lens_make:
        details[LENS_MAKE] = lens_make
    exif[EXIF_IFD] = details
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, rgb).save(path, exif=exif, quality=90)
    return path
