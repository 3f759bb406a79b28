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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="magpie", description="Find your photos by what they show. No command opens the app."
    )
    parser.add_argument("--version", action="version", version=f"magpie {__version__}")
    _add_common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _add_common(sub, suppress=True)
        return sub

    command("gui", "open the desktop app")

    embed = command("embed", "print L2-normalised embeddings of texts and images")
    embed.add_argument("--text", dest="items", action=_Ordered, const="text", metavar="T")
    embed.add_argument("--image", dest="items", action=_Ordered, const="image", metavar="PATH")

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
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
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
    from desktop.gui.app import run_app

    return run_app(library=args.library, model=args.model, device=args.device)


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
    "models": cmd_models,
}


def _usage_error(message: str) -> int:
    sys.stderr.write(f"magpie: usage error: {message}\n")
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
