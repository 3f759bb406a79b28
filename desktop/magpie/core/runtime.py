"""onnxruntime sessions and compute-device choice.

onnxruntime-gpu lists CUDAExecutionProvider even where no CUDA library exists, so "auto" only
counts CUDA as present once a session really got it. The probe is silent (onnxruntime prints
its loader failures to stdout and stderr, which would break `--json` output) and its result
is cached for the process.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import io
import logging
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from magpie.core.errors import DeviceError, PackError

if TYPE_CHECKING:
    import onnxruntime

log = logging.getLogger("magpie.runtime")

DeviceChoice = Literal["auto", "cpu", "cuda"]
DEVICE_CHOICES: tuple[DeviceChoice, ...] = ("auto", "cpu", "cuda")
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


@dataclass(frozen=True)
class CudaProbe:
    available: bool
    reason: str  # why not, in words, when unavailable


_probe_lock = threading.Lock()
_probe_result: CudaProbe | None = None


def ort() -> onnxruntime:  # type: ignore[valid-type]
    """Import onnxruntime lazily: it costs ~0.3 s and is not needed to show a window."""
    import onnxruntime

    return onnxruntime


@contextlib.contextmanager
def _quiet_onnxruntime():  # noqa: ANN202 - a context manager
    """Silence onnxruntime's own loader messages while we probe for CUDA."""
    rt = ort()
    rt.set_default_logger_severity(4)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        rt.set_default_logger_severity(2)


def _driver_present() -> bool:
    if os.name == "nt":
        return ctypes.util.find_library("nvcuda") is not None
    try:
        ctypes.CDLL("libcuda.so.1")
        return True
    except OSError:
        return ctypes.util.find_library("cuda") is not None


def probe_cuda(model_path: Path | None = None) -> CudaProbe:
    """Can onnxruntime run on CUDA here? Tries a real session on `model_path` if given."""
    global _probe_result
    with _probe_lock:
        if _probe_result is not None:
            return _probe_result
        rt = ort()
        if CUDA not in rt.get_available_providers():
            result = CudaProbe(False, "this onnxruntime build has no CUDA support")
        elif not _driver_present():
            result = CudaProbe(False, "no NVIDIA GPU driver found")
        elif model_path is None:
            return CudaProbe(True, "")  # decide for real on the first session
        else:
            result = _try_cuda_session(model_path)
        _probe_result = result
        return result


def _try_cuda_session(model_path: Path) -> CudaProbe:
    rt = ort()
    with _quiet_onnxruntime():
        if hasattr(rt, "preload_dlls"):
            with contextlib.suppress(Exception):
                rt.preload_dlls()  # CUDA/cuDNN from the nvidia-* wheels of the [cuda] extra
        try:
            session = rt.InferenceSession(str(model_path), providers=[CUDA, CPU])
        except Exception as exc:
            return CudaProbe(False, f"onnxruntime could not start CUDA ({exc})")
    if session.get_providers()[0] != CUDA:
        return CudaProbe(
            False,
            "onnxruntime could not load its CUDA libraries (CUDA and cuDNN runtime missing; "
            "`pip install magpie-photos[cuda]` provides them)",
        )
    return CudaProbe(True, "")


def cuda_note() -> str:
    """What is known about CUDA in this process, in words (for settings and status)."""
    with _probe_lock:
        result = _probe_result
    if result is None:
        return "CUDA not checked yet"
    return "CUDA available" if result.available else f"CUDA unavailable: {result.reason}"


def reset_probe() -> None:
    """Forget the cached probe (tests, or after the user installs CUDA libraries)."""
    global _probe_result
    with _probe_lock:
        _probe_result = None


def resolve_device(requested: str, model_path: Path) -> str:
    """'auto' | 'cpu' | 'cuda' to the device to use now: 'cpu' or 'cuda'."""
    if requested not in DEVICE_CHOICES:
        raise DeviceError(f"unknown device {requested!r} (use auto, cpu or cuda)")
    if requested == "cpu":
        return "cpu"
    probe = probe_cuda(model_path)
    if probe.available:
        return "cuda"
    if requested == "cuda":
        raise DeviceError(f"CUDA was requested but cannot be used: {probe.reason}")
    log.info("using the CPU: CUDA unavailable (%s)", probe.reason)
    return "cpu"


def return_freed_memory() -> None:
    """Hand memory freed by a dropped session back to the OS (glibc keeps it otherwise, and
    the process's RSS would not shrink when the image tower is released)."""
    import gc

    gc.collect()
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc (musl...): nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


_niced = threading.local()


def lower_thread_priority(niceness: int) -> None:
    """Make the calling thread give way to the rest of the process (the GUI thread first):
    background decoding fills idle CPU instead of taking it from the window. Linux only (a
    per-thread nice value; raising it needs no privilege); once per thread; elsewhere, no-op."""
    if getattr(_niced, "done", False):
        return
    _niced.done = True
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


def default_threads() -> int:
    """Intra-op threads: one per core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def create_session(
    model_path: Path, device: str, threads: int | None = None, spinning: bool = True
) -> onnxruntime.InferenceSession:  # type: ignore[valid-type]
    """An InferenceSession on 'cpu' or 'cuda'; a graph that will not load is a PackError."""
    rt = ort()
    options = rt.SessionOptions()
    options.graph_optimization_level = rt.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if not spinning:
        # idle onnxruntime threads normally spin on the CPU between operators; the image
        # tower shares the cores with the decode threads, which need those cycles
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    providers: list[str] = [CUDA, CPU] if device == "cuda" else [CPU]
    try:
        if device == "cuda":
            with _quiet_onnxruntime():
                session = rt.InferenceSession(str(model_path), options, providers=providers)
        else:
            session = rt.InferenceSession(str(model_path), options, providers=providers)
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PackError(f"{model_path}: ONNX graph will not load ({message})") from None
    if device == "cuda" and session.get_providers()[0] != CUDA:
        raise DeviceError(f"{model_path}: onnxruntime could not place this graph on CUDA")
    return session
