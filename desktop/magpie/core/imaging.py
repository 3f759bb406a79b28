"""Image decoding and model preprocessing: the one place indexing and queries share.

decode_image() turns a file (or bytes) into an upright 8-bit RGB picture as cheaply as the
caller's size allows: JPEGs are decoded with DCT scaling (Pillow's draft) to the smallest
power-of-two reduction that still leaves the short side at least `min_short_side`.
to_model_input() then resizes, crops and normalises exactly as the pack's preprocess_cfg says.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from magpie.core.errors import DecodeError
from magpie.core.packs import PreprocessConfig

log = logging.getLogger("magpie.imaging")

try:  # HEIC/HEIF (iPhone) support; the app still works on everything else without it
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
    HEIF_SUPPORTED = False

# Refuse pictures above this many pixels before decoding any of them. 250 MP leaves room
# for 200 MP phone sensors and stitched panoramas while a decompression bomb (a tiny file
# claiming 40000x40000) is stopped at its header. Our own check replaces Pillow's global
# warning, which is process-wide state that threads cannot scope.
MAX_PIXELS = 250_000_000
Image.MAX_IMAGE_PIXELS = None
# Truncated files must fail, never decode into half-grey pictures silently.
ImageFile.LOAD_TRUNCATED_IMAGES = False

SUPPORTED_SUFFIXES = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".webp",
        ".tif",
        ".tiff",
        ".bmp",
        ".gif",
        ".heic",
        ".heif",
        ".avif",
    }
)
# Camera RAW files, read through LibRaw (magpie.core.raw)
RAW_SUFFIXES = frozenset(
    {
        ".cr2",
        ".cr3",
        ".crw",
        ".nef",
        ".nrw",
        ".arw",
        ".srf",
        ".sr2",
        ".dng",
        ".raf",
        ".orf",
        ".rw2",
        ".rwl",
        ".pef",
        ".srw",
        ".x3f",
        ".3fr",
        ".iiq",
        ".erf",
        ".kdc",
        ".mrw",
        ".mos",
    }
)
SUPPORTED_SUFFIXES = SUPPORTED_SUFFIXES | RAW_SUFFIXES

_RESAMPLING = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
    "lanczos": Image.Resampling.LANCZOS,
}
# Pillow first reduces by an integer factor, then resamples: at 3.0 the result is
# indistinguishable from a full resample at a fraction of the cost for big downscales. It only
# acts from 6x down, so below that the tensor is the reference's plain resample, bit for bit.
_REDUCING_GAP = 3.0
# Thumbnails are only looked at, and two-thirds cheaper with a coarser first reduction.
_THUMBNAIL_REDUCING_GAP = 1.25

ImageSource = str | Path | bytes | BinaryIO
FULL_SIZE_KEY = "magpie.full_size"  # Image.info: the upright size before DCT scaling


def is_supported(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SUPPORTED_SUFFIXES


def _open(fp: BinaryIO, where: str) -> Image.Image:
    try:
        return Image.open(fp)
    except UnidentifiedImageError:
        raise DecodeError(f"{where}: not an image, or a format Magpie cannot read") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise DecodeError(f"{where}: cannot read image header ({exc})") from None


def _open_file(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise DecodeError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DecodeError(f"{path}: is a folder, not an image") from None
    except PermissionError:
        raise DecodeError(f"{path}: permission denied") from None
    except OSError as exc:
        raise DecodeError(f"{path}: cannot open file ({exc.strerror or exc})") from None


def _draft_jpeg(image: Image.Image, min_short_side: int) -> None:
    """Ask libjpeg for a 1/2, 1/4 or 1/8 scale decode that keeps the short side big enough."""
    if image.format != "JPEG" or min_short_side <= 0:
        return
    width, height = image.size
    factor = min_short_side / min(width, height)
    if factor >= 1:
        return
    requested = (math.ceil(width * factor), math.ceil(height * factor))
    image.draft("RGB", requested)


def _sixteen_bit_to_8(image: Image.Image) -> Image.Image:
    data = np.asarray(image)
    if data.dtype.kind == "f":
        peak = float(np.nanmax(data)) if data.size else 1.0
        data = np.nan_to_num(data) * (255.0 if peak <= 1.0 else 255.0 / peak)
    elif data.size and data.max() > 255:
        data = data / 257.0  # 16-bit range to 8-bit
    return Image.fromarray(np.clip(data, 0, 255).astype(np.uint8), mode="L")


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Transparent areas become white, as a viewer shows them, not the hidden colour below."""
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB, scaling 16-bit and float data instead of clipping it."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        return _sixteen_bit_to_8(image).convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    )
    if mode == "L" and "transparency" in image.info:
        has_alpha = True
    if has_alpha:
        return _flatten_alpha(image)
    return image.convert("RGB")


