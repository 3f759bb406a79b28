"""The entry points: `magpie` (command line, or the app with no command) and `magpie-gui`.

The CLI and the GUI are independent layers; this module is the one place that knows both.
It stays light: Qt is imported only when the app is really opened.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def run_gui(args: argparse.Namespace) -> int:
    """Open the desktop app for the parsed global options (--library, --model, --device)."""
    from magpie.core.errors import MagpieError

    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )
    if headless:  # Qt would abort with a core dump; say what is wrong instead
        raise MagpieError(
            "no display to open the app on (DISPLAY and WAYLAND_DISPLAY are unset); "
            "the command line works without one: magpie --help"
        )
    from magpie.qt_system import check_display_libraries

    missing = check_display_libraries()  # Qt would abort with its own text; say what to install
    if missing is not None:
        raise MagpieError(missing)
    from magpie.gui.app import run_app

    if getattr(args, "store", None):  # the engine reads it where the GUI opens it
        os.environ["MAGPIE_STORE"] = args.store
    return run_app(
        library=args.library,
        model=args.model,
        device=args.device,
        quit_after=getattr(args, "quit_after", None),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`magpie [OPTIONS] [COMMAND]`: a command, or the desktop app when none is given."""
    from magpie.cli import main as cli_main

    return cli_main(argv, gui=run_gui)


def gui_main() -> int:
    """`magpie-gui` (the double-click launcher): the app, with any global options given."""
    return main(["gui", *sys.argv[1:]])


if __name__ == "__main__":
    raise SystemExit(main())
