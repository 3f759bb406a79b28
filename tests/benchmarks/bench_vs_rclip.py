"""Magpie and rclip side by side on the same photos (run by hand, prints JSON and a table).

    python tests/benchmarks/bench_vs_rclip.py [--camera 500] [--small 500] [--rounds 2]

rclip (https://github.com/yurijmikhalevich/rclip) is installed from PyPI into its own venv,
never as a Magpie dependency:

    python3 -m venv .rclip-venv && .rclip-venv/bin/pip install rclip open_clip_torch onnx \
        torch==2.13.0

Its model files come from rclip's own scripts/convert_model.py (ViT-B-32-256, the model rclip
ships) run with random-init weights (Hugging Face is out of reach here, and random weights
cost the same compute); pass them with --rclip-models (the folder holding
ViT-B-32-256-datacomp_s34b_b86k/ and tokenizer/). Magpie uses the random-init CLIP ViT-B/32
pack (224 px input; rclip's model takes 256 px, 1.3x the pixels per image).

Every measurement is a separate process of each tool, interleaved (Magpie, rclip, Magpie, ...)
so the machine's load falls on both alike; wall time includes starting the interpreter.
Rows: index camera photos (8-24 MP, a fresh library), index small photos (~0.3 MP), an update
with nothing changed, an update after 50 renames, a text query and an image query over a 100k
library (synthetic vectors in each tool's own database), peak RSS of those query processes,
and bytes per photo on disk. Each row's ratio is rclip / Magpie (> 1: Magpie is ahead).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

from bench_encoders import random_b32_pack  # noqa: E402
from bench_search import clustered, make_library  # noqa: E402
from photoset import SOURCES, photo_set  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "magpie-bench"
RCLIP_MODEL = "ViT-B-32-256-datacomp_s34b_b86k"
QUERY = "a dog on a bench"

# rclip's indexing without a query: its own init_rclip() walks the folder, embeds what is new
# or changed and records deletions and renames (what every `rclip QUERY` does first)
RCLIP_INDEX = """
import sys
from rclip.main import init_rclip
rclip, model, db = init_rclip(sys.argv[1], 8)
rclip.close(); model.close(); db.close()
"""


@dataclass
class Run:
    """One process: wall seconds (interpreter start included) and its own peak RSS."""

    seconds: float
    peak_rss_mb: float
    stdout: str


def _run_with_rss(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            argv, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode:
            tail = err.read().decode(errors="replace")[-3000:]
            raise SystemExit(f"{argv[:4]} failed ({child.returncode}):\n{tail}")
        return Run(seconds, usage.ru_maxrss / 1024, out.read().decode(errors="replace"))


class Magpie:
    name = "magpie"

    def __init__(self, pack: Path, library: Path) -> None:
        self.pack, self.library = pack, library

    def _argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "magpie", "--library", str(self.library), "--model",
                str(self.pack), *args]  # fmt: skip

    def index(self, folder: Path) -> Run:
        return _run_with_rss(self._argv("index", str(folder), "--json"), REPO)

    def text_query(self, folder: Path) -> Run:
        return _run_with_rss(self._argv("search", QUERY, "-k", "10", "--json"), REPO)

    def image_query(self, folder: Path, image: Path) -> Run:
        return _run_with_rss(self._argv("similar", str(image), "-k", "10", "--json"), REPO)

    def disk_bytes(self) -> int:
        files = [*self.library.glob("catalog.sqlite*"), *(self.library / "index").glob("*")]
        return sum(p.stat().st_size for p in files if p.is_file())


class Rclip:
    name = "rclip"

    def __init__(self, venv: Path, models: Path, datadir: Path) -> None:
        self.python = venv / "bin" / "python"
        self.datadir = datadir
        datadir.mkdir(parents=True, exist_ok=True)
        for entry in (RCLIP_MODEL, "tokenizer"):  # the converted model, shared by every run
            link = datadir / entry
            if not link.exists():
                link.symlink_to(models / entry)
        self.env = {"RCLIP_DATADIR": str(datadir), "HF_HUB_OFFLINE": "1"}

    def index(self, folder: Path) -> Run:
        return _run_with_rss([str(self.python), "-c", RCLIP_INDEX, str(folder)], folder, self.env)

    def _query(self, folder: Path, query: str) -> Run:
        argv = [str(self.python), "-m", "rclip", "-n", "-f", "-t", "10", query]
        return _run_with_rss(argv, folder, self.env)

    def text_query(self, folder: Path) -> Run:
        return self._query(folder, QUERY)

    def image_query(self, folder: Path, image: Path) -> Run:
        return self._query(folder, str(image))

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.datadir.glob("db.sqlite3*"))


def small_photos(count: int) -> Path:
    """~0.3 MP JPEGs (phone thumbnails, web downloads) derived from the shared photos."""
    from PIL import Image

    root = CACHE / f"small-{count}"
    if (root / ".complete").exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    sources = sorted(SOURCES.glob("*.jpg"))
    rng = random.Random(1)
    for i in range(count):
        with Image.open(sources[i % len(sources)]) as opened:
            opened.draft("RGB", (1024, 1024))
            image = opened.convert("RGB")
        crop = rng.uniform(0, 0.1)
        w, h = image.size
        image = image.crop((int(w * crop), int(h * crop), w, h))
        image.thumbnail((rng.randint(560, 720), 720))
        image.save(root / f"small_{i:05}.jpg", "JPEG", quality=88)
    (root / ".complete").write_text("ok")
    return root


def linked_copy(source: Path, target: Path) -> Path:
    """Each tool gets its own folder of the same files (hard links: no copying)."""
    shutil.copytree(source, target, copy_function=os.link, ignore=shutil.ignore_patterns(".*"))
    return target


def rclip_100k(n: int, folder: Path, datadir: Path) -> None:
    """rclip's own schema (db.py, version 4) with n synthetic float32 vectors under folder."""
    db_path = datadir / "db.sqlite3"
    if db_path.exists():
        return
    vectors = clustered(n, seed=0)
    db = sqlite3.connect(db_path)
    db.executescript(
        "CREATE TABLE images (id INTEGER PRIMARY KEY, deleted BOOLEAN, filepath TEXT NOT NULL "
        "UNIQUE, modified_at DATETIME NOT NULL, size INTEGER NOT NULL, vector BLOB NOT NULL, "
        "indexing BOOLEAN, hash TEXT);"
        "CREATE UNIQUE INDEX existing_images ON images(filepath) WHERE deleted IS NULL;"
        "CREATE INDEX hash_index ON images(hash) WHERE deleted IS NULL;"
        "CREATE TABLE db_version (version INTEGER); INSERT INTO db_version VALUES (4);"
    )
    db.executemany(
        "INSERT INTO images(filepath, modified_at, size, vector, hash) VALUES (?, ?, ?, ?, ?)",
        (
            (
                f"{folder}/{i // 1000:04}/IMG_{i:07}.jpg",
                1_600_000_000.0 + i,
                4_000_000,
                vectors[i].astype(np.float32).tobytes(),
                f"{i:032x}",
            )
            for i in range(n)
        ),
    )
    db.commit()
    db.close()


