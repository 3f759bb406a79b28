"""Text in photos: detection and recognition with PP-OCR models run by onnxruntime.

RapidOCR (the `rapidocr` wheel) carries PP-OCRv6 detection and recognition ONNX models and
runs them on the onnxruntime the app already has (onnxruntime-gpu: CUDA when present), with
headless OpenCV for its geometry. Detection comes first and recognition only runs on the
boxes it finds, so a photo without text costs one small detection pass.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from magpie.core import imaging, runtime
from magpie.core.errors import MagpieError

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger("magpie.ocr")

# The recogniser's identity: stored with each photo's text, so a change of models or of the
# rules below re-reads the library (as a new CLIP model re-embeds it).
READER_ID = "rapidocr-ppocrv6-small/1"
# Photos are read at this long side (JPEG DCT scaling makes the decode cheap). Measured on
# signs in 8-megapixel photos (tests/benchmarks/bench_text.py): 1280 px found every word that
# 2000 px (RapidOCR's own limit) found and more, in 0.56x the time.
MAX_SIDE = 1280
MIN_LINE_SCORE = 0.6  # recognised lines below this confidence are noise more often than words


class OcrUnavailableError(MagpieError):
    """The OCR engine could not be loaded (a broken install)."""


@dataclass(frozen=True)
class RecognisedText:
    lines: tuple[str, ...]
    scores: tuple[float, ...]
    seconds: float

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class TextReader:
    """Loads the OCR models on first use; one call at a time (the engine is not reentrant)."""

    def __init__(
        self, device: str = "cpu", threads: int | None = None, max_side: int = MAX_SIDE
    ) -> None:
        self.device = device
        self.max_side = max_side
        self.threads = threads or runtime.default_threads()
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._engine is None:
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:  # a damaged install; the rest of Magpie works on
                raise OcrUnavailableError(f"text recognition is not installed ({exc})") from None
            params = {
                "Global.log_level": "error",
                "EngineConfig.onnxruntime.use_cuda": self.device == "cuda",
                "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
            self._engine = RapidOCR(params=params)
            _quiet_rapidocr()
        return self._engine

    def read_image(self, image: Image.Image) -> RecognisedText:
        """Text lines in an upright RGB image, top to bottom as the engine orders them."""
        import time

        started = time.perf_counter()
        with self._lock:
            # flags given every time: RapidOCR keeps the last call's flags as its defaults
            result = self._load()(image.convert("RGB"), use_det=True, use_cls=True, use_rec=True)
        lines: list[str] = []
        scores: list[float] = []
        for text, score in zip(result.txts or (), result.scores or (), strict=False):
            cleaned = " ".join(str(text).split())
            if cleaned and float(score) >= MIN_LINE_SCORE:
                lines.append(cleaned)
                scores.append(round(float(score), 4))
        return RecognisedText(tuple(lines), tuple(scores), time.perf_counter() - started)

    def finds_text(self, image: Image.Image, side: int = 960) -> bool:
        """Detection alone on a small copy: does the picture show any text at all?"""
        small = imaging.make_thumbnail(image.convert("RGB"), side)
        with self._lock:
            boxes = self._load()(small, use_det=True, use_cls=False, use_rec=False).boxes
        return boxes is not None and len(boxes) > 0

    def read(self, source: imaging.ImageSource) -> RecognisedText:
        """Decode (upright, at most max_side on the long side) and read a photo's text."""
        image = imaging.decode_image(source, min_short_side=self.max_side // 2)
        if max(image.size) > self.max_side:
            image = imaging.make_thumbnail(image, self.max_side)
        return self.read_image(image)


def _quiet_rapidocr() -> None:
    """RapidOCR logs every model path, and "no text found", on its own handler: errors only."""
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
