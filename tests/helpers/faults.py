"""Fault trials shared by the fault tests and the soak benchmark."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from magpie.core.catalog import Catalog
from PIL import Image


def _committed(library: Path) -> int:
    try:
        uri = f"file:{library / 'catalog.sqlite'}?mode=ro"
        with sqlite3.connect(uri, uri=True, timeout=1) as db:
            return db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    except sqlite3.Error:
        return 0


def make_noise_photos(folder: Path, count: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (120, 160, 3), np.uint8)).save(folder / f"{i:04}.jpg")
    return folder


def kill_trial(library: Path, pack: Path, photos: Path, seed: int) -> dict[str, int]:
    """SIGKILL `magpie index` mid-run, restart, and check nothing was lost or doubled."""
    base = [sys.executable, "-m", "magpie", "--library", str(library), "--model", str(pack)]
    rng = random.Random(seed)
    with subprocess.Popen(
        [*base, "index", str(photos), "--no-text"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as proc:
        # strike once indexing is under way, at a random moment inside the run
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and _committed(library) == 0:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
    catalog = Catalog(library / "catalog.sqlite")
    try:
        committed = catalog.counts(pack.name).images
        assert catalog.integrity_ok()
        dupes = catalog._query("SELECT count(*) - count(DISTINCT path) FROM files")[0][0]
        assert dupes == 0
    finally:
        catalog.close()
    run = subprocess.run(
        [*base, "index", "--no-text", "--json"], capture_output=True, text=True, check=True
    )
    resumed = json.loads(run.stdout)
    status = json.loads(
        subprocess.run(
            [*base, "status", "--json"], capture_output=True, text=True, check=True
        ).stdout
    )
    total = len(list(photos.iterdir()))
    assert status["images"] == total and status["pending"] == 0
    assert resumed["indexed"] == total - committed  # nothing committed is encoded again
    found = subprocess.run(
        [*base, "search", "red", "-k", str(total + 10), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(json.loads(found.stdout)["results"]) == total  # index and catalog agree
    return {"committed_before_kill": committed, "resumed": resumed["indexed"]}
