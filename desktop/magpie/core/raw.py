"""RAW photos through LibRaw (rawpy): the camera's embedded JPEG when it is big enough, else
a developed image; upright, with full size, date and camera from the RAW itself.

Nearly every camera embeds a full- or screen-size JPEG rendering in the RAW; decoding it costs
a JPEG decode, where demosaicing the sensor data costs many times more. Half-size development
(one pixel per Bayer quad, no interpolation) is enough for the model and thumbnails.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
from PIL import Image

from magpie.core import imaging
from magpie.core.errors import DecodeError
from magpie.core.imaging import DecodedPhoto, PhotoInfo

log = logging.getLogger("magpie.raw")

# A preview is used when its short side is at least this share of what the caller asked for
# (the model then gets 224 px from a 448 px request: its own input size).
PREVIEW_ENOUGH = 0.5
FULL_SIZE_REQUEST = 1600  # what "full size" (min_short_side 0) asks of a preview
# LibRaw's flip codes (sizes.flip) as Pillow transposes that make the picture upright
_FLIPS = {
    3: Image.Transpose.ROTATE_180,
    5: Image.Transpose.ROTATE_90,  # 90 degrees counter-clockwise
    6: Image.Transpose.ROTATE_270,  # 90 degrees clockwise
}


def is_raw(path: str | Path) -> bool:
    return Path(path).suffix.lower() in imaging.RAW_SUFFIXES


def _tiff_info(path: Path) -> PhotoInfo | None:
    """Date, camera and GPS from a TIFF-based RAW's own IFDs (CR2, NEF, ARW, DNG, ORF...)."""
    try:
        with Image.open(path) as tiff:
            return imaging._photo_info(tiff, 0, 0)
    except Exception:  # not TIFF-based (CR3, RAF, RW2...), or unusual IFDs
        return None


def decode_raw(path: str | Path, min_short_side: int = 0) -> DecodedPhoto:
    import rawpy

    path = Path(path)
    imaging._open_file(path).close()  # the same clear reasons as photos (missing, denied...)
    try:
        raw = rawpy.imread(str(path))
    except (rawpy.LibRawFileUnsupportedError, rawpy.LibRawIOError) as exc:
        raise DecodeError(f"{path}: not a RAW file Magpie can read ({exc})") from None
    except (rawpy.LibRawError, OSError) as exc:
        raise DecodeError(f"{path}: damaged RAW file ({exc})") from None
    with raw:
        sizes = raw.sizes
        width, height = sizes.width, sizes.height
        if sizes.flip in (5, 6):
            width, height = height, width
        if width * height > imaging.MAX_PIXELS:
            raise DecodeError(f"{path}: {width}x{height} pixels is more than Magpie decodes")
        wanted = min_short_side or FULL_SIZE_REQUEST
        image = _preview(raw, path, sizes.flip, wanted)
        source = "preview"
        if image is None:
            image = _develop(raw, path, min_short_side)
            source = "developed"
        try:
            timestamp = raw.other.timestamp
        except Exception:
            timestamp = None
    log.debug("%s: %s image %s", path, source, image.size)
    tags = _tiff_info(path) or PhotoInfo(0, 0)
    taken = tags.taken_at
    if taken is None and timestamp is not None:
        from datetime import timezone

        taken = timestamp.replace(tzinfo=timezone.utc).timestamp()  # naive-local, as EXIF
    info = PhotoInfo(width, height, taken, tags.camera, tags.gps_lat, tags.gps_lon)
    return DecodedPhoto(image, info)


def _preview(raw: object, path: Path, flip: int, wanted: int) -> Image.Image | None:
    """The embedded preview, upright, if it is large enough; else None."""
    import rawpy

    try:
        thumb = raw.extract_thumb()  # type: ignore[attr-defined]
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError as exc:
        log.info("%s: unreadable embedded preview (%s); developing instead", path, exc)
        return None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        data = bytes(thumb.data)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                own_orientation = probe.getexif().get(0x0112, 1)
                short = min(probe.size)
            if short < wanted * PREVIEW_ENOUGH:
                return None
            image = imaging.decode_image(data, wanted)
        except (DecodeError, OSError, ValueError) as exc:
            log.info("%s: damaged embedded preview (%s); developing instead", path, exc)
            return None
        if own_orientation not in (None, 1):
            return image  # the preview carries its own orientation, already applied
    else:
        pixels = np.asarray(thumb.data)
        if pixels.ndim != 3 or min(pixels.shape[:2]) < wanted * PREVIEW_ENOUGH:
            return None
        image = Image.fromarray(pixels.astype(np.uint8)).convert("RGB")
    transpose = _FLIPS.get(flip)
    return image.transpose(transpose) if transpose is not None else image


def _develop(raw: object, path: Path, min_short_side: int) -> Image.Image:
    """Demosaic the sensor data (LibRaw applies the camera's orientation itself).

    No auto-brightening: the exposure as shot, which a uniform or low-key frame keeps.
    """
    import rawpy

    sizes = raw.sizes  # type: ignore[attr-defined]
    # half size gives one RGB pixel per 2x2 Bayer quad: 4x less work, and enough unless the
    # caller asked for more than half the sensor's short side
    half = bool(min_short_side) and min_short_side <= min(sizes.width, sizes.height) // 2
    try:
        pixels = raw.postprocess(  # type: ignore[attr-defined]
            half_size=half, use_camera_wb=True, output_bps=8, no_auto_bright=True
        )
    except MemoryError:
        raise DecodeError(f"{path}: not enough memory to develop this RAW file") from None
    except rawpy.LibRawError as exc:
        raise DecodeError(f"{path}: damaged RAW data ({exc})") from None
    return Image.fromarray(pixels).convert("RGB")