def _upright(image: Image.Image, where: str) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image) or image
    except Exception as exc:  # broken EXIF must not cost the picture itself
        log.info("%s: ignoring unreadable EXIF orientation (%s)", where, exc)
        return image


def decode_image(source: ImageSource, min_short_side: int = 0) -> Image.Image:
    """Decode an image file or bytes into an upright RGB image.

    min_short_side: the smallest short side the caller needs; JPEGs are DCT-scaled down
    to no less than that. 0 decodes at full size. Raises DecodeError with a human reason.
    """
    return decode_photo(source, min_short_side).image


@dataclass(frozen=True)
class PhotoInfo:
    """What the catalog keeps about a picture besides its vector."""

    width: int  # upright, full resolution
    height: int
    taken_at: float | None = None  # EXIF DateTimeOriginal as a naive-local POSIX timestamp
    camera: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None


@dataclass(frozen=True)
class DecodedPhoto:
    image: Image.Image  # upright RGB, possibly DCT-reduced
    info: PhotoInfo


def decode_photo(source: ImageSource, min_short_side: int = 0) -> DecodedPhoto:
    """decode_image() plus the picture's metadata (full size, date taken, camera, GPS)."""
    if isinstance(source, (str, Path)):
        if Path(source).suffix.lower() in RAW_SUFFIXES:
            from magpie.core.raw import decode_raw  # imports this module

            return decode_raw(source, min_short_side)
        with _open_file(Path(source)) as fp:
            return _decode_photo(fp, str(source), min_short_side)
    if isinstance(source, bytes):
        return _decode_photo(io.BytesIO(source), "image data", min_short_side)
    return _decode_photo(source, "image data", min_short_side)


def _decode_photo(fp: BinaryIO, where: str, min_short_side: int) -> DecodedPhoto:
    image = _open(fp, where)
    width, height = image.size
    if width <= 0 or height <= 0:
        raise DecodeError(f"{where}: image has no pixels")
    if width * height > MAX_PIXELS:
        raise DecodeError(
            f"{where}: {width}x{height} pixels is more than Magpie decodes "
            f"({MAX_PIXELS // 1_000_000} megapixels); refused as a possible decompression bomb"
        )
    try:
        info = _photo_info(image, width, height)
        _draft_jpeg(image, min_short_side)
        image.load()
        rgb = to_rgb(_upright(image, where))
        # a DCT-scaled decode rounds its sides up; the model's resize arithmetic must see the
        # photo's true proportions, or it can land a pixel off the full decode's geometry
        rgb.info[FULL_SIZE_KEY] = (info.width, info.height)
        return DecodedPhoto(rgb, info)
    except MemoryError:
        raise DecodeError(f"{where}: not enough memory to decode this image") from None
    except Exception as exc:  # Pillow's decoders raise many types for damaged data
        raise DecodeError(f"{where}: damaged or truncated image ({exc})") from None


_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_LENS_MAKE, _LENS_MODEL = 0xA433, 0xA434
_ORIENTATION, _MAKE, _MODEL, _DATETIME, _DATETIME_ORIGINAL = 0x0112, 0x010F, 0x0110, 0x0132, 0x9003


