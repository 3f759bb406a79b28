"""The `magpie` command (contract in DESIGN.md).

Every command takes --json and then prints exactly one JSON document on stdout. Exit codes:
0 success, 1 runtime error (one line on stderr; a traceback only with --debug), 2 usage error.
Progress goes to stderr. Heavy modules are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any, TextIO

from desktop import __version__

log = logging.getLogger("magpie.cli")


class ProgressBar:
    """A one-line bar on a terminal, a line per 10% otherwise (logs, CI)."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.tty = stream.isatty()
        self._last_tenth = -1
        self._last_draw = 0.0

    def update(self, done: int, total: int | None, detail: str = "") -> None:
        fraction = done / total if total else 0.0
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and done != total:
                return
            self._last_draw = now
            filled = int(fraction * 30)
            size = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
            self.stream.write(
                f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {size} {detail[:30]:<30}"
            )
        else:
            tenth = int(fraction * 10)
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
            self.stream.write(f"{self.label}: {tenth * 10}% {detail}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# --- options shared by the main parser and every subcommand ---------------------------------


def _add_common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("common options")
    group.add_argument("--library", metavar="DIR", default=default(None), help="library folder")
    group.add_argument(
        "--model", metavar="NAME|DIR", default=default(None), help="model pack to use"
    )
    group.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default=default(None), help="compute device"
    )
    group.add_argument(
        "--json", action="store_true", default=default(False), help="print one JSON document"
    )
    group.add_argument(
        "--debug", action="store_true", default=default(False), help="tracebacks on errors"
    )
    group.add_argument(
        "-v", "--verbose", action="store_true", default=default(False), help="more log output"
    )


