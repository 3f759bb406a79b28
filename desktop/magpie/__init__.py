"""Magpie: find photos by what they show.

from magpie import open_library
hits = open_library("~/Pictures").search("a dog on a bench")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "open_library"]

if TYPE_CHECKING:
    from magpie.core.engine import open_library


def __getattr__(name: str) -> Any:
    # lazy: `import magpie` (the CLI's start) must not pay for numpy, faiss or onnxruntime
    if name == "open_library":
        from magpie.core.engine import open_library

        return open_library
    raise AttributeError(f"module 'magpie' has no attribute {name!r}")