def _exif_time(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value.strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _gps_degrees(values: object, ref: object) -> float | None:
    try:
        d, m, s = (float(v) for v in values)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if not math.isfinite(degrees):
        return None
    return -degrees if ref in ("S", "W") else degrees


def _photo_info(image: Image.Image, width: int, height: int) -> PhotoInfo:
    """Metadata from EXIF; anything broken is simply left out."""
    try:
        exif = image.getexif()
    except Exception:
        return PhotoInfo(width, height)
    if exif.get(_ORIENTATION) in (5, 6, 7, 8):
        width, height = height, width
    try:
        details = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:
        details, gps = {}, {}
    taken = _exif_time(details.get(_DATETIME_ORIGINAL)) or _exif_time(exif.get(_DATETIME))
    make = str(exif.get(_MAKE, "")).strip("\x00 ").strip()
    model = str(exif.get(_MODEL, "")).strip("\x00 ").strip()
    camera = (
        model if make and model.lower().startswith(make.lower().split()[0]) else f"{make} {model}"
    )
    lat = _gps_degrees(gps.get(2), gps.get(1)) if gps else None
    lon = _gps_degrees(gps.get(4), gps.get(3)) if gps else None
    return PhotoInfo(width, height, taken, camera.strip() or None, lat, lon)


def _lens_name(details: Any) -> str | None:
    """EXIF LensModel, with LensMake in front when the model does not already say it."""
    model = str(details.get(_LENS_MODEL, "")).strip("\x00 ").strip()
    make = str(details.get(_LENS_MAKE, "")).strip("\x00 ").strip()
    if not model:
        return None
    if make and not model.lower().startswith(make.lower().split()[0]):
        return f"{make} {model}"
    return model


def read_lens(path: str | Path) -> str | None:
    """The lens a photo was taken with, from its EXIF header (no pixels decoded); None when
    the file says nothing, or cannot be read (the preview then simply leaves it out)."""
    try:
        with Image.open(path) as image:
            return _lens_name(image.getexif().get_ifd(_EXIF_IFD))
    except Exception:  # any unreadable or odd header: the lens is a nicety, never an error
        return None


def make_thumbnail(image: Image.Image, size: int) -> Image.Image:
    """A copy whose long side is at most `size` (sharp: Pillow's reducing-gap resample)."""
    thumb = image.copy()
    thumb.thumbnail((size, size), Image.Resampling.BICUBIC, reducing_gap=_THUMBNAIL_REDUCING_GAP)
    return thumb


def _resampling(cfg: PreprocessConfig) -> Image.Resampling:
    return _RESAMPLING[cfg.interpolation]


def shortest_geometry(width: int, height: int, cfg: PreprocessConfig) -> tuple[int, int, int, int]:
    """(resized width, resized height, crop left, crop top) for "shortest" resizing.

    The pack's reference arithmetic, to the pixel: Immich truncates the long side and the crop
    offset (int()); torchvision (OpenAI, open_clip, Magpie's own exports) truncates the long
    side and rounds the offset. A 4:3 photo at 224 becomes 298 wide, cropped from x=37.
    """
    target_w, target_h = cfg.width, cfg.height
    if target_w == target_h:
        size = target_w
        if cfg.arithmetic == "immich":
            if width < height:
                new_w, new_h = size, int((height / width) * size)
            else:
                new_w, new_h = int((width / height) * size), size
        elif width < height:
            new_w, new_h = size, int(size * height / width)
        else:
            new_w, new_h = int(size * width / height), size
    else:  # a non-square input: cover it, then crop (no published pack does this)
        scale = max(target_w / width, target_h / height)
        new_w, new_h = max(target_w, int(width * scale)), max(target_h, int(height * scale))
    if cfg.arithmetic == "immich":
        left, top = int(new_w / 2 - target_w / 2), int(new_h / 2 - target_h / 2)
    else:
        left, top = round((new_w - target_w) / 2.0), round((new_h - target_h) / 2.0)
    return new_w, new_h, left, top


def resize_for_model(image: Image.Image, cfg: PreprocessConfig) -> Image.Image:
    """Resize (and centre-crop for 'shortest') to the model's input size."""
    target_w, target_h = cfg.width, cfg.height
    if cfg.resize_mode == "squash":
        if image.size == (target_w, target_h):
            return image
        return image.resize((target_w, target_h), _resampling(cfg), reducing_gap=_REDUCING_GAP)
    full_w, full_h = image.info.get(FULL_SIZE_KEY, image.size)
    new_w, new_h, left, top = shortest_geometry(full_w, full_h, cfg)
    if (new_w, new_h) != image.size:
        image = image.resize((new_w, new_h), _resampling(cfg), reducing_gap=_REDUCING_GAP)
    if (new_w, new_h) == (target_w, target_h):
        return image
    return image.crop((left, top, left + target_w, top + target_h))


def normalise(image: Image.Image, cfg: PreprocessConfig) -> np.ndarray:
    """RGB image of the model size to a float32 CHW tensor with the pack's mean and std."""
    pixels = np.asarray(image, dtype=np.float32)
    scale = np.array(cfg.std, dtype=np.float32) * 255.0
    offset = np.array(cfg.mean, dtype=np.float32) * 255.0
    return np.ascontiguousarray(((pixels - offset) / scale).transpose(2, 0, 1))


def to_model_input(image: Image.Image, cfg: PreprocessConfig) -> np.ndarray:
    return normalise(resize_for_model(image, cfg), cfg)


def model_decode_size(cfg: PreprocessConfig) -> int:
    """Short side to decode at: twice the model input keeps the downscale sharp."""
    return 2 * max(cfg.width, cfg.height)


def load_for_model(source: ImageSource, cfg: PreprocessConfig) -> np.ndarray:
    """Decode and preprocess in one call (queries by image use this)."""
    return to_model_input(decode_image(source, model_decode_size(cfg)), cfg)