def interleaved(
    tools: list[Magpie | Rclip], measure: Callable[[Magpie | Rclip], Run], rounds: int
) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {tool.name: [] for tool in tools}
    for r in range(rounds):
        order = tools if r % 2 == 0 else tools[::-1]
        for tool in order:
            runs[tool.name].append(measure(tool))
    return runs


def row(runs: dict[str, list[Run]], per: int | None = None) -> dict[str, object]:
    m = statistics.median(r.seconds for r in runs["magpie"])
    c = statistics.median(r.seconds for r in runs["rclip"])
    out: dict[str, object] = {"magpie_s": round(m, 3), "rclip_s": round(c, 3)}
    if per:
        out["magpie_per_s"], out["rclip_per_s"] = round(per / m, 1), round(per / c, 1)
    out["ratio"] = round(c / m, 2)
    return out


def rename_some(folder: Path, count: int, round_: int) -> None:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".jpg")[:count]
    for path in files:
        path.rename(path.with_name(f"r{round_}_{path.name}"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--camera", type=int, default=500)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2, help="indexing runs per tool")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool of the cheap rows")
    parser.add_argument("--library-size", type=int, default=100_000)
    parser.add_argument("--rclip-venv", type=Path, default=REPO / ".rclip-venv")
    parser.add_argument("--rclip-models", type=Path, default=CACHE / "rclip-models")
    args = parser.parse_args()

    pack = random_b32_pack()
    work = Path(tempfile.mkdtemp(prefix="magpie-vs-rclip-"))
    sets = {"camera": photo_set(args.camera), "small": small_photos(args.small)}
    result: dict[str, object] = {
        "magpie_pack": "CLIP ViT-B/32 random init, 224 px",
        "rclip_model": f"{RCLIP_MODEL} random init via rclip's scripts/convert_model.py, 256 px",
    }
    libraries: dict[str, dict[str, Magpie | Rclip]] = {}
    for kind, photos in sets.items():
        runs: dict[str, list[Run]] = {"magpie": [], "rclip": []}
        for r in range(args.rounds):
            tools: list[Magpie | Rclip] = [
                Magpie(pack, work / f"{kind}-{r}" / "magpie-library"),
                Rclip(args.rclip_venv, args.rclip_models, work / f"{kind}-{r}" / "rclip-data"),
            ]
            for tool in tools if r % 2 == 0 else tools[::-1]:
                folder = linked_copy(photos, work / f"{kind}-{r}" / f"{tool.name}-photos")
                run = tool.index(folder)
                runs[tool.name].append(run)
                print(f"{kind} index {tool.name}: {run.seconds:.1f} s", file=sys.stderr)
            libraries[kind] = {t.name: t for t in tools}
        result[f"index_{kind}_photos"] = {"photos": args.camera if kind == "camera" else args.small}
        result[f"index_{kind}_photos"].update(row(runs, per=len(list(photos.glob("*.*")))))
        result[f"index_{kind}_photos"]["peak_rss_mb"] = {
            name: round(max(r.peak_rss_mb for r in rs)) for name, rs in runs.items()
        }

    camera = libraries["camera"]
    last = args.rounds - 1

    def folder_of(tool: Magpie | Rclip) -> Path:
        return work / f"camera-{last}" / f"{tool.name}-photos"

    noop = interleaved(list(camera.values()), lambda t: t.index(folder_of(t)), args.repeat)
    result["noop_update"] = {"photos": args.camera, **row(noop)}
    renames: dict[str, list[Run]] = {"magpie": [], "rclip": []}
    for r in range(args.repeat):
        for tool in camera.values():
            rename_some(folder_of(tool), 50, r)
        for tool in list(camera.values()) if r % 2 == 0 else list(camera.values())[::-1]:
            renames[tool.name].append(tool.index(folder_of(tool)))
    result["update_after_50_renames"] = row(renames)
    result["disk_bytes_per_photo"] = {
        name: round(tool.disk_bytes() / args.camera) for name, tool in camera.items()
    }

    # 100k: each tool's own database filled with the same synthetic vectors
    n = args.library_size
    big_folder = work / "big" / "photos"
    big_folder.mkdir(parents=True)
    magpie_root = work / "big" / "magpie-library"
    shutil.copytree(make_library(n, pack.name), magpie_root)
    big = {
        "magpie": Magpie(pack, magpie_root),
        "rclip": Rclip(args.rclip_venv, args.rclip_models, work / "big" / "rclip-data"),
    }
    rclip_100k(n, big_folder, work / "big" / "rclip-data")
    big["magpie"].text_query(big_folder)  # the first open builds and saves the index once
    image = next(sets["camera"].glob("*.jpg"))
    text = interleaved(list(big.values()), lambda t: t.text_query(big_folder), args.repeat)
    images = interleaved(
        list(big.values()), lambda t: t.image_query(big_folder, image), args.repeat
    )
    result["text_query_100k"] = {"photos": n, **row(text)}
    result["image_query_100k"] = {"photos": n, **row(images)}
    rss = {name: min(r.peak_rss_mb for r in rs) for name, rs in text.items()}
    result["peak_rss_text_query_100k_mb"] = {
        "magpie": round(rss["magpie"]),
        "rclip": round(rss["rclip"]),
        "ratio": round(rss["rclip"] / rss["magpie"], 2),
    }
    result["disk_bytes_per_photo_100k"] = {
        name: round(tool.disk_bytes() / n) for name, tool in big.items()
    }
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
