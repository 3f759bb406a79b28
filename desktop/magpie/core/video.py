"""Videos as searchable moments: scene-change frames, plus one every few seconds when static.

PyAV (FFmpeg inside its wheel) demuxes and decodes the file as a stream, frame by frame, so a
video of any length costs the memory of a few frames. A small colour histogram of a frame
every SAMPLE_STEP_S seconds is compared with the previous one: a jump starts a new scene, and
its first sampled frame becomes a moment. A scene that stays still longer than STATIC_EVERY_S
gets a moment every STATIC_EVERY_S. Long videos decode keyframes only (fast, scene changes at
keyframe granularity), so a three-hour file cannot hold the index for hours.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

from magpie.core.errors import DecodeError

log = logging.getLogger("magpie.video")

VIDEO_SUFFIXES = frozenset(
    {
        ".mp4",
        ".m4v",
        ".mov",
        ".mkv",
        ".webm",
        ".avi",
        ".mts",
        ".m2ts",
        ".3gp",
        ".mpg",
        ".mpeg",
        ".wmv",
    }
)

SAMPLE_STEP_S = 0.25  # how often a frame is compared with the last one
STATIC_EVERY_S = 10.0  # a moment at least this often in a scene that does not change
MIN_SCENE_S = 1.0  # cuts closer than this (flashes, fast pans) do not start a new moment
CUT_DISTANCE = 0.35  # histogram distance (0 = same colours, 1 = disjoint) that is a cut
KEYFRAMES_ONLY_FROM_S = 20 * 60  # longer videos decode keyframes only
MAX_MOMENTS = 2000  # per video: the static interval grows for very long footage
MAX_FRAME_PIXELS = 8192 * 8192  # refuse absurd frame sizes before decoding any
# Wall-clock budget per video (seconds of decoding per second of footage, plus a floor): a
# damaged stream that makes the decoder crawl keeps what it found and lets the index go on.
BUDGET_PER_SECOND = 4.0
BUDGET_FLOOR_S = 120.0
_HIST_BINS = 4


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class VideoInfo:
    duration: float  # seconds (0 when the container does not say)
    codec: str
    width: int  # as displayed (rotation applied)
    height: int
    fps: float | None
    taken_at: float | None  # the container's creation time, POSIX seconds


@dataclass(frozen=True)
class Moment:
    seconds: float  # where the moment starts
    image: Image.Image  # upright RGB, short side about the requested size


def _av():  # noqa: ANN202 - the module; imported lazily (not needed to show a window)
    import av

    return av


def _creation_time(metadata: dict[str, str]) -> float | None:
    raw = metadata.get("creation_time") or metadata.get("com.apple.quicktime.creationdate")
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _open(path: str | Path):  # noqa: ANN202 - an av container
    av = _av()
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except FileNotFoundError:
        raise DecodeError(f"{path}: file not found") from None
    except PermissionError:
        raise DecodeError(f"{path}: permission denied") from None
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise DecodeError(f"{path}: not a video, or a damaged one ({exc})") from None
    if not container.streams.video:
        container.close()
        raise DecodeError(f"{path}: has no video stream")
    return container


def _info(container: object, stream: object, rotation: int = 0) -> VideoInfo:
    ctx = stream.codec_context  # type: ignore[attr-defined]
    duration = 0.0
    if stream.duration is not None and stream.time_base is not None:  # type: ignore[attr-defined]
        duration = float(stream.duration * stream.time_base)  # type: ignore[attr-defined]
    elif container.duration is not None:  # type: ignore[attr-defined]
        duration = container.duration / 1_000_000  # AV_TIME_BASE
    rate = stream.average_rate or stream.guessed_rate  # type: ignore[attr-defined]
    width, height = int(ctx.width or 0), int(ctx.height or 0)
    if rotation % 180:
        width, height = height, width
    return VideoInfo(
        duration=max(0.0, duration),
        codec=str(ctx.name or "unknown"),
        width=width,
        height=height,
        fps=float(rate) if rate else None,
        taken_at=_creation_time(dict(container.metadata)),  # type: ignore[attr-defined]
    )


def probe(path: str | Path) -> VideoInfo:
    """Duration, codec, frame size and date from the container's headers (reads no frames)."""
    container = _open(path)
    try:
        return _info(container, container.streams.video[0])
    finally:
        container.close()


