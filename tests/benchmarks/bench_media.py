"""Videos and RAW: indexing time per minute of footage, and RAW photos/s from the embedded
preview vs developed. Run by hand; prints one JSON document.

    python tests/benchmarks/bench_media.py [--seconds 60] [--raws 16]

Footage and RAWs are derived from ../shared/photos/large at run time (never committed):
the video is 1080p30 H.264 (x264 "veryfast", CRF 23, as a phone-like stream) made of
slow zooms over real photos, a scene every 5 s; the RAWs are 12 MP DNGs (a Bayer mosaic of a
real photo), once with a 1620x1080 JPEG preview (the size Nikon and others embed) and once
without. The model is the random-init CLIP ViT-B/32 of bench_indexing.py (same compute as
the real weights).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

from magpie.core import imaging, video  # noqa: E402
from magpie.core.engine import Engine  # noqa: E402

from tests.helpers.media import make_dng  # noqa: E402

SHARED = Path(os.environ.get("MAGPIE_SHARED", REPO.parent / "shared"))
if not (SHARED / "photos").is_dir():
    SHARED = Path("/work/shared")
PHOTOS = SHARED / "photos" / "large"
WORK = Path(tempfile.gettempdir()) / "magpie-bench-media"
SCENE_S = 5
FPS = 30


def pack() -> Path:
    from bench_indexing import pack_for

    return pack_for("fp32")


def source_photos() -> list[Path]:
    return sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))


def make_footage(seconds: int) -> Path:
    import av
    from PIL import Image

    target = WORK / f"footage-{seconds}s.mp4"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    photos = source_photos()
    tmp = target.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        stream.time_base = Fraction(1, FPS)
        index = 0
        for scene in range(seconds // SCENE_S):
            with Image.open(photos[scene % len(photos)]) as photo:
                photo = imaging.to_rgb(photo)
                photo.thumbnail((2400, 2400))
                base = photo.copy()
            frames = SCENE_S * FPS
            for i in range(frames):  # a slow zoom towards the centre: every frame differs
                zoom = 1.0 - 0.15 * i / frames
                w, h = base.width * zoom, base.width * zoom * 9 / 16
                h = min(h, base.height * zoom)
                left, top = (base.width - w) / 2, (base.height - h) / 2
                crop = base.resize(
                    (1920, 1080), Image.Resampling.BILINEAR, (left, top, left + w, top + h)
                )
                frame = av.VideoFrame.from_image(crop)
                frame.pts = index
                index += 1
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.rename(target)
    return target


def bench_video(seconds: int) -> dict:
    footage = make_footage(seconds)
    minutes = video.probe(footage).duration / 60
    # decoding and scene detection alone
    started = time.perf_counter()
    reader = video.MomentReader(footage)
    moments = [m.seconds for m in reader]
    decode_s = time.perf_counter() - started
    # keyframes only (what videos longer than 20 minutes get)
    saved = video.KEYFRAMES_ONLY_FROM_S
    video.KEYFRAMES_ONLY_FROM_S = 0
    started = time.perf_counter()
    keyframe_moments = len(list(video.MomentReader(footage)))
    keyframes_s = time.perf_counter() - started
    video.KEYFRAMES_ONLY_FROM_S = saved
    # Magpie end to end: scan, decode, detect, encode, commit
    library = WORK / "library-video"
    shutil.rmtree(library, ignore_errors=True)
    folder = WORK / "video-folder"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.link(footage, folder / footage.name)
    with Engine(library, model=str(pack()), device="cpu", writer=True) as engine:
        engine.add_folder(folder)
        engine.clip.image.encode(np.zeros((1, 3, 224, 224), np.float32))  # model loaded first
        started = time.perf_counter()
        report = engine.update()
        index_s = time.perf_counter() - started
        assert report.indexed == 1, report
        # baseline: a frame every second, as fixed-interval indexers do (no scene detection)
        started = time.perf_counter()
        baseline_frames = _every_second(footage, engine)
        baseline_s = time.perf_counter() - started
    return {
        "footage": "1080p30 H.264 (x264 veryfast CRF 23), a scene every 5 s",
        "footage_minutes": round(minutes, 3),
        "moments_found": len(moments),
        "moment_times_s": [round(t, 2) for t in moments],
        "decode_and_detect_s_per_minute": round(decode_s / minutes, 2),
        "index_s_per_minute": round(index_s / minutes, 2),
        "keyframes_only_s_per_minute": round(keyframes_s / minutes, 2),
        "keyframes_only_moments": keyframe_moments,
        "baseline_every_second_s_per_minute": round(baseline_s / minutes, 2),
        "baseline_frames_embedded": baseline_frames,
        "magpie_vs_baseline_time": round(index_s / baseline_s, 3),
    }


def _every_second(footage: Path, engine: Engine) -> int:
    import av

    cfg = engine.clip.pack.preprocess
    tensors = []
    next_t = 0.0
    with av.open(str(footage)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_type = "AUTO"
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= next_t:
                next_t += 1.0
                tensors.append(imaging.to_model_input(frame.to_image(), cfg))
    for start in range(0, len(tensors), 16):
        engine.clip.image.encode(np.stack(tensors[start : start + 16]))
    return len(tensors)


def make_raws(count: int) -> tuple[Path, Path]:
    from PIL import Image

    with_preview, developed = WORK / "raw-preview", WORK / "raw-developed"
    if len(list(with_preview.glob("*.dng"))) == count == len(list(developed.glob("*.dng"))):
        return with_preview, developed
    for folder in (with_preview, developed):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    photos = source_photos()
    for i in range(count):
        rgb = imaging.decode_image(photos[i % len(photos)])
        rgb = rgb.resize((4000, 3000), Image.Resampling.BILINEAR)
        preview = rgb.resize((1620, 1080), Image.Resampling.BILINEAR)
        mosaic = _bayer(np.asarray(rgb))
        make_dng(with_preview / f"r{i:03d}.dng", (0, 0, 0), preview=preview, mosaic=mosaic)
        make_dng(developed / f"r{i:03d}.dng", (0, 0, 0), mosaic=mosaic)
    return with_preview, developed


def _bayer(rgb: np.ndarray) -> np.ndarray:
    linear = (rgb.astype(np.float32) / 255) ** 2.2 * 4095
    mosaic = np.empty(rgb.shape[:2], np.uint16)
    mosaic[0::2, 0::2] = linear[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = linear[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = linear[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = linear[1::2, 1::2, 2]
    return mosaic


def bench_raw(count: int) -> dict:
    with_preview, developed = make_raws(count)
    out: dict = {"raws": count, "sensor": "4000x3000 (12 MP) DNG", "preview": "1620x1080 JPEG"}
    for name, folder in (("preview", with_preview), ("developed", developed)):
        files = sorted(folder.glob("*.dng"))
        imaging.decode_photo(files[0], 448)  # warm up
        started = time.perf_counter()
        for path in files:
            imaging.decode_photo(path, 448)
        out[f"decode_{name}_photos_per_s"] = round(len(files) / (time.perf_counter() - started), 2)
        library = WORK / f"library-{name}"
        shutil.rmtree(library, ignore_errors=True)
        with Engine(library, model=str(pack()), device="cpu", writer=True) as engine:
            engine.add_folder(folder)
            engine.clip.image.encode(np.zeros((1, 3, 224, 224), np.float32))
            started = time.perf_counter()
            report = engine.update()
            seconds = time.perf_counter() - started
            assert report.indexed == len(files), report
        out[f"index_{name}_photos_per_s"] = round(len(files) / seconds, 2)
    out["preview_vs_developed_decode"] = round(
        out["decode_preview_photos_per_s"] / out["decode_developed_photos_per_s"], 2
    )
    out["preview_vs_developed_index"] = round(
        out["index_preview_photos_per_s"] / out["index_developed_photos_per_s"], 2
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--raws", type=int, default=16)
    parser.add_argument("--skip-video", action="store_true")
    parser.add_argument("--skip-raw", action="store_true")
    args = parser.parse_args()
    result: dict = {"cpu_cores": os.cpu_count(), "load_avg_at_start": os.getloadavg()[0]}
    if not args.skip_video:
        result["video"] = bench_video(args.seconds)
    if not args.skip_raw:
        result["raw"] = bench_raw(args.raws)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
