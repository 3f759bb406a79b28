"""magpie.core never imports Qt (DESIGN.md's one architectural rule)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "desktop" / "magpie" / "core"
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "PySide2", "shiboken6", "qtpy", "magpie.gui")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_core_sources_do_not_import_qt():
    offenders = [
        f"{path.name}: {name}"
        for path in sorted(CORE.rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in QT_MODULES or name.startswith("magpie.gui")
    ]
    assert offenders == []


def test_importing_all_of_core_loads_no_qt():
    modules = sorted(p.stem for p in CORE.glob("*.py") if p.stem != "__init__")
    assert "encoders" in modules  # the scan found the package
    code = (
        "import sys\n"
        + "".join(f"import magpie.core.{m}\n" for m in modules)
        + f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES[:6]!r}]\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_cli_starts_without_heavy_imports():
    """`magpie --version` must not pay for onnxruntime, faiss, torch or Qt."""
    code = (
        "import sys, magpie.cli\n"
        "heavy = [m for m in ('onnxruntime', 'faiss', 'torch', 'PySide6') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
