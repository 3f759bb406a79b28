"""Decoding and preprocessing: every format and colour mode, orientation, DCT scaling, bombs."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from magpie.core import imaging
from magpie.core.errors import DecodeError
from magpie.core.imaging import decode_image, resize_for_model, to_model_input
from magpie.core.packs import PreprocessConfig
from PIL import Image

from tests.helpers.pictures import BLUE, GREEN, RED, STORED, YELLOW, quadrants


def quadrant_colours(image: Image.Image) -> list[tuple[int, ...]]:
    a = np.asarray(image.convert("RGB")).astype(int)
    h, w = a.shape[0] // 2, a.shape[1] // 2
    corners = [
        a[h // 2, w // 2],
        a[h // 2, w + w // 2],
        a[h + h // 2, w // 2],
        a[h + h // 2, w + w // 2],
    ]
    return [tuple(int(v) for v in c) for c in corners]


def close(a: tuple[int, ...], b: tuple[int, ...], tol: int = 12) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def assert_upright(image: Image.Image) -> None:
    got = quadrant_colours(image)
    for have, want in zip(got, [RED, GREEN, BLUE, YELLOW], strict=True):
        assert close(have, want), (got, image.size)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF", "HEIF", "AVIF"])
def test_every_format_decodes_upright_rgb(tmp_path: Path, fmt: str):
    path = tmp_path / f"picture.{fmt.lower()}"
    save = {"quality": 95} if fmt in ("JPEG", "WEBP", "HEIF", "AVIF") else {}
    Image.fromarray(quadrants()).save(path, fmt, **save)
    image = decode_image(path)
    assert image.mode == "RGB"
    assert image.size == (80, 48)
    assert_upright(image)


def test_animated_gif_gives_the_first_frame(tmp_path: Path):
    frames = [
        Image.fromarray(quadrants()).quantize(8),
        Image.new("RGB", (80, 48), (0, 0, 0)).quantize(2),
    ]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert_upright(decode_image(path))


def test_multipage_tiff_gives_the_first_page(tmp_path: Path):
    path = tmp_path / "pages.tiff"
    first = Image.fromarray(quadrants())
    first.save(path, save_all=True, append_images=[Image.new("RGB", (80, 48), (0, 0, 0))])
    assert_upright(decode_image(path))


# --- colour modes ----------------------------------------------------------------------------


def test_cmyk_jpeg(tmp_path: Path):
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(quadrants()).convert("CMYK").save(path, quality=95)
    with Image.open(path) as stored:
        assert stored.mode == "CMYK"
    image = decode_image(path)
    assert image.mode == "RGB"
    assert_upright(image)


def test_grey_jpeg(tmp_path: Path):
    path = tmp_path / "grey.jpg"
    Image.new("L", (40, 30), 100).save(path)
    image = decode_image(path)
    assert image.mode == "RGB"
    assert close(image.getpixel((20, 15)), (100, 100, 100), 2)


def test_palette_png_with_transparency_is_flattened_on_white(tmp_path: Path):
    image = Image.new("P", (20, 20), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)  # index 0 black, 1 red
    image.paste(1, (10, 0, 20, 20))
    image.info["transparency"] = 0
    path = tmp_path / "palette.png"
    image.save(path, transparency=0)
    decoded = decode_image(path)
    assert decoded.mode == "RGB"
    assert decoded.getpixel((2, 10)) == (255, 255, 255)  # transparent black shows as white
    assert decoded.getpixel((15, 10)) == (255, 0, 0)


def test_rgba_and_la_are_flattened(tmp_path: Path):
    rgba = Image.new("RGBA", (10, 10), (0, 0, 255, 0))
    rgba.save(tmp_path / "a.png")
    assert decode_image(tmp_path / "a.png").getpixel((5, 5)) == (255, 255, 255)
    la = Image.new("LA", (10, 10), (50, 255))
    la.save(tmp_path / "la.png")
    assert decode_image(tmp_path / "la.png").getpixel((5, 5)) == (50, 50, 50)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path: Path):
    data = np.array([[0, 32768, 65535]], dtype=np.uint16).repeat(4, axis=0)
    path = tmp_path / "deep.png"
    Image.fromarray(data).save(path)
    with Image.open(path) as stored:
        assert stored.mode.startswith("I")
    decoded = np.asarray(decode_image(path))[0, :, 0].tolist()
    assert decoded == [0, 127, 255]


def test_sixteen_bit_rgb_png(tmp_path: Path):
    """48-bit PNGs: Pillow reduces them to 8 bits per channel; the colours must survive."""
    raw = (np.array(RED, np.uint16) * 257).astype(">u2")
    rows = b"".join(b"\x00" + raw.tobytes() * 4 for _ in range(4))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 16, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    image = decode_image(png)
    assert close(image.getpixel((1, 1)), RED, 1)


# --- orientation -----------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int):
    stored = Image.fromarray(np.ascontiguousarray(STORED[orientation](quadrants())))
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.jpg"
    stored.save(path, quality=95, exif=exif.tobytes())
    image = decode_image(path)
    assert image.size == (80, 48)
    assert_upright(image)


def test_broken_exif_still_decodes(tmp_path: Path):
    path = tmp_path / "badexif.jpg"
    Image.fromarray(quadrants()).save(
        path, quality=95, exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + b"\x00" * 10
    )
    with pytest.warns(UserWarning, match="Corrupt EXIF"):  # Pillow's own complaint; we carry on
        image = decode_image(path)
    assert_upright(image)


# --- DCT-scaled decoding ---------------------------------------------------------------------


def test_large_jpeg_is_decoded_at_reduced_scale(tmp_path: Path):
    path = tmp_path / "big.jpg"
    Image.fromarray(quadrants(4000, 3000)).save(path, quality=90)
    image = decode_image(path, min_short_side=448)
    # 1/4 scale keeps the short side at 750 >= 448; 1/8 would give 375
    assert image.size == (1000, 750)
    assert_upright(image)
    assert decode_image(path).size == (4000, 3000)


def test_reduced_scale_respects_orientation(tmp_path: Path):
    path = tmp_path / "portrait.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.ascontiguousarray(np.rot90(quadrants(3000, 4000), 1))).save(
        path, quality=90, exif=exif.tobytes()
    )
    image = decode_image(path, min_short_side=448)
    assert image.size == (750, 1000)
    assert_upright(image)


# --- refusals ---------------------------------------------------------------------------------


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_with_a_message(tmp_path: Path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(40000, 40000))
    assert path.stat().st_size < 2000
    with pytest.raises(DecodeError, match="40000x40000 pixels is more than Magpie decodes"):
        decode_image(path)


def test_wide_panorama_is_accepted(tmp_path: Path):
    path = tmp_path / "pano.jpg"
    Image.new("RGB", (30000, 2000), (10, 120, 200)).save(path, quality=80)
    image = decode_image(path, min_short_side=448)
    assert image.size == (7500, 500)


@pytest.mark.parametrize("cut", [0, 2, 100, 600, 0.5, 0.9])
def test_truncated_jpeg_is_an_error(tmp_path: Path, cut: float):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300, 3), np.uint8)).save(
        buffer, "JPEG"
    )
    data = buffer.getvalue()
    keep = int(len(data) * cut) if isinstance(cut, float) else cut
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[:keep])
    with pytest.raises(DecodeError):
        decode_image(path)


def test_random_bytes_named_jpg(tmp_path: Path):
    path = tmp_path / "noise.jpg"
    path.write_bytes(np.random.default_rng(1).bytes(5000))
    with pytest.raises(DecodeError, match="not an image"):
        decode_image(path)


def test_png_named_jpg_decodes_by_content(tmp_path: Path):
    path = tmp_path / "actually-png.jpg"
    Image.fromarray(quadrants()).save(path, "PNG")
    assert_upright(decode_image(path))


def test_missing_folder_and_zero_byte(tmp_path: Path):
    with pytest.raises(DecodeError, match="file not found"):
        decode_image(tmp_path / "gone.jpg")
    (tmp_path / "photo.jpg").mkdir()
    with pytest.raises(DecodeError, match="is a folder"):
        decode_image(tmp_path / "photo.jpg")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(DecodeError):
        decode_image(tmp_path / "empty.jpg")


def test_bytes_and_file_objects(tmp_path: Path):
    buffer = io.BytesIO()
    Image.fromarray(quadrants()).save(buffer, "PNG")
    assert_upright(decode_image(buffer.getvalue()))
    buffer.seek(0)
    assert_upright(decode_image(buffer))


# --- preprocessing ----------------------------------------------------------------------------


def stripes() -> Image.Image:
    """Wide picture: red | green | blue thirds."""
    a = np.zeros((30, 90, 3), np.uint8)
    a[:, :30], a[:, 30:60], a[:, 60:] = RED, GREEN, BLUE
    return Image.fromarray(a)


def cfg(mode: str, size: int = 10) -> PreprocessConfig:
    return PreprocessConfig(size, size, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), "bicubic", mode)  # type: ignore[arg-type]


def test_shortest_resizes_the_short_side_and_centre_crops():
    out = resize_for_model(stripes(), cfg("shortest"))
    assert out.size == (10, 10)
    assert close(out.getpixel((0, 5)), GREEN, 20) and close(out.getpixel((9, 5)), GREEN, 20)


def test_squash_keeps_everything():
    out = resize_for_model(stripes(), cfg("squash"))
    assert out.size == (10, 10)
    assert close(out.getpixel((0, 5)), RED, 20) and close(out.getpixel((9, 5)), BLUE, 20)


def test_non_square_model_input():
    config = PreprocessConfig(8, 16, (0.0,) * 3, (1.0,) * 3, "bicubic", "shortest")
    tensor = to_model_input(stripes(), config)
    assert tensor.shape == (3, 8, 16)


def test_normalisation_uses_mean_and_std():
    config = PreprocessConfig(4, 4, (0.5, 0.25, 0.0), (0.5, 0.25, 2.0), "bicubic", "squash")
    tensor = to_model_input(Image.new("RGB", (4, 4), (255, 0, 51)), config)
    assert tensor.dtype == np.float32 and tensor.shape == (3, 4, 4)
    np.testing.assert_allclose(tensor[:, 0, 0], [1.0, -1.0, 0.1], atol=1e-5)


def test_supported_suffixes():
    assert imaging.is_supported("a/B.JPG") and imaging.is_supported("x.heic")
    assert not imaging.is_supported("notes.txt")
