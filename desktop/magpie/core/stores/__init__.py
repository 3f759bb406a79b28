"""Vector stores: where a library keeps its vectors (local FAISS, or a shared Milvus).

Chosen by `--store milvus:URI` or $MAGPIE_STORE (../shared/DESIGN.md); none means the local
FAISS index. URI is what pymilvus accepts: a path ending in .db (Milvus Lite, one process
per file) or http(s)://host:19530 (a Milvus server or cluster).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from magpie.core.errors import MagpieError

ENV_VAR = "MAGPIE_STORE"


@dataclass(frozen=True)
class StoreSpec:
    kind: str  # "milvus"
    uri: str


def parse_store_spec(text: str | None) -> StoreSpec | None:
    """`milvus:URI` -> StoreSpec; "", None, "local" or "faiss" -> None (the local index)."""
    if text is None or text.strip() in ("", "local", "faiss"):
        return None
    kind, sep, uri = text.strip().partition(":")
    if kind != "milvus" or not sep or not uri:
        raise MagpieError(
            f"unknown store {text!r}: use milvus:PATH.db (Milvus Lite) or "
            "milvus:http://HOST:19530 (a Milvus server), or leave it out for the local index"
        )
    if not uri.startswith(("http://", "https://", "tcp://", "unix:")):
        if not uri.endswith(".db"):
            raise MagpieError(f"{uri}: a Milvus Lite store is a file name ending in .db")
        uri = os.path.abspath(os.path.expanduser(uri))
    return StoreSpec("milvus", uri)


def resolve_store_spec(explicit: str | None = None) -> StoreSpec | None:
    """--store if given, else $MAGPIE_STORE, else None (local)."""
    return parse_store_spec(explicit if explicit is not None else os.environ.get(ENV_VAR))


def parse_shard(text: str) -> tuple[int, int]:
    """'I/N' (0 <= I < N) -> (I, N)."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise MagpieError(f"--shard {text!r}: use I/N, for example 0/4") from None
    if count < 1 or not 0 <= index < count:
        raise MagpieError(f"--shard {text!r}: needs 0 <= I < N")
    return index, count
