"""Videos and RAW-like files made by the tests themselves (PyAV, Pillow, a small DNG writer)."""

from __future__ import annotations

import io
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image


def make_video(
    path: Path,
    scenes: list[tuple[tuple[int, int, int], float]],
    fps: int = 12,
    size: tuple[int, int] = (160, 96),
    codec: str = "libx264",
    rotation: int = 0,
    noise: int = 6,
) -> Path:
    """A clip of solid-colour scenes ((r, g, b), seconds), with a little noise per frame."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    width, height = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        stream.time_base = Fraction(1, fps)
        index = 0
        for rgb, seconds in scenes:
            base = np.empty((height, width, 3), np.int16)
            base[:] = rgb
            for _ in range(round(seconds * fps)):
                jitter = rng.integers(-noise, noise + 1, size=base.shape) if noise else 0
                pixels = np.clip(base + jitter, 0, 255).astype(np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = index
                index += 1
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


# --- DNG: the one RAW format whose layout is public; LibRaw reads it like a camera's -------

_TYPES = {"B": (1, 1), "A": (2, 1), "H": (3, 2), "I": (4, 4), "R": (5, 8), "SR": (10, 8)}


def _ascii(text: bytes) -> list[int]:
    return [*text, 0]


def _entry(tag: int, kind: str, values: list | bytes) -> tuple[int, str, list | bytes]:
    return (tag, kind, values)


def _pack_values(kind: str, values: list | bytes) -> tuple[int, bytes]:
    if kind in ("B", "A"):
        data = bytes(values)
        return len(data), data
    if kind == "H":
        return len(values), struct.pack(f"<{len(values)}H", *values)
    if kind == "I":
        return len(values), struct.pack(f"<{len(values)}I", *values)
    if kind == "R":
        flat = [x for pair in values for x in pair]
        return len(values), struct.pack(f"<{len(flat)}I", *flat)
    if kind == "SR":
        flat = [x for pair in values for x in pair]
        return len(values), struct.pack(f"<{len(flat)}i", *flat)
    raise ValueError(kind)


class _Tiff:
    """A little-endian TIFF assembled in memory: IFDs with out-of-line values and blobs."""

    def __init__(self) -> None:
        self.data = bytearray(b"II*\x00\x00\x00\x00\x00")

    def blob(self, payload: bytes) -> int:
        if len(self.data) % 2:
            self.data += b"\x00"
        offset = len(self.data)
        self.data += payload
        return offset

    def ifd(self, entries: list[tuple[int, str, list | bytes]], next_ifd: int = 0) -> int:
        entries = sorted(entries, key=lambda e: e[0])
        packed = []
        for tag, kind, values in entries:
            count, payload = _pack_values(kind, values)
            if len(payload) <= 4:
                packed.append((tag, kind, count, payload.ljust(4, b"\x00"), None))
            else:
                packed.append((tag, kind, count, None, payload))
        # out-of-line values first, then the IFD itself
        offsets = {}
        for i, (_, _, _, inline, payload) in enumerate(packed):
            if inline is None:
                offsets[i] = self.blob(payload)
        start = self.blob(b"")
        self.data += struct.pack("<H", len(packed))
        for i, (tag, kind, count, inline, _) in enumerate(packed):
            value = inline if inline is not None else struct.pack("<I", offsets[i])
            self.data += struct.pack("<HHI", tag, _TYPES[kind][0], count) + value
        self.data += struct.pack("<I", next_ifd)
        return start

    def set_first_ifd(self, offset: int) -> None:
        self.data[4:8] = struct.pack("<I", offset)


def make_dng(
    path: Path,
    rgb: tuple[int, int, int],
    size: tuple[int, int] = (256, 192),
    preview: Image.Image | None = None,
    orientation: int = 1,
    make: str = "Magpie",
    model: str = "Test Camera",
    taken: str = "2021:06:15 10:30:00",
    mosaic: np.ndarray | None = None,
) -> Path:
    """A DNG holding a Bayer (RGGB) mosaic of a solid colour (or the given 12-bit mosaic)
    and, if given, a JPEG preview.

    IFD0 is the preview (NewSubFileType 1, JPEG) as cameras write it; the raw mosaic is its
    SubIFD. Without a preview, IFD0 holds a tiny 8x8 RGB thumbnail, as every DNG must.
    """
    if mosaic is None:
        width, height = size
        # linear light, as a sensor records it (sRGB's curve is undone), 12 bits
        red, green, blue = (round(((c / 255) ** 2.2) * 4095) for c in rgb)
        mosaic = np.empty((height, width), np.uint16)
        mosaic[0::2, 0::2] = red
        mosaic[0::2, 1::2] = green
        mosaic[1::2, 0::2] = green
        mosaic[1::2, 1::2] = blue
    return _write_dng(path, mosaic, preview, orientation, make, model, taken, rgb)


def _write_dng(
    path: Path,
    mosaic: np.ndarray,
    preview: Image.Image | None,
    orientation: int,
    make: str,
    model: str,
    taken: str,
    thumb_rgb: tuple[int, int, int] = (128, 128, 128),
) -> Path:
    height, width = mosaic.shape
    white = 4095
    tiff = _Tiff()
    raw_strip = tiff.blob(mosaic.tobytes())
    # XYZ (D65) -> linear sRGB: the "camera" sees sRGB primaries, so developing gives back rgb
    xyz_to_srgb = [3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570]
    colour_matrix = [(round(v * 10000), 10000) for v in xyz_to_srgb]
    raw_ifd = tiff.ifd(
        [
            _entry(254, "I", [0]),
            _entry(256, "I", [width]),
            _entry(257, "I", [height]),
            _entry(258, "H", [16]),
            _entry(259, "H", [1]),
            _entry(262, "H", [32803]),
            _entry(273, "I", [raw_strip]),
            _entry(277, "H", [1]),
            _entry(278, "I", [height]),
            _entry(279, "I", [mosaic.nbytes]),
            _entry(284, "H", [1]),
            _entry(33421, "H", [2, 2]),
            _entry(33422, "B", [0, 1, 1, 2]),
            _entry(50714, "H", [0]),
            _entry(50717, "H", [white]),
        ]
    )
    if preview is not None:
        buffer = io.BytesIO()
        preview.convert("RGB").save(buffer, "JPEG", quality=90)
        jpeg = buffer.getvalue()
        p_width, p_height = preview.size
        image_entries = [
            _entry(254, "I", [1]),
            _entry(256, "I", [p_width]),
            _entry(257, "I", [p_height]),
            _entry(258, "H", [8, 8, 8]),
            _entry(259, "H", [7]),
            _entry(262, "H", [6]),
            _entry(273, "I", [tiff.blob(jpeg)]),
            _entry(277, "H", [3]),
            _entry(278, "I", [p_height]),
            _entry(279, "I", [len(jpeg)]),
        ]
    else:
        thumb = np.empty((8, 8, 3), np.uint8)
        thumb[:] = thumb_rgb
        image_entries = [
            _entry(254, "I", [1]),
            _entry(256, "I", [8]),
            _entry(257, "I", [8]),
            _entry(258, "H", [8, 8, 8]),
            _entry(259, "H", [1]),
            _entry(262, "H", [2]),
            _entry(273, "I", [tiff.blob(thumb.tobytes())]),
            _entry(277, "H", [3]),
            _entry(278, "I", [8]),
            _entry(279, "I", [thumb.nbytes]),
        ]
    exif_ifd = tiff.ifd([_entry(36867, "A", _ascii(taken.encode()))])
    ifd0 = tiff.ifd(
        [
            *image_entries,
            _entry(271, "A", _ascii(make.encode())),
            _entry(272, "A", _ascii(model.encode())),
            _entry(274, "H", [orientation]),
            _entry(306, "A", _ascii(taken.encode())),
            _entry(330, "I", [raw_ifd]),
            _entry(34665, "I", [exif_ifd]),
            _entry(50706, "B", [1, 4, 0, 0]),
            _entry(50708, "A", _ascii(f"{make} {model}".encode())),
            _entry(50721, "SR", colour_matrix),
            _entry(50728, "R", [(1, 1), (1, 1), (1, 1)]),
            _entry(50778, "H", [21]),
        ]
    )
    tiff.set_first_ifd(ifd0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(tiff.data))
    return path