def _signature(frame: object) -> np.ndarray:
    """A normalised 64-bin colour histogram of a 64x36 reduction of the frame."""
    small = frame.reformat(width=64, height=36, format="rgb24").to_ndarray()  # type: ignore[attr-defined]
    codes = (small // (256 // _HIST_BINS)).astype(np.int32)
    index = codes[..., 0] * _HIST_BINS * _HIST_BINS + codes[..., 1] * _HIST_BINS + codes[..., 2]
    hist = np.bincount(index.ravel(), minlength=_HIST_BINS**3).astype(np.float32)
    return hist / max(hist.sum(), 1.0)


def _to_image(frame: object, short_side: int) -> Image.Image:
    width, height = frame.width, frame.height  # type: ignore[attr-defined]
    scale = min(1.0, short_side / max(1, min(width, height)))
    image = frame.to_image(  # type: ignore[attr-defined]
        width=max(1, round(width * scale)), height=max(1, round(height * scale))
    )
    rotation = int(getattr(frame, "rotation", 0) or 0)
    if rotation % 360:
        # FFmpeg's display matrix angle is counter-clockwise, as Pillow's rotate
        image = image.rotate(rotation, expand=True)
    return image.convert("RGB")


@dataclass
class MomentReader:
    """Reads a video's moments as a stream; `info`, `warning` and `seconds_read` say how it went.

    Iterate it once. `on_time(seconds)` is called as decoding advances (progress by video
    time); `should_stop()` is asked between frames (pause/cancel): True ends the stream early.
    """

    path: str | Path
    short_side: int = 448
    on_time: Callable[[float], None] | None = None
    should_stop: Callable[[], bool] | None = None
    info: VideoInfo | None = None
    warning: str | None = None
    seconds_read: float = 0.0

    def __iter__(self) -> Iterator[Moment]:
        av = _av()
        container = _open(self.path)
        try:
            stream = container.streams.video[0]
            info = _info(container, stream)
            self.info = info
            if info.width * info.height > MAX_FRAME_PIXELS:
                raise DecodeError(
                    f"{self.path}: {info.width}x{info.height} frames are larger than Magpie "
                    "decodes; skipped"
                )
            ctx = stream.codec_context
            ctx.thread_type = "AUTO"
            keyframes_only = info.duration > KEYFRAMES_ONLY_FROM_S
            if keyframes_only:
                ctx.skip_frame = "NONKEY"
            static_every = max(STATIC_EVERY_S, info.duration / MAX_MOMENTS)
            budget = BUDGET_FLOOR_S + BUDGET_PER_SECOND * info.duration
            yield from self._moments(av, container, stream, static_every, budget, keyframes_only)
        finally:
            container.close()

    def _moments(
        self,
        av: object,
        container: object,
        stream: object,
        static_every: float,
        budget: float,
        keyframes_only: bool,
    ) -> Iterator[Moment]:
        started = time.monotonic()
        next_sample = -math.inf
        last_signature: np.ndarray | None = None
        last_moment = -math.inf
        count = 0
        first_rotation_fixed = False
        frames = container.decode(stream)  # type: ignore[attr-defined]
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:  # type: ignore[attr-defined]
                # a damaged or truncated stream: keep the moments before the damage
                if count == 0:
                    raise DecodeError(f"{self.path}: damaged video ({exc})") from None
                self.warning = (
                    f"damaged after {self.seconds_read:.1f} s ({exc}); indexed up to there"
                )
                break
            if frame.time is None:
                continue
            seconds = max(0.0, float(frame.time))
            self.seconds_read = seconds
            if not first_rotation_fixed and self.info is not None:
                rotation = int(getattr(frame, "rotation", 0) or 0)
                if rotation % 180:
                    self.info = _info(container, stream, rotation)
                first_rotation_fixed = True
            if self.should_stop is not None and self.should_stop():
                return
            if self.on_time is not None:
                self.on_time(seconds)
            if count and time.monotonic() - started > budget:
                self.warning = f"decoding too slow; indexed the first {seconds:.0f} s"
                log.warning("%s: %s", self.path, self.warning)
                break
            if seconds < next_sample and not keyframes_only:
                continue
            next_sample = seconds + SAMPLE_STEP_S
            signature = _signature(frame)
            is_cut = (
                last_signature is not None
                and float(np.abs(signature - last_signature).sum()) / 2 > CUT_DISTANCE
                and seconds - last_moment >= MIN_SCENE_S
            )
            last_signature = signature
            if count == 0 or is_cut or seconds - last_moment >= static_every:
                last_moment = seconds
                count += 1
                yield Moment(seconds, _to_image(frame, self.short_side))
        if count == 0:
            raise DecodeError(f"{self.path}: the video has no frames that decode")


def frame_at(path: str | Path, seconds: float, short_side: int = 448) -> Image.Image:
    """The frame shown at `seconds` (seek to the keyframe before, decode forward)."""
    container = _open(path)
    try:
        stream = container.streams.video[0]
        av = _av()
        target = max(0.0, seconds)
        if stream.time_base is not None and target > 0:
            container.seek(int(target / stream.time_base), stream=stream, backward=True)
        best = None
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                best = frame
                if frame.time >= target - 1e-3:
                    break
        except av.error.FFmpegError as exc:
            if best is None:
                raise DecodeError(f"{path}: damaged video ({exc})") from None
        if best is None:
            raise DecodeError(f"{path}: no frame at {seconds:.1f} s")
        return _to_image(best, short_side)
    finally:
        container.close()


def format_time(seconds: float) -> str:
    """1:05, 1:02:03: how players show a position."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def moment_key(fingerprint: str, seconds: float) -> str:
    """The thumbnail cache key of a moment (the video's content key plus milliseconds)."""
    return f"{fingerprint}-{round(seconds * 1000)}"
