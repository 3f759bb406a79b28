"""Soak: SIGKILL the indexer at random moments, and a 10,000-file storm (run by hand).

    python tests/benchmarks/soak.py [--trials 50] [--storm 10000]

Prints a JSON summary: trials, crashes (a restart that failed), corruptions (integrity check),
lost items (photos missing from index or catalog after resuming), duplicates (rows or
embeddings twice), re-encoded committed photos. All must be zero.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from magpie.core.catalog import Catalog  # noqa: E402
from magpie.core.engine import Engine  # noqa: E402

from tests.helpers.faults import kill_trial, make_noise_photos  # noqa: E402
from tests.helpers.packs import make_colour_pack  # noqa: E402


def kills(trials: int, root: Path, pack: Path) -> dict[str, int]:
    photos = make_noise_photos(root / "photos", 600)
    summary = {
        "trials": 0,
        "crashes": 0,
        "corruptions": 0,
        "lost_items": 0,
        "duplicates": 0,
        "mid_run_kills": 0,
    }
    for seed in range(trials):
        library = root / f"lib-{seed}"
        summary["trials"] += 1
        try:
            outcome = kill_trial(library, pack, photos, seed)
            summary["mid_run_kills"] += int(0 < outcome["committed_before_kill"] < 600)
        except AssertionError as exc:
            text = str(exc)
            key = (
                "corruptions"
                if "integrity" in text
                else "duplicates"
                if "dupes" in text
                else "lost_items"
            )
            summary[key] += 1
            print(f"trial {seed}: {text.splitlines()[0]}", file=sys.stderr)
        except Exception as exc:  # a restart that did not work at all
            summary["crashes"] += 1
            print(f"trial {seed}: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"trial {seed + 1}/{trials}: {summary}", file=sys.stderr)
    return summary


def storm(count: int, root: Path, pack: Path) -> dict[str, object]:
    folder = root / "watched"
    folder.mkdir()
    engine = Engine(root / "storm-lib", model=str(pack), writer=True)
    engine.add_folder(folder)
    reports: list = []
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=engine.watch,
        args=(stop, reports.append),
        kwargs={"quiet_s": 0.5, "on_ready": lambda _: ready.set()},
    )
    thread.start()
    ready.wait(30)

    def wait(condition, limit: float = 1800) -> float:
        start = time.monotonic()
        while not condition() and time.monotonic() - start < limit:
            time.sleep(0.2)
        return round(time.monotonic() - start, 1)

    rng = np.random.default_rng(0)
    target = folder / "storm"
    target.mkdir()
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (8, 8, 3), np.uint8)).save(target / f"{i:05}.png")
    result: dict[str, object] = {"files": count}
    result["all_indexed_after_s"] = wait(lambda: engine.status().images == count)
    embeddings = engine.catalog._query("SELECT count(*) FROM embeddings")[0][0]
    result["indexed_exactly_once"] = (
        embeddings == count and sum(r.indexed for r in reports) == count
    )
    target.rename(folder / "renamed")
    result["rename_seen_after_s"] = wait(lambda: sum(r.moved for r in reports) == count)
    result["re_encoded_on_rename"] = sum(r.indexed for r in reports) - count
    for path in (folder / "renamed").iterdir():
        path.unlink()
    result["deletes_seen_after_s"] = wait(lambda: engine.status().images == 0)
    result["left_in_results"] = len(engine.search("red", k=10))
    stop.set()
    thread.join()
    engine.close()
    check = Catalog(root / "storm-lib" / "catalog.sqlite")
    result["integrity_ok"] = check.integrity_ok()
    check.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--storm", type=int, default=10_000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="magpie-soak-"))
    pack = make_colour_pack(root / "colour-pack")
    out = {"kills": kills(args.trials, root, pack)} if args.trials else {}
    if args.storm:
        out["storm"] = storm(args.storm, root, pack)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
