"""Quit the app under load many times: it must exit 0 every time (issue 12.3).

    python tests/benchmarks/quit_stress.py [--trials 30] [--count 300] [--photos DIR]

Each trial copies a library (the colour pack; a folder added, not yet indexed), starts the
app offscreen, searches, scrolls, changes the thumbnail size and opens previews at random
moments while it indexes and loads thumbnails, then quits as Ctrl+Q does. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.helpers.quit_app import prepare, run_trial


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--count", type=int, default=300, help="generated photos")
    parser.add_argument("--photos", type=Path, help="a folder of real photos (never written)")
    args = parser.parse_args()
    import PySide6

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        template = prepare(root / "template", count=args.count, photos=args.photos)
        codes: list[int] = []
        crashes: list[str] = []
        started = time.monotonic()
        for seed in range(args.trials):
            code, stderr = run_trial(template, root / "work", seed)
            codes.append(code)
            if code != 0:
                fatal = [line for line in stderr.splitlines() if "Fatal Python error" in line]
                crashes.append(fatal[0][:120] if fatal else f"exit {code}")
    print(
        json.dumps(
            {
                "pyside6": PySide6.__version__,
                "python": sys.version.split()[0],
                "trials": args.trials,
                "clean_exits": codes.count(0),
                "crashes": len(crashes),
                "exit_codes": sorted(set(codes)),
                "first_errors": crashes[:3],
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
