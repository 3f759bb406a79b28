"""`magpie duplicates` and `magpie albums` (contract in ../shared/DESIGN.md)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from magpie.cli.commands import open_engine
from magpie.cli.output import emit, usage_error


def cmd_duplicates(args: argparse.Namespace) -> int:
    from magpie.core.duplicates import DEFAULT_THRESHOLD, MIN_THRESHOLD, find_duplicates
    from magpie.core.errors import MagpieError

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if not MIN_THRESHOLD <= threshold <= 1.0:
        raise SystemExit(usage_error(f"--threshold must be between {MIN_THRESHOLD} and 1"))
    if args.folder is not None and not args.folder.is_dir():
        raise MagpieError(f"{args.folder}: not a folder")
    with open_engine(args) as engine:
        groups = find_duplicates(engine, args.folder).groups(threshold)

    def text() -> str:
        if not groups:
            return "no duplicates found"
        lines = []
        for group in groups:
            lines.append(f"{len(group.photos)} photos (similarity >= {group.score:.2f}):")
            lines.append(f"  keep  {group.keep.path}  ({group.reason})")
            lines += [f"        {p.path}" for p in group.photos if p is not group.keep]
        return "\n".join(lines)

    emit(args, {"groups": [g.to_json() for g in groups]}, text)
    return 0


def _album_line(album: Any) -> str:
    count = "?" if album.count is None else str(album.count)
    kind = f"  smart: {album.smart.describe()}" if album.smart is not None else ""
    return f"{album.name}  ({count} photos){kind}"


def cmd_albums(args: argparse.Namespace) -> int:
    from magpie.core.albums import Albums, SmartQuery

    # reading albums works beside the app; changing them needs the library's writer lock
    with open_engine(args, writer=args.action not in ("list", "show")) as engine:
        albums = Albums(engine)
        action = args.action
        if action == "list":
            found = albums.list(count_smart=not args.no_smart_counts)
            emit(
                args,
                {"albums": [a.to_json() for a in found]},
                lambda: "\n".join(_album_line(a) for a in found) or "no albums yet",
            )
        elif action == "show":
            album = albums.get(args.name)
            results = albums.photos(args.name)
            document = {
                **album.to_json(),
                "count": len(results),
                "results": [{"path": r.path, "score": round(r.score, 6)} for r in results],
            }
            emit(
                args,
                document,
                lambda: "\n".join(r.path for r in results) or f"{album.name} is empty",
            )
        elif action in ("create", "save-search"):
            if action == "create":
                album = albums.create(args.name)
            else:
                query = SmartQuery(
                    args.text,
                    [str(p) for p in args.images],
                    args.exclude,
                    str(args.folder) if args.folder else None,
                    args.after,
                    args.before,
                    args.threshold,
                )
                album = albums.save_search(args.name, query)
                album = replace(album, count=len(albums.evaluate(query)))
            emit(args, {"album": album.to_json()}, lambda: f"created {_album_line(album)}")
        elif action == "delete":
            albums.delete(args.name)
            emit(args, {"deleted": args.name}, lambda: f"deleted album {args.name!r}")
        elif action in ("add", "remove"):
            change = albums.add if action == "add" else albums.remove
            count = change(args.name, list(args.paths))
            key = "added" if action == "add" else "removed"
            emit(
                args,
                {"album": args.name, key: count},
                lambda: f"{key} {count} photo(s) {'to' if key == 'added' else 'from'} {args.name}",
            )
    return 0
