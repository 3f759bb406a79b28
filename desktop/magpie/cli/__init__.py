"""The `magpie` command (contract in DESIGN.md).

Every command takes --json and then prints exactly one JSON document on stdout. Exit codes:
0 success, 1 runtime error (one line on stderr; a traceback only with --debug), 2 usage error.
Progress goes to stderr. Heavy modules are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from magpie.cli import commands, exclusions_cmd, models_cmd, organize_cmd
from magpie.cli.output import setup_logging
from magpie.cli.parser import build_parser

log = logging.getLogger("magpie.cli")

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "embed": commands.cmd_embed,
    "index": commands.cmd_index,
    "search": commands.cmd_search,
    "similar": commands.cmd_similar,
    "status": commands.cmd_status,
    "places": commands.cmd_places,
    "watch": commands.cmd_watch,
    "remove": commands.cmd_remove,
    "models": models_cmd.cmd_models,
    "exclusions": exclusions_cmd.cmd_exclusions,
    "duplicates": organize_cmd.cmd_duplicates,
    "albums": organize_cmd.cmd_albums,
}

# How `magpie gui` (and no command) opens the desktop app. The CLI never imports the GUI: the
# launcher (magpie.launch) passes this in, so the two layers stay independent.
GuiRunner = Callable[[argparse.Namespace], int]


def _no_gui(_args: argparse.Namespace) -> int:
    from magpie.core.errors import MagpieError

    raise MagpieError("this entry point has no desktop app; start it with `magpie` or magpie-gui")


def _desktop_entry(install: bool) -> int:
    from magpie import desktop_entry
    from magpie.core.errors import MagpieError

    try:
        paths = desktop_entry.install() if install else desktop_entry.uninstall()
    except (MagpieError, OSError) as exc:
        sys.stderr.write(f"magpie: error: {exc}\n")
        return 1
    verb = "installed" if install else "removed"
    for path in paths:
        sys.stdout.write(f"{verb} {path}\n")
    if not paths:
        sys.stdout.write("nothing to remove\n")
    return 0


def main(argv: Sequence[str] | None = None, gui: GuiRunner | None = None) -> int:
    """Run one command; `gui` opens the desktop app (given by the launcher)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        return _desktop_entry(args.install_desktop_entry)
    command = args.command or "gui"
    from magpie.core.errors import MagpieError

    library_root = None
    if command != "gui":
        from magpie.core.library import resolve_library_dir

        library_root = resolve_library_dir(args.library)
    setup_logging(args, library_root)
    try:
        run = (gui or _no_gui) if command == "gui" else COMMANDS[command]
        return run(args)
    except MagpieError as exc:
        if args.debug:
            raise
        log.debug("error", exc_info=True)
        sys.stderr.write(f"magpie: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("magpie: interrupted\n")
        return 130
    except Exception as exc:
        if args.debug:
            raise
        log.error("internal error", exc_info=True)
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        sys.stderr.write(
            f"magpie: internal error: {type(exc).__name__}: {first_line} "
            "(run with --debug for details)\n"
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
