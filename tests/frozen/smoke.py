"""Build the PyInstaller bundle and smoke-test the frozen app (run by CI and before releases).

    python tests/frozen/smoke.py [--no-build]

Checks, through the frozen binaries only: `--version`; `status --json` on a fresh library;
indexing generated photos with a tiny colour pack and a text search that must rank the red
photo first; the GUI started offscreen for a few seconds and closed cleanly, with no error in
its log. Prints the bundle size and the build time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.helpers.media import make_dng, make_video  # noqa: E402
from tests.helpers.packs import COLOURS, make_colour_pack, solid_image  # noqa: E402

BUNDLE = REPO / "dist" / "Magpie"


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        args, capture_output=True, text=True, env=env, timeout=300, check=False, **kwargs
    )  # type: ignore[arg-type]


def check(condition: bool, what: str, detail: str = "") -> None:
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        print(detail[-3000:], file=sys.stderr)
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-build", action="store_true", help="test the bundle already in dist/")
    args = parser.parse_args()
    if not args.no_build:
        started = time.monotonic()
        build = run(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--clean",
                "--log-level",
                "WARN",
                "build_installer.spec",
            ],
            cwd=REPO,
        )
        check(build.returncode == 0, "bundle built", build.stdout + build.stderr)
        print(f"build time: {time.monotonic() - started:.0f} s")
    size = sum(f.lstat().st_size for f in BUNDLE.rglob("*") if f.is_file() and not f.is_symlink())
    print(f"bundle: {BUNDLE} ({size / 1e6:.0f} MB)")
    magpie, gui = BUNDLE / "magpie", BUNDLE / "magpie-gui"
    check(magpie.is_file() and gui.is_file(), "both launchers present")

    if sys.platform.startswith("linux"):
        from magpie.qt_system import XCB_LIBRARIES

        internal = BUNDLE / "_internal"
        carried = {p.name for p in internal.iterdir()} if internal.is_dir() else set()
        lacking = [lib.soname for lib in XCB_LIBRARIES if lib.bundled and lib.soname not in carried]
        check(lacking == [], "the X11 (xcb) libraries Qt needs are in the bundle", str(lacking))

    version = run([str(magpie), "--version"])
    check(
        version.returncode == 0 and version.stdout.startswith("magpie "),
        "--version",
        version.stderr,
    )

    work = Path(tempfile.mkdtemp(prefix="magpie-smoke-"))
    library = work / "library"
    status = run([str(magpie), "--library", str(library), "status", "--json"])
    check(
        status.returncode == 0 and json.loads(status.stdout)["images"] == 0,
        "status --json on a fresh library",
        status.stderr,
    )

    pack = make_colour_pack(work / "colour-pack")
    for name, rgb in COLOURS.items():
        solid_image(work / "photos" / f"{name}.jpg", rgb)
    common = [str(magpie), "--library", str(library), "--model", str(pack)]
    index = run([*common, "index", str(work / "photos"), "--json"])
    check(
        index.returncode == 0 and json.loads(index.stdout)["indexed"] == len(COLOURS),
        "index --json",
        index.stderr,
    )
    search = run([*common, "search", "red", "--json"])
    top = json.loads(search.stdout)["results"][0]["path"] if search.returncode == 0 else ""
    check(top.endswith("red.jpg"), "search finds the red photo first", search.stderr)

    # videos (PyAV's FFmpeg) and RAW (rawpy's LibRaw) must be inside the bundle too
    media = work / "media"
    make_video(media / "clip.mp4", [(COLOURS["black"], 2), (COLOURS["yellow"], 2)])
    make_dng(media / "shot.dng", COLOURS["white"])
    index = run([*common, "index", str(media), "--json"])
    check(
        index.returncode == 0 and json.loads(index.stdout)["indexed"] == 2,
        "index a video and a RAW",
        index.stderr,
    )
    found = {
        word: json.loads(
            run([*common, "search", word, "-k", "1", "--folder", str(media), "--json"]).stdout
        )["results"][0]
        for word in ("yellow", "white")
    }
    check(
        found["yellow"]["path"].endswith("clip.mp4")
        and found["yellow"].get("time") == 2.0
        and found["white"]["path"].endswith("shot.dng"),
        "search finds the video's moment and the RAW",
        json.dumps(found),
    )

    log = library / "logs" / "magpie.log"
    before = log.read_text() if log.exists() else ""
    app = run(
        [str(gui), "--library", str(library), "--model", str(pack), "gui", "--quit-after", "6"]
    )
    after = log.read_text()[len(before) :] if log.exists() else ""
    bad = [line for line in after.splitlines() if " ERROR " in line or "Traceback" in line]
    check(app.returncode == 0, "GUI started offscreen and closed cleanly", app.stdout + app.stderr)
    check(bad == [], "no error in the GUI's log", "\n".join(bad))
    check("Traceback" not in app.stderr, "no traceback on stderr", app.stderr)
    print("frozen app smoke test passed")


if __name__ == "__main__":
    main()