class _Ordered(argparse.Action):
    """--text and --image into one list, keeping their order on the command line."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        items = list(getattr(namespace, self.dest, None) or [])
        items.append((self.const, values))
        setattr(namespace, self.dest, items)


def _date(text: str) -> float:
    from datetime import datetime, timezone

    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}") from None


def _add_result_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", type=int, default=20, metavar="N", help="number of results (20)")
    parser.add_argument("--threshold", type=float, metavar="S", help="minimum score")
    parser.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N")
    parser.add_argument("--folder", type=Path, help="only photos in this watched folder")
    parser.add_argument(
        "--after", type=_date, metavar="DATE", help="taken on or after (YYYY-MM-DD)"
    )
    parser.add_argument("--before", type=_date, metavar="DATE", help="taken before (YYYY-MM-DD)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="magpie", description="Find your photos by what they show. No command opens the app."
    )
    parser.add_argument("--version", action="version", version=f"magpie {__version__}")
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add Magpie to this user's application menu (Linux), then exit",
    )
    parser.add_argument(
        "--uninstall-desktop-entry", action="store_true", help="remove it from the menu, then exit"
    )
    _add_common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _add_common(sub, suppress=True)
        return sub

    gui = command("gui", "open the desktop app")
    gui.add_argument("--quit-after", type=float, metavar="S", help=argparse.SUPPRESS)  # smoke tests

    embed = command("embed", "print L2-normalised embeddings of texts and images")
    embed.add_argument("--text", dest="items", action=_Ordered, const="text", metavar="T")
    embed.add_argument("--image", dest="items", action=_Ordered, const="image", metavar="PATH")

    index = command("index", "add folders (if given), bring the index up to date, exit")
    index.add_argument("folders", nargs="*", type=Path, metavar="FOLDER")
    index.add_argument("--polling", action="store_true", help="watch these folders by polling")

    search = command("search", "find photos matching a text")
    search.add_argument("text")
    _add_result_options(search)

    similar = command("similar", "find photos like an image (inside or outside the library)")
    similar.add_argument("image", type=Path)
    _add_result_options(similar)

    command("status", "counts, folders, model, device, files that failed and why")
    command("watch", "keep the index current until interrupted (headless)")
    remove = command("remove", "forget a folder (its photos stay on disk, untouched)")
    remove.add_argument("folder", type=Path)

    models = command("models", "list, install, import, choose or export model packs")
    actions = models.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        _add_common(sub, suppress=True)
        return sub

    action("list", "installed and downloadable packs, and the one in use")
    install = action("install", "download a pack from the registry")
    install.add_argument("name")
    install.add_argument(
        "--endpoint",
        metavar="URL",
        help="a Hugging Face mirror (default $HF_ENDPOINT or huggingface.co)",
    )
    imp = action("import", "install a pack folder you have")
    imp.add_argument("dir", type=Path)
    imp.add_argument("--name", help="name to install it under (default: the folder's name)")
    use = action("use", "choose the pack Magpie uses")
    use.add_argument("name")
    int8 = action("int8", "faster CPU indexing: make an int8 image tower, check it on your photos")
    int8.add_argument("--sample", type=int, default=32, metavar="N", help="photos to check on (32)")
    int8.add_argument("--off", action="store_true", help="go back to the fp32 image tower")
    export = action("export", "convert an OpenAI CLIP checkpoint into a pack (needs torch)")
    source = export.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--checkpoint", type=Path, metavar="FILE", help="TorchScript archive or state_dict"
    )
    source.add_argument(
        "--random-init", metavar="ARCH", help="random weights (ViT-B-32, ViT-L-14, ...)"
    )
    export.add_argument("--out", type=Path, required=True, metavar="DIR")
    export.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="fp32")
    return parser


# --- helpers ----------------------------------------------------------------------------------


def _setup_logging(args: argparse.Namespace, library_root: Path | None) -> None:
    logger = logging.getLogger("magpie")
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if args.verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("magpie: %(message)s"))
    console.addFilter(lambda record: not record.exc_info)  # tracebacks: log file / --debug only
    logger.addHandler(console)
    logger.propagate = False
    if library_root is not None:
        try:
            (library_root / "logs").mkdir(parents=True, exist_ok=True)
            file_handler = RotatingFileHandler(
                library_root / "logs" / "magpie.log",
                maxBytes=2_000_000,
                backupCount=3,
                encoding="utf-8",
            )
        except OSError:
            return  # a read-only library still answers queries
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        logger.addHandler(file_handler)


def _emit(args: argparse.Namespace, document: dict[str, Any], text: Callable[[], str]) -> None:
    if args.json:
        # ASCII escapes keep file names that are not valid UTF-8 representable
        sys.stdout.write(json.dumps(document) + "\n")
    else:
        sys.stdout.write(text() + "\n")
    sys.stdout.flush()


def _library(args: argparse.Namespace) -> Any:
    from desktop.core.library import Library

    return Library(args.library)


def _device(args: argparse.Namespace, library: Any) -> str:
    return args.device or library.load_settings().device


def _clip_model(args: argparse.Namespace) -> Any:
    from desktop.core.encoders import ClipModel
    from desktop.core.modelstore import resolve_model

    library = _library(args)
    return ClipModel(resolve_model(library, args.model), _device(args, library))


# --- commands ---------------------------------------------------------------------------------


def cmd_gui(args: argparse.Namespace) -> int:
    import os

    from desktop.core.errors import MagpieError

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
    from desktop.gui.app import run_app

    quit_after = getattr(args, "quit_after", None)
    return run_app(
        library=args.library, model=args.model, device=args.device, quit_after=quit_after
    )


def _engine(args: argparse.Namespace, writer: bool = False) -> Any:
    from desktop.core.engine import Engine

    return Engine(args.library, args.model, args.device, writer=writer)


def _stderr_progress(args: argparse.Namespace) -> Callable[[Any], None]:
    bar = ProgressBar(sys.stderr, "indexing")

    def report(p: Any) -> None:
        eta = f", {p.eta_s:.0f} s left" if p.eta_s is not None else ""
        detail = f"{p.done}/{p.total} at {p.rate:.1f}/s{eta}"
        if bar.tty:
            bar.stream.write(f"\rindexing {detail} {Path(p.current).name[:40]:<40}")
            bar.stream.flush()
        else:
            bar.update(p.done, p.total, detail)

    return report


def cmd_index(args: argparse.Namespace) -> int:
    with _engine(args, writer=True) as engine:
        for folder in args.folders:
            engine.add_folder(folder, "polling" if args.polling else "native")
        if not engine.catalog.folders():
            raise SystemExit(_usage_error("no folders yet: `magpie index FOLDER` adds one"))
        report = engine.update(progress=_stderr_progress(args))
        if sys.stderr.isatty():
            sys.stderr.write("\n")
    for path in report.offline:
        sys.stderr.write(f"magpie: {path} is offline (unplugged?); its photos are kept\n")
    _emit(
        args,
        report.to_json(),
        lambda: (
            f"indexed {report.indexed}, unchanged {report.unchanged}, moved {report.moved}, "
            f"removed {report.removed}, failed {report.failed} in {report.seconds:.1f} s"
            + ("  (see `magpie status` for the failures)" if report.failed else "")
        ),
    )
    return 0


def _results(args: argparse.Namespace, results: list[Any]) -> None:
    _emit(
        args,
        {"results": [{"path": r.path, "score": round(r.score, 6)} for r in results]},
        lambda: "\n".join(f"{r.score:.3f}  {r.path}" for r in results) or "no results",
    )


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "offset": args.offset,
        "threshold": args.threshold,
        "folder": args.folder,
        "date_from": args.after,
        "date_to": args.before,
    }


def cmd_search(args: argparse.Namespace) -> int:
    with _engine(args) as engine:
        _results(args, engine.search(args.text, args.k, **_filters(args)))
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    from desktop.core.errors import MagpieError

    if not args.image.is_file():
        raise MagpieError(f"{args.image}: no such image file")
    with _engine(args) as engine:
        _results(args, engine.similar(args.image, args.k, **_filters(args)))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with _engine(args) as engine:
        status = engine.status()

    def text() -> str:
        lines = [
            f"{status['images']} photos indexed, {status['pending']} waiting",
            f"model: {status['model'] or 'none installed'}   device: {status['device'] or '-'}",
            "folders:" if status["folders"] else "folders: none (magpie index FOLDER)",
        ]
        for f in status["folders"]:
            state = "" if f["online"] else "  (offline)"
            lines.append(f"  {f['path']}  {f['images']} photos, {f['watch']} watching{state}")
        lines += [f"note: {notice}" for notice in status.get("notices", [])]
        if status["failed"]:
            lines.append(f"{len(status['failed'])} files could not be read:")
            lines += [f"  {f['path']}: {f['error']}" for f in status["failed"]]
        return "\n".join(lines)

    _emit(args, status, text)
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _engine(args, writer=True) as engine:
        if not engine.catalog.folders():
            raise SystemExit(_usage_error("no folders yet: `magpie index FOLDER` adds one"))

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
            engine.watch(stop, updated, on_ready=ready, progress=_stderr_progress(args))
        except KeyboardInterrupt:
            stop.set()
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    with _engine(args, writer=True) as engine:
        count = engine.remove_folder(args.folder)
    _emit(
        args,
        {"removed": count},
        lambda: f"forgot {count} photos from {args.folder} (files untouched)",
    )
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    from desktop.core.errors import MagpieError

    items: list[tuple[str, str]] = args.items or []
    if not items:
        raise SystemExit(_usage_error("embed needs at least one --text or --image"))
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

    _emit(args, document, text)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    return {
        "list": _models_list,
        "install": _models_install,
        "import": _models_import,
        "use": _models_use,
        "int8": _models_int8,
        "export": _models_export,
    }[args.action](args)


def _models_list(args: argparse.Namespace) -> int:
    from desktop.core.errors import MagpieError
    from desktop.core.modelstore import installed_packs, resolve_model
    from models.registry import REGISTRY

    library = _library(args)
    installed = installed_packs(library)
    try:
        in_use = resolve_model(library).name
    except MagpieError:
        in_use = None
    names = {p.name for p in installed}
    document = {
        "in_use": in_use,
        "installed": [
            {"name": p.name, "path": str(p.path), "bytes": p.size_bytes} for p in installed
        ],
        "available": [
            {
                "name": e.name,
                "summary": e.summary,
                "approx_mb": e.approx_size_mb,
                "default": e.default,
                "installed": e.name in names,
            }
            for e in REGISTRY
        ],
    }

    def text() -> str:
        lines = ["Installed:" if installed else "Installed: none"]
        for p in installed:
            mark = "*" if p.name == in_use else " "
            lines.append(f" {mark} {p.name:<32} {p.size_bytes / 1e6:8.0f} MB  {p.path}")
        lines.append("Available to install (magpie models install NAME):")
        for e in REGISTRY:
            status = "installed" if e.name in names else f"~{e.approx_size_mb} MB"
            lines.append(f"   {e.name:<32} {status:>12}  {e.summary}")
        return "\n".join(lines)

    _emit(args, document, text)
    return 0


def _models_install(args: argparse.Namespace) -> int:
    from desktop.core.download import install_pack
    from desktop.core.errors import MagpieError
    from models.registry import REGISTRY, find_entry

    entry = find_entry(args.name)
    if entry is None:
        names = ", ".join(e.name for e in REGISTRY)
        raise MagpieError(f"no model {args.name!r} in the registry (available: {names})")
    library = _library(args)
    bar = ProgressBar(sys.stderr, f"downloading {entry.name}")
    try:
        installed = install_pack(library, entry, args.endpoint, progress=bar.update)
    finally:
        bar.close()
    _emit(
        args,
        {"installed": installed.name, "path": str(installed.path), "bytes": installed.size_bytes},
        lambda: (
            f"installed {installed.name} ({installed.size_bytes / 1e6:.0f} MB) in {installed.path}"
        ),
    )
    return 0


def _models_import(args: argparse.Namespace) -> int:
    from desktop.core.modelstore import import_pack

    installed = import_pack(_library(args), args.dir, args.name)
    _emit(
        args,
        {"installed": installed.name, "path": str(installed.path), "bytes": installed.size_bytes},
        lambda: f"imported {installed.name} into {installed.path}",
    )
    return 0


def _models_use(args: argparse.Namespace) -> int:
    from desktop.core.modelstore import use_model

    use_model(_library(args), args.name)
    _emit(args, {"model": args.name}, lambda: f"now using {args.name}")
    return 0


def _models_int8(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    library = _library(args)
    settings = library.load_settings()
    if args.off:
        settings.int8_images = False
        library.save_settings(settings)
        _emit(args, {"enabled": False}, lambda: "int8 indexing off: the fp32 image tower is used")
        return 0
    with _engine(args, writer=True) as engine:
        check = engine.check_int8(args.sample)
    settings.int8_images = check.passed
    library.save_settings(settings)
    document = {**asdict(check), "enabled": check.passed}

    def text() -> str:
        verdict = "enabled" if check.passed else "not enabled (needs cosine >= 0.98 and 1.4x)"
        return (
            f"int8 image tower on {check.photos} of your photos: "
            f"cosine min {check.cosine_min:.4f}, {check.speedup:.2f}x faster: {verdict}"
        )

    _emit(args, document, text)
    return 0


def _models_export(args: argparse.Namespace) -> int:
    from desktop.core.errors import MagpieError

    try:
        from models.export import ExportError, export_checkpoint, export_random
    except ImportError as exc:
        raise MagpieError(
            f"the export tool needs torch and onnx ({exc.name} is missing): "
            "pip install 'magpie-photos[export]'"
        ) from None

    def say(message: str) -> None:
        sys.stderr.write(f"magpie: {message}\n")
        sys.stderr.flush()

    try:
        if args.checkpoint is not None:
            report = export_checkpoint(args.checkpoint, args.out, args.precision, say=say)
        else:
            report = export_random(args.random_init, args.out, args.precision, say=say)
    except ExportError as exc:
        raise MagpieError(str(exc)) from None
    _emit(args, report.to_dict(), lambda: f"exported {report.out}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "gui": cmd_gui,
    "embed": cmd_embed,
    "index": cmd_index,
    "search": cmd_search,
    "similar": cmd_similar,
    "status": cmd_status,
    "watch": cmd_watch,
    "remove": cmd_remove,
    "models": cmd_models,
}


def _desktop_entry(install: bool) -> int:
    from desktop import desktop_entry
    from desktop.core.errors import MagpieError

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


def _usage_error(message: str) -> int:
    sys.stderr.write(f"magpie: usage error: {message}\n")
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        return _desktop_entry(args.install_desktop_entry)
    command = args.command or "gui"
    from desktop.core.errors import MagpieError

    library_root = None
    if command != "gui":
        from desktop.core.library import resolve_library_dir

        library_root = resolve_library_dir(args.library)
    _setup_logging(args, library_root)
    try:
        return COMMANDS[command](args)
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
