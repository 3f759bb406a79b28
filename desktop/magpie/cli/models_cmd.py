"""`magpie models ...`: list, install, import, choose, quantise or export model packs."""

from __future__ import annotations

import argparse
import sys

from magpie.cli.commands import library_for, open_engine
from magpie.cli.output import ProgressBar, emit


def cmd_models(args: argparse.Namespace) -> int:
    return {
        "list": _models_list,
        "install": _models_install,
        "import": _models_import,
        "use": _models_use,
        "switch": _models_switch,
        "int8": _models_int8,
        "export": _models_export,
    }[args.action](args)


def _models_list(args: argparse.Namespace) -> int:
    from magpie.core.errors import MagpieError
    from magpie.core.pack_store import installed_packs, resolve_model
    from magpie.core.registry import REGISTRY, likely_gpu, recommended

    library = library_for(args)
    installed = installed_packs(library)
    try:
        in_use = resolve_model(library).name
    except MagpieError:
        in_use = None
    names = {p.name for p in installed}
    gpu = likely_gpu()
    picks = {
        "cpu": recommended(gpu=False).name,
        "cpu_multilingual": recommended(gpu=False, multilingual=True).name,
        "gpu": recommended(gpu=True).name,
        "gpu_multilingual": recommended(gpu=True, multilingual=True).name,
    }
    document = {
        "in_use": in_use,
        "gpu_detected": gpu,
        "recommended": recommended(gpu).name,
        "recommended_by_hardware": picks,
        "installed": [
            {"name": p.name, "path": str(p.path), "bytes": p.size_bytes} for p in installed
        ],
        "available": [
            {
                "name": e.name,
                "family": e.family,
                "dim": e.dim,
                "languages": list(e.languages),
                "summary": e.summary,
                "approx_mb": e.approx_size_mb,
                "recall_en": e.recall_en,
                "memory_mib": e.memory_mib,
                "ms_per_image": e.ms_per_image,
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
        lines.append(
            "Available to install (magpie models install NAME); "
            "recall: Immich's English search score, + = recommended here:"
        )
        lines.append(f"   {'name':<54} {'size':>9} {'dim':>5} {'recall':>6}  languages  when")
        best = recommended(gpu).name
        for e in REGISTRY:
            mark = "+" if e.name == best else " "
            size = "installed" if e.name in names else f"~{e.approx_size_mb} MB"
            recall = f"{e.recall_en:.1f}" if e.recall_en is not None else "-"
            languages = "many" if e.multilingual else "English"
            lines.append(
                f" {mark} {e.name:<54} {size:>9} {e.dim:>5} {recall:>6}  {languages:<9}  "
                f"{e.summary}"
            )
        lines.append(
            f"Recommended: {picks['cpu']} without a GPU, {picks['gpu']} with one; "
            f"for other languages {picks['cpu_multilingual']} / {picks['gpu_multilingual']}"
            f" (GPU {'found' if gpu else 'not found'} here)."
        )
        return "\n".join(lines)

    emit(args, document, text)
    return 0


def _models_install(args: argparse.Namespace) -> int:
    from magpie.core.download import install_pack
    from magpie.core.errors import MagpieError
    from magpie.core.registry import REGISTRY, find_entry

    entry = find_entry(args.name)
    if entry is None:
        names = ", ".join(e.name for e in REGISTRY)
        raise MagpieError(f"no model {args.name!r} in the registry (available: {names})")
    library = library_for(args)
    bar = ProgressBar(sys.stderr, f"downloading {entry.name}")
    try:
        installed = install_pack(library, entry, args.endpoint, progress=bar.update)
    finally:
        bar.close()
    emit(
        args,
        {"installed": installed.name, "path": str(installed.path), "bytes": installed.size_bytes},
        lambda: (
            f"installed {installed.name} ({installed.size_bytes / 1e6:.0f} MB) in {installed.path}"
        ),
    )
    return 0


def _models_import(args: argparse.Namespace) -> int:
    from magpie.core.pack_store import import_pack

    installed = import_pack(library_for(args), args.dir, args.name)
    emit(
        args,
        {"installed": installed.name, "path": str(installed.path), "bytes": installed.size_bytes},
        lambda: f"imported {installed.name} into {installed.path}",
    )
    return 0


def _models_use(args: argparse.Namespace) -> int:
    from magpie.core.pack_store import use_model

    use_model(library_for(args), args.name)
    emit(args, {"model": args.name}, lambda: f"now using {args.name}")
    return 0


def _models_switch(args: argparse.Namespace) -> int:
    """Embed every photo with NAME first; the settings change only when that is done, so
    other Magpie processes keep searching with the current model until then."""
    from magpie.core.switching import ModelSwitch

    bar = ProgressBar(sys.stderr, f"indexing with {args.name}")
    with open_engine(args, writer=True) as engine:
        previous = engine.model_name
        switch = ModelSwitch(
            engine,
            args.name,
            on_change=lambda status: bar.update(status.done, status.total or None),
        )
        try:
            switch.start()
            while not switch.wait(0.5):
                pass
        except KeyboardInterrupt:
            switch.cancel()
            switch.wait()
        finally:
            bar.close()
        status = switch.status()
    if status.state != "switched":
        from magpie.core.errors import MagpieError

        raise MagpieError(
            f"switch to {args.name} {status.state}"
            + (f": {status.error}" if status.error else "")
            + f"; still using {previous} (the vectors made so far are kept for next time)"
        )
    emit(
        args,
        {"model": status.candidate, "previous": previous, "photos": status.done},
        lambda: f"now using {status.candidate} ({status.done} photos embedded)",
    )
    return 0


def _models_int8(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from magpie.core import int8

    library = library_for(args)
    settings = library.load_settings()
    if args.off:
        settings.int8_images = False
        library.save_settings(settings)
        emit(args, {"enabled": False}, lambda: "int8 indexing off: the fp32 image tower is used")
        return 0
    with open_engine(args, writer=True) as engine:
        check = engine.check_int8(args.sample)
    settings.int8_images = int8.allowed(check, wanted=True)
    library.save_settings(settings)
    document = {**asdict(check), "enabled": check.passed}

    def text() -> str:
        verdict = "enabled" if check.passed else f"not enabled (needs {int8.REQUIREMENT})"
        return (
            f"int8 image tower on {check.photos} of your photos: "
            f"cosine min {check.cosine_min:.4f}, {check.speedup:.2f}x faster: {verdict}"
        )

    emit(args, document, text)
    return 0


def _models_export(args: argparse.Namespace) -> int:
    from magpie.core.errors import MagpieError

    try:
        from magpie_export.export import ExportError, export_checkpoint, export_random
    except ImportError as exc:
        raise MagpieError(
            f"the export tool needs torch and onnx ({exc.name} is missing): "
            "pip install 'magpie-photos[export]'"
        ) from None

    def say(message: str) -> None:
        sys.stderr.write(f"magpie: {message}\n")
        sys.stderr.flush()

    if args.pretrained is not None and args.openclip is None:
        raise MagpieError("--pretrained goes with --openclip MODEL")
    try:
        if args.openclip is not None:
            from magpie_export.openclip import export_openclip

            report = export_openclip(
                args.openclip, args.out, args.pretrained, args.precision, say=say
            )
        elif args.checkpoint is not None:
            report = export_checkpoint(args.checkpoint, args.out, args.precision, say=say)
        else:
            report = export_random(args.random_init, args.out, args.precision, say=say)
    except ExportError as exc:
        raise MagpieError(str(exc)) from None
    emit(args, report.to_dict(), lambda: f"exported {report.out}")
    return 0
