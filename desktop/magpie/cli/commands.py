"""The `magpie` commands: each takes the parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # heavy modules load only when a command needs them
    from magpie.core.encoders import ClipModel
    from magpie.core.engine import Engine
    from magpie.core.library import Library

from magpie.cli.output import emit, print_results, stderr_progress, text_progress, usage_error


def library_for(args: argparse.Namespace) -> Library:
    from magpie.core.library import Library

    return Library(args.library)


def _device(args: argparse.Namespace, library: Library) -> str:
    return args.device or library.load_settings().device


def _clip_model(args: argparse.Namespace) -> ClipModel:
    from magpie.core.encoders import ClipModel
    from magpie.core.pack_store import resolve_model

    library = library_for(args)
    return ClipModel(resolve_model(library, args.model), _device(args, library))


# --- commands ---------------------------------------------------------------------------------


def open_engine(args: argparse.Namespace, writer: bool = False) -> Engine:
    from magpie.core.engine import Engine

    return Engine(
        args.library, args.model, args.device, writer=writer, store=getattr(args, "store", None)
    )


def _set_shard(engine: Engine, text: str) -> None:
    from magpie.core.errors import MagpieError
    from magpie.core.stores import parse_shard

    if engine.store_spec is None:
        raise SystemExit(usage_error("--shard needs a shared store (--store milvus:URI)"))
    try:
        engine.shard = parse_shard(text)
    except MagpieError as exc:
        raise SystemExit(usage_error(str(exc))) from None


def cmd_index(args: argparse.Namespace) -> int:
    with open_engine(args, writer=True) as engine:
        if args.shard:
            _set_shard(engine, args.shard)
        for folder in args.folders:
            engine.add_folder(folder, "polling" if args.polling else "native")
        if not engine.catalog.folders():
            raise SystemExit(usage_error("no folders yet: `magpie index FOLDER` adds one"))
        for pattern in args.exclude:  # kept: `magpie exclusions remove` takes one back
            engine.exclude(pattern)
        report = engine.update(progress=stderr_progress(args))
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        # the second pass: places always (cheap), text unless turned off
        text_on = engine.library.load_settings().read_text and not args.no_text
        enriched = engine.enrich(progress=text_progress(args), read_text=text_on)
        if sys.stderr.isatty() and enriched.texts:
            sys.stderr.write("\n")
    for path in report.offline:
        sys.stderr.write(f"magpie: {path} is offline (unplugged?); its photos are kept\n")
    document = report.to_json()  # the contract's keys exactly; the text pass shows in `status`
    if args.shard:
        document["waiting"] = report.waiting  # the other shards' photos, adopted next run
    emit(
        args,
        document,
        lambda: (
            f"indexed {report.indexed}, unchanged {report.unchanged}, moved {report.moved}, "
            f"removed {report.removed}, failed {report.failed} in {report.seconds:.1f} s"
            + ("  (see `magpie status` for the failures)" if report.failed else "")
            + (f"; read text in {enriched.texts} photos" if enriched.texts else "")
        ),
    )
    return 0


def _filters(args: argparse.Namespace, engine: Any) -> dict[str, Any]:
    sensitivity = args.sensitivity
    if sensitivity is None:
        sensitivity = engine.library.load_settings().match_sensitivity
    return {
        "offset": args.offset,
        "threshold": args.threshold,
        "folder": args.folder,
        "date_from": args.after,
        "date_to": args.before,
        "exclude": tuple(args.exclude),
        "order": args.order,
        "sensitivity": sensitivity,
        "place": args.place,
    }


def cmd_search(args: argparse.Namespace) -> int:
    from magpie.core.errors import MagpieError

    if not 0.0 <= args.weight <= 1.0:
        raise SystemExit(usage_error("--weight is the text's share: between 0 and 1"))
    for image in args.images:
        if not image.is_file():
            raise MagpieError(f"{image}: no such image file")
    with open_engine(args) as engine:
        filters = _filters(args, engine)
        if args.images:
            results = engine.search_images(
                list(args.images), args.k, text=args.text, text_weight=args.weight, **filters
            )
        else:
            results = engine.search(args.text, args.k, **filters)
        print_results(args, results)
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    from magpie.core.errors import MagpieError

    if not args.image.is_file():
        raise MagpieError(f"{args.image}: no such image file")
    with open_engine(args) as engine:
        print_results(
            args, engine.similar(args.image, args.k, time=args.time, **_filters(args, engine))
        )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        status = engine.status()

    def text() -> str:
        lines = [
            f"{status.images} photos indexed, {status.pending} waiting",
            f"model: {status.model or 'none installed'}   device: {status.device or '-'}",
            "folders:" if status.folders else "folders: none (magpie index FOLDER)",
        ]
        for f in status.folders:
            state = "" if f.online else "  (offline)"
            lines.append(f"  {f.path}  {f.images} photos, {f.watch} watching{state}")
        lines += [f"note: {notice}" for notice in status.notices]
        if status.failed:
            lines.append(f"{len(status.failed)} files could not be read:")
            lines += [f"  {f.path}: {f.error}" for f in status.failed]
        return "\n".join(lines)

    emit(args, status.to_json(), text)
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with open_engine(args, writer=True) as engine:
        if not engine.catalog.folders():
            raise SystemExit(usage_error("no folders yet: `magpie index FOLDER` adds one"))

        def ready(watcher: Any) -> None:
            first = engine.initial_update
            for path, reason in watcher.fallbacks.items():
                sys.stderr.write(f"magpie: {path}: {reason}; polling it for changes instead\n")
            sys.stderr.write(
                f"magpie: up to date ({first.indexed} indexed); watching, Ctrl+C stops\n"
            )
            sys.stderr.flush()

        def updated(report: Any) -> None:
            line = (
                json.dumps(report.to_json())
                if args.json
                else (
                    f"indexed {report.indexed}, moved {report.moved}, "
                    f"removed {report.removed}, failed {report.failed}"
                )
            )
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

        try:
            engine.watch(stop, updated, on_ready=ready, progress=stderr_progress(args))
        except KeyboardInterrupt:
            stop.set()
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    with open_engine(args, writer=True) as engine:
        count = engine.remove_folder(args.folder)
    emit(
        args,
        {"removed": count},
        lambda: f"forgot {count} photos from {args.folder} (files untouched)",
    )
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    from magpie.core.errors import MagpieError

    items: list[tuple[str, str]] = args.items or []
    if not items:
        raise SystemExit(usage_error("embed needs at least one --text or --image"))
    model = _clip_model(args)
    texts = [value for kind, value in items if kind == "text"]
    images = [Path(value) for kind, value in items if kind == "image"]
    for path in images:
        if not path.is_file():
            raise MagpieError(f"{path}: no such image file")
    text_vectors = iter(model.embed_texts(texts)) if texts else iter(())
    image_vectors = iter(model.embed_images(images)) if images else iter(())
    vectors = [next(text_vectors if kind == "text" else image_vectors) for kind, _ in items]
    document = {
        "model": model.name,
        "dim": model.dim,
        "vectors": [[round(float(x), 7) for x in v] for v in vectors],
    }

    def text() -> str:
        lines = [f"model {model.name}, {model.dim} dimensions, device {model.device}"]
        for (kind, value), vector in zip(items, vectors, strict=True):
            head = ", ".join(f"{x:+.4f}" for x in vector[:4])
            lines.append(f"{kind} {value!r}: [{head}, ...]")
        return "\n".join(lines)

    emit(args, document, text)
    return 0


def cmd_places(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        found = engine.catalog.places()
    emit(
        args,
        {
            "places": [
                {"city": city, "region": region, "country": country, "photos": count}
                for city, region, country, count in found
            ]
        },
        lambda: (
            "\n".join(
                f"{count:6d}  {', '.join(p for p in (city, region, country) if p)}"
                for city, region, country, count in found
            )
            or "no photos with a known place (photos need GPS positions)"
        ),
    )
    return 0
