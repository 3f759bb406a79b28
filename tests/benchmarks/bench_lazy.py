"""What an update with nothing to do costs, and the app's memory at rest (run by hand, JSON).

    python tests/benchmarks/bench_lazy.py [--photos 500] [--library-size 100000]

1. No-op update of the derived camera photo set (tests/benchmarks/photoset.py): indexed once,
   then updated again in-process (Engine.update, sessions counted) and as `magpie index`
   processes (interpreter start included). Target: < 0.3 s without loading a model.
2. RSS at rest of the app's engine host (gui/host.py EngineHost, headless, no window) over a
   100k-photo library (bench_search.py's synthetic catalog), the random-init ViT-B/32 pack:
   lazy (this version: text tower + index) against eager (both towers, what the host preloaded
   before), and lazy after an image query once the idle image tower was released. Each in its
   own process, interleaved, best of --repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

from bench_encoders import random_b32_pack  # noqa: E402
from bench_search import make_library  # noqa: E402
from photoset import photo_set  # noqa: E402


def magpie(library: Path, pack: Path, *args: str) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "magpie", "--library", str(library), "--model", str(pack), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return time.perf_counter() - started, json.loads(done.stdout)


def noop_update(pack: Path, photos: Path, repeat: int) -> dict[str, object]:
    from magpie.core import runtime
    from magpie.core.engine import Engine

    library = Path(tempfile.mkdtemp(prefix="magpie-bench-noop-"))
    first_s, first = magpie(library, pack, "index", str(photos), "--json")
    sessions: list[str] = []
    original = runtime.create_session

    def counting(path: Path, *a: object, **k: object) -> object:
        sessions.append(Path(path).parent.name)
        return original(path, *a, **k)  # type: ignore[arg-type]

    runtime.create_session = counting  # type: ignore[assignment]
    in_process = []
    for _ in range(repeat):
        started = time.perf_counter()
        with Engine(library, model=str(pack), writer=True) as engine:  # a fresh start each time
            report = engine.update()
        in_process.append(time.perf_counter() - started)
        assert report.indexed == 0 and report.unchanged == first["indexed"], report
    runtime.create_session = original  # type: ignore[assignment]
    process = [magpie(library, pack, "index", "--json")[0] for _ in range(repeat)]
    shutil.rmtree(library, ignore_errors=True)
    return {
        "photos": first["indexed"],
        "first_index_s": round(first_s, 1),
        "noop_update_in_process_s": {
            "p50": round(statistics.median(in_process), 3),
            "min": round(min(in_process), 3),
        },
        "noop_magpie_index_process_s": {
            "p50": round(statistics.median(process), 3),
            "min": round(min(process), 3),
        },
        "sessions_created": sessions,
    }


HOST_SCRIPT = r"""
import sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from PySide6.QtCore import QCoreApplication
from magpie.core.engine import Engine
from magpie.gui.host import EngineHost

mode = {mode!r}
Engine.image_idle_s = 3.0
app = QCoreApplication([])
host = EngineHost({library!r}, {pack!r}, "cpu")
host.start()
deadline = time.monotonic() + 600
while time.monotonic() < deadline:  # opened: text tower and index loaded
    engine = host.engine
    if engine is not None and engine._index is not None and engine.clip.text_loaded:
        break
    time.sleep(0.2)
while not host._jobs.empty() and time.monotonic() < deadline:
    time.sleep(0.2)
time.sleep(3.0)  # the start-up update (the synthetic folder is offline: a scan only)
engine = host.engine
if mode == "eager":
    engine.clip.image  # what the host preloaded before
elif mode == "released":
    engine.search_image({photo!r}, 10)
    while engine.clip.image_loaded:
        time.sleep(0.2)
engine.search("a dog on a bench", 50)  # one query answered, then at rest
time.sleep(2.0)
rss = 0
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmRSS:"):
        rss = int(line.split()[1]) / 1024
print(rss, engine.clip.image_loaded, engine.clip.text_loaded, len(engine.index))
host.shutdown()
"""


def host_rss(library: Path, pack: Path, mode: str, photo: Path) -> dict[str, object]:
    copy = Path(tempfile.mkdtemp(prefix="magpie-bench-rss-")) / "library"
    shutil.copytree(library, copy)
    script = HOST_SCRIPT.format(
        repo=str(REPO / "desktop"), mode=mode, library=str(copy), pack=str(pack), photo=str(photo)
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    shutil.rmtree(copy.parent, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    rss, image, text, count = done.stdout.split()
    return {
        "rss_mb": float(rss),
        "image_tower": image == "True",
        "text_tower": text == "True",
        "photos": int(count),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--library-size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pack = random_b32_pack()
    photos = photo_set(args.photos)
    result: dict[str, object] = {
        "pack": "CLIP ViT-B/32 (random init), fp32",
        "noop": noop_update(pack, photos, args.repeat),
    }
    library = make_library(args.library_size, pack.name)
    photo = next(photos.glob("*.jpg"))
    runs: dict[str, list[dict[str, object]]] = {"lazy": [], "eager": [], "released": []}
    for _ in range(max(1, args.repeat // 2)):
        for mode in runs:  # interleaved: the machine's load hits all alike
            runs[mode].append(host_rss(library, pack, mode, photo))
    best = {mode: min(r["rss_mb"] for r in rows) for mode, rows in runs.items()}
    result["rss_at_rest"] = {
        "photos": args.library_size,
        "runs": runs,
        "best_mb": {mode: round(v) for mode, v in best.items()},
        "lazy_vs_eager": round(best["lazy"] / best["eager"], 2),
        "released_vs_eager": round(best["released"] / best["eager"], 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
