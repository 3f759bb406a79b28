"""The two CLIP towers as onnxruntime sessions: images and texts to L2-normalised vectors.

Input names and integer types are read from each graph, never assumed: packs come from
our export tool, from Immich, or from anyone who follows the layout.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from magpie.core import imaging, runtime
from magpie.core.errors import PackError
from magpie.core.int8 import int8_model, int8_ready
from magpie.core.languages import flores_code
from magpie.core.packs import ModelPack, load_pack
from magpie.core.tokenize import TextTokenizer

log = logging.getLogger("magpie.encoders")

_NUMPY_TYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(int32)": np.int32,
    "tensor(int64)": np.int64,
}
CPU_IMAGE_BATCH = 16
CUDA_IMAGE_BATCH = 64


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _static(dim: object) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


def _check_output(model: Path, session: Any, embed_dim: int) -> None:
    outputs = session.get_outputs()
    if not outputs:
        raise PackError(f"{model}: graph has no outputs")
    shape = outputs[0].shape
    if len(shape) != 2:
        raise PackError(f"{model}: output must be [batch, {embed_dim}], graph declares {shape}")
    declared = _static(shape[1])
    if declared is not None and declared != embed_dim:
        raise PackError(
            f"{model}: output has {declared} dimensions but config.json says embed_dim {embed_dim}"
        )


def _check_result(model: Path, result: np.ndarray, embed_dim: int) -> np.ndarray:
    if result.ndim != 2 or result.shape[1] != embed_dim:
        raise PackError(
            f"{model}: produced vectors of shape {list(result.shape)} "
            f"but config.json says embed_dim {embed_dim}"
        )
    if not np.all(np.isfinite(result)):
        raise PackError(f"{model}: produced non-finite values (NaN or infinity)")
    return l2_normalise(result)


class ImageEncoder:
    """Preprocessed image tensors to embeddings, in batches."""

    def __init__(
        self,
        pack: ModelPack,
        device: str = "cpu",
        threads: int | None = None,
        batch_size: int | None = None,
        model_file: Path | None = None,
    ) -> None:
        self.pack = pack
        self.device = device
        self.model = model_file or pack.visual_model
        self.session = runtime.create_session(self.model, device, threads, spinning=False)
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            names = [i.name for i in inputs]
            raise PackError(f"{self.model}: expected one image input, graph has {names}")
        self.input_name = inputs[0].name
        self.input_type = _NUMPY_TYPES.get(inputs[0].type)
        if self.input_type not in (np.float32, np.float16):
            raise PackError(f"{self.model}: image input must be float, graph has {inputs[0].type}")
        shape = inputs[0].shape
        cfg = pack.preprocess
        expected = [None, 3, cfg.height, cfg.width]
        if len(shape) != 4:
            raise PackError(
                f"{self.model}: image input must be [batch, 3, H, W], graph has {shape}"
            )
        for axis in (1, 2, 3):
            declared = _static(shape[axis])
            if declared is not None and declared != expected[axis]:
                raise PackError(
                    f"{self.model}: graph expects input {shape[1:]} but preprocess_cfg.json "
                    f"gives 3x{cfg.height}x{cfg.width}"
                )
        _check_output(self.model, self.session, pack.embed_dim)
        fixed_batch = _static(shape[0])
        default_batch = CUDA_IMAGE_BATCH if device == "cuda" else CPU_IMAGE_BATCH
        self.batch_size = fixed_batch or batch_size or default_batch
        self._fixed_batch = fixed_batch is not None

    def encode(self, tensors: np.ndarray) -> np.ndarray:
        """[N, 3, H, W] float32 preprocessed tensors -> [N, D] unit vectors."""
        if len(tensors) == 0:
            return np.zeros((0, self.pack.embed_dim), dtype=np.float32)
        parts = []
        for start in range(0, len(tensors), self.batch_size):
            batch = np.asarray(tensors[start : start + self.batch_size], dtype=self.input_type)
            real = len(batch)
            if self._fixed_batch and real < self.batch_size:  # pad a static-batch graph
                pad = np.zeros((self.batch_size - real, *batch.shape[1:]), dtype=batch.dtype)
                batch = np.concatenate([batch, pad])
            result = self.session.run(None, {self.input_name: batch})[0][:real]
            parts.append(
                _check_result(self.model, np.asarray(result, np.float32), self.pack.embed_dim)
            )
        return np.concatenate(parts)

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        cfg = self.pack.preprocess
        return self.encode(np.stack([imaging.to_model_input(im, cfg) for im in images]))

    def encode_files(self, paths: Iterable[str | Path | bytes]) -> np.ndarray:
        """Decode (DecodeError on a bad file) and embed image files or bytes."""
        cfg = self.pack.preprocess
        tensors = [imaging.load_for_model(p, cfg) for p in paths]
        if not tensors:
            return self.encode(np.zeros((0, 3, cfg.height, cfg.width), np.float32))
        return self.encode(np.stack(tensors))


class TextEncoder:
    """Texts to embeddings; accepts both text-input conventions of the pack layout."""

    def __init__(
        self,
        pack: ModelPack,
        device: str = "cpu",
        threads: int | None = None,
        language: str | None = None,
    ) -> None:
        self.pack = pack
        self.model = pack.textual_model
        self.session = runtime.create_session(self.model, device, threads)
        inputs = {i.name: i for i in self.session.get_inputs()}
        if set(inputs) == {"text"}:
            self.convention = "text"
        elif set(inputs) == {"input_ids", "attention_mask"}:
            self.convention = "input_ids"
        else:
            raise PackError(
                f"{self.model}: text inputs must be 'text', or 'input_ids' and 'attention_mask'; "
                f"graph has {sorted(inputs)}"
            )
        self._types: dict[str, Any] = {}
        for name, spec in inputs.items():
            if spec.type not in ("tensor(int32)", "tensor(int64)"):
                raise PackError(
                    f"{self.model}: input '{name}' must be int32 or int64, not {spec.type}"
                )
            if len(spec.shape) != 2:
                raise PackError(
                    f"{self.model}: input '{name}' must be [batch, length], not {spec.shape}"
                )
            self._types[name] = _NUMPY_TYPES[spec.type]
        first = next(iter(inputs.values()))
        fixed_length = _static(first.shape[1])
        context = min(pack.context_length, fixed_length or pack.context_length)
        self._fixed_batch = _static(first.shape[0])
        # A dynamic length axis lets a short query run only its real tokens when the tower is
        # causal (CLIP: the result is identical); a static one, or a tower that attends to
        # every position (SigLIP, XLM-R, NLLB), gets exactly the padding it was exported with.
        self._pad_to_context = fixed_length is not None or not pack.causal_text
        self.language_code = flores_code(language) if pack.needs_language_code else ""
        self.tokenizer = TextTokenizer(
            pack.tokenizer_file,
            pack.pad_token,
            context,
            pack.canonicalize_text,
            pack.text_clean,
            self.language_code,
        )
        _check_output(self.model, self.session, pack.embed_dim)

    def _run(self, texts: list[str]) -> np.ndarray:
        tokens = self.tokenizer.encode(texts, pad_to_context=self._pad_to_context)
        feeds: dict[str, np.ndarray]
        if self.convention == "text":
            feeds = {"text": tokens.ids.astype(self._types["text"])}
        else:
            feeds = {
                "input_ids": tokens.ids.astype(self._types["input_ids"]),
                "attention_mask": tokens.attention_mask.astype(self._types["attention_mask"]),
            }
        return np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)

    def _run_checked(self, texts: list[str]) -> np.ndarray:
        try:
            result = self._run(texts)
        except Exception:
            if self._pad_to_context:
                raise
            # Some exports declare a dynamic length but need the full context; learn it once.
            log.info("%s: needs full-length padding; switching to it", self.model)
            self._pad_to_context = True
            result = self._run(texts)
        return _check_result(self.model, result, self.pack.embed_dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.pack.embed_dim), dtype=np.float32)
        step = self._fixed_batch or 64
        return np.concatenate(
            [self._run_checked(texts[i : i + step]) for i in range(0, len(texts), step)]
        )


class ClipModel:
    """A pack with both towers, each opened lazily and thread-safely on first use.

    The image tower (the big one, ~350 MB for ViT-B/32) is dropped again once it has been
    idle for `image_idle_s` seconds; the text tower stays, so the next query is never cold.
    """

    def __init__(
        self,
        pack: ModelPack,
        device: str = "auto",
        threads: int | None = None,
        int8: bool = False,
        language: str | None = None,
        image_idle_s: float | None = None,
    ) -> None:
        self.pack = pack
        self.language = language  # the query language for NLLB packs ("" = the system's)
        self.int8 = int8  # use the checked int8 image tower (CPU only), if there is one
        self.requested_device = device
        self.threads = threads
        self.image_idle_s = image_idle_s  # None: keep the image tower for good
        self._device: str | None = None
        self._image: ImageEncoder | None = None
        self._text: TextEncoder | None = None
        self._lock = threading.Lock()
        self._image_users = 0  # using_image() blocks in progress: never released under them
        self._release_timer: threading.Timer | None = None

    @classmethod
    def from_path(
        cls, path: str | Path, device: str = "auto", name: str | None = None
    ) -> ClipModel:
        return cls(load_pack(path, name), device)

    @property
    def name(self) -> str:
        return self.pack.name

    @property
    def dim(self) -> int:
        return self.pack.embed_dim

    @property
    def device(self) -> str:
        """The device in use ('cpu' or 'cuda'), probing CUDA on first call for 'auto'."""
        with self._lock:
            if self._device is None:
                self._device = runtime.resolve_device(self.requested_device, self.pack.visual_model)
            return self._device

    @property
    def image(self) -> ImageEncoder:
        device = self.device
        with self._lock:
            encoder = self._load_image(device)
            self._arm_release()
            return encoder

    def _load_image(self, device: str) -> ImageEncoder:
        """The image tower, loaded if it is not; the caller holds the lock."""
        if self._image is None:
            model_file = None
            if self.int8 and device == "cpu":
                if int8_ready(self.pack):
                    model_file = int8_model(self.pack)
                else:
                    log.warning("int8 indexing is on but no passing int8 check exists; using fp32")
            self._image = ImageEncoder(self.pack, device, self.threads, model_file=model_file)
        return self._image

    @property
    def image_loaded(self) -> bool:
        return self._image is not None

    @property
    def text_loaded(self) -> bool:
        return self._text is not None

    @contextlib.contextmanager
    def using_image(self) -> Iterator[ImageEncoder]:
        """The image tower, kept loaded for the whole block (an indexing run)."""
        device = self.device
        with self._lock:  # loaded and counted as one step: no idle timer fires in between
            encoder = self._load_image(device)
            self._image_users += 1
            self._cancel_release()
        try:
            yield encoder
        finally:
            with self._lock:
                self._image_users -= 1
                self._arm_release()

    def release_image(self) -> bool:
        """Drop the image tower unless it is in use; True if it was dropped."""
        with self._lock:
            if self._image is None or self._image_users:
                return False
            self._image = None
            self._cancel_release()
        runtime.return_freed_memory()
        log.info("image tower released (idle for %s s); the text tower stays", self.image_idle_s)
        return True

    def _arm_release(self) -> None:
        """(Re)start the idle countdown; the caller holds the lock."""
        self._cancel_release()
        if self.image_idle_s is None or self._image is None or self._image_users:
            return
        timer = threading.Timer(self.image_idle_s, self.release_image)
        timer.daemon = True  # never keeps the process alive
        timer.name = "magpie-image-release"
        self._release_timer = timer
        timer.start()

    def _cancel_release(self) -> None:
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None

    def close(self) -> None:
        with self._lock:
            self._cancel_release()

    @property
    def text(self) -> TextEncoder:
        device = self.device
        with self._lock:
            if self._text is None:
                self._text = TextEncoder(self.pack, device, self.threads, self.language)
            return self._text

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self.text.encode(texts)

    def embed_images(self, sources: Iterable[str | Path | bytes]) -> np.ndarray:
        return self.image.encode_files(sources)
