"""The full test suite N times in a row beside busy-looping CPU hogs (run by hand).

    python tests/benchmarks/suite_under_load.py [--runs 5] [--hogs 1] [--keep-going]

A test that passes alone but fails when the machine is busy is a race in the test or in the
app (issue 12); this is the check that finds them. Each hog is a separate process spinning
in Python, so on a 2-core machine one hog plus pytest's own threads keeps the load near 3.
Stops at the first failed run unless --keep-going. Prints a JSON summary: each run's outcome,
seconds, load average, the pytest summary line and the failed tests; logs go to --logs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOG = "while True: pass"


def start_hogs(count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(count)]


def run_suite(log: Path) -> dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    with log.open("wb") as out:
        code = subprocess.call(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    text = log.read_text(errors="replace")
    summary = [line for line in text.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return {
        "passed": code == 0,
        "exit_code": code,
        "seconds": round(time.perf_counter() - start, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "summary": summary[-1].strip("= ") if summary else "",
        "failed_tests": re.findall(r"^FAILED (\S+)", text, flags=re.MULTILINE),
        "log": str(log),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hogs", type=int, default=1, help="busy-looping processes beside")
    parser.add_argument("--keep-going", action="store_true", help="run all even after a failure")
    parser.add_argument("--logs", type=Path, default=None, help="folder for each run's log")
    args = parser.parse_args()

    logs = args.logs or Path(tempfile.mkdtemp(prefix="magpie-under-load-"))
    logs.mkdir(parents=True, exist_ok=True)
    hogs = start_hogs(args.hogs)
    runs: list[dict[str, object]] = []
    try:
        for i in range(1, args.runs + 1):
            result = run_suite(logs / f"run{i}.log")
            runs.append({"run": i, **result})
            print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
            if not result["passed"] and not args.keep_going:
                break
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    passed_in_a_row = 0
    for run in runs:
        if not run["passed"]:
            break
        passed_in_a_row += 1
    print(
        json.dumps(
            {
                "cpus": os.cpu_count(),
                "hogs": args.hogs,
                "runs_asked": args.runs,
                "passed_in_a_row": passed_in_a_row,
                "all_passed": passed_in_a_row == args.runs,
                "runs": runs,
            },
            indent=2,
        )
    )
    sys.exit(0 if passed_in_a_row == args.runs else 1)


if __name__ == "__main__":
    main()
