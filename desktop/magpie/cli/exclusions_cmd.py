"""`magpie exclusions ...`: list, add and remove what is kept out of the index, the size
limits, and (once confirmed) deleting the vectors of excluded photos."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from magpie.cli.commands import open_engine
from magpie.cli.output import emit, usage_error


def add_actions(action: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """The subcommands of `magpie exclusions` (`action` makes one, with the common options)."""
    action("list", "exclusions, size limits and how many photos they keep out")
    for name, text in (
        ("add", "keep a name pattern or sub-folder out: 'Screenshots', '*.thumbnail', a path"),
        ("remove", "re-include: the photos come back at once, without re-encoding"),
    ):
        sub = action(name, text)
        sub.add_argument("pattern", help="a name pattern (wildcards), a relative or absolute path")
        sub.add_argument("--folder", metavar="DIR", help="only in this watched folder")
    limits = action("limits", "show or set the size limits (0 = none)")
    limits.add_argument("--min-side", type=int, metavar="PX", help="skip images narrower than PX")
    limits.add_argument(
        "--max-megapixels", type=float, metavar="MP", help="skip images larger than MP"
    )
    purge = action("purge", "delete the stored vectors of excluded photos (files untouched)")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _listing(engine: Any) -> dict[str, Any]:
    store = engine.exclusions
    limits = store.limits()
    return {
        "exclusions": [item.to_json() for item in store.list()],
        "min_side": limits.min_side,
        "max_megapixels": limits.max_megapixels,
        "kept_out": store.counts(),
    }


def _listing_text(document: dict[str, Any]) -> str:
    lines = [
        f"  {e['pattern']}" + (f"   (in {e['folder']})" if e["folder"] else "   (every folder)")
        for e in document["exclusions"]
    ] or ["  none (magpie exclusions add PATTERN)"]
    lines.insert(0, "excluded:")
    lines.append(
        f"size limits: shorter side >= {document['min_side'] or '-'} px, "
        f"<= {document['max_megapixels'] or '-'} megapixels"
    )
    hidden = document["kept_out"]
    lines.append(
        f"kept out of results: {hidden.get('pattern', 0)} by pattern, "
        f"{hidden.get('size', 0)} by size"
    )
    return "\n".join(lines)


def _confirmed(args: argparse.Namespace, count: int) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise SystemExit(usage_error("purge deletes stored vectors: confirm with --yes"))
    sys.stderr.write(
        f"Delete the stored vectors of {count} excluded photos? The files stay on disk; "
        "re-including them later means encoding them again. [y/N] "
    )
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def cmd_exclusions(args: argparse.Namespace) -> int:
    writer = args.action != "list" and not (
        args.action == "limits" and args.min_side is None and args.max_megapixels is None
    )
    with open_engine(args, writer=writer) as engine:
        if args.action == "add":
            hidden = engine.exclude(args.pattern, args.folder)
            document = {"hidden": hidden, **_listing(engine)}
            emit(args, document, lambda: f"excluded; {hidden} photos leave the results")
        elif args.action == "remove":
            shown = engine.include(args.pattern, args.folder)
            document = {"shown": shown, **_listing(engine)}
            emit(
                args,
                document,
                lambda: f"re-included; {shown} photos are back (`magpie index` adds new ones)",
            )
        elif args.action == "limits" and writer:
            current = engine.exclusions.limits()
            min_side = current.min_side if args.min_side is None else args.min_side
            max_mp = current.max_megapixels if args.max_megapixels is None else args.max_megapixels
            hidden, shown = engine.set_size_limits(min_side, max_mp)
            document = {"hidden": hidden, "shown": shown, **_listing(engine)}
            emit(args, document, lambda: f"limits set; {hidden} photos hidden, {shown} shown again")
        elif args.action == "purge":
            count = sum(engine.exclusions.counts().values())
            purged = engine.purge_excluded() if count and _confirmed(args, count) else 0
            emit(
                args,
                {"purged": purged},
                lambda: f"deleted the vectors of {purged} excluded photos (files untouched)",
            )
        else:
            document = _listing(engine)
            emit(args, document, lambda: _listing_text(document))
    return 0
