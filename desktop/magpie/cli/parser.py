"""The `magpie` argument parser (contract in ../shared/DESIGN.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from magpie import __version__
from magpie.cli.exclusions_cmd import add_actions as add_exclusion_actions

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
        "--store",
        metavar="milvus:URI",
        default=default(None),
        help="keep vectors in a shared Milvus (a .db file or http://HOST:19530); "
        "default $MAGPIE_STORE, else the local index",
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


def _sub_commands(
    parser: argparse.ArgumentParser, dest: str, metavar: str, required: bool = False
) -> Callable[[str, str], argparse.ArgumentParser]:
    """A factory for `parser`'s sub-commands, each taking the common options too."""
    group = parser.add_subparsers(dest=dest, metavar=metavar, required=required)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help_text, description=help_text)
        _add_common(sub, suppress=True)
        return sub

    return add


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
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="TERM",
        help="drop photos that match TERM (or write -TERM in the query text)",
    )
    parser.add_argument(
        "--order", choices=("best", "date"), default="best", help="order of the matches"
    )
    parser.add_argument(
        "--sensitivity",
        type=int,
        choices=range(-2, 3),
        default=None,
        metavar="-2..2",
        help="how readily a result counts as a match (default: the library's setting, 0)",
    )
    parser.add_argument(
        "--place", metavar="NAME", help="only photos taken there (a town, city, region or country)"
    )


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
    command = _sub_commands(parser, "command", "COMMAND")

    gui = command("gui", "open the desktop app")
    gui.add_argument("--quit-after", type=float, metavar="S", help=argparse.SUPPRESS)  # smoke tests

    embed = command("embed", "print L2-normalised embeddings of texts and images")
    embed.add_argument("--text", dest="items", action=_Ordered, const="text", metavar="T")
    embed.add_argument("--image", dest="items", action=_Ordered, const="image", metavar="PATH")

    index = command("index", "add folders (if given), bring the index up to date, exit")
    index.add_argument("folders", nargs="*", type=Path, metavar="FOLDER")
    index.add_argument("--polling", action="store_true", help="watch these folders by polling")
    index.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERN",
        help="keep a name pattern or sub-folder out (repeatable; `magpie exclusions` lists them)",
    )
    index.add_argument(
        "--no-text", action="store_true", help="skip reading text in photos (OCR) this time"
    )
    index.add_argument(
        "--shard",
        metavar="I/N",
        help="with a shared store: encode only share I of N (by content); others adopt it",
    )

    search = command("search", "find photos matching a text")
    search.add_argument("text")
    _add_result_options(search)
    search.add_argument(
        "--image",
        dest="images",
        action="append",
        default=[],
        type=Path,
        metavar="PATH",
        help="combine with this image (repeatable)",
    )
    search.add_argument(
        "--weight",
        type=float,
        default=0.5,
        metavar="W",
        help="share of the text when combined with --image, 0..1 (0.5)",
    )

    similar = command("similar", "find photos like an image (inside or outside the library)")
    similar.add_argument("image", type=Path)
    similar.add_argument(
        "--time", type=float, metavar="SECONDS", help="IMAGE is a video: its frame at SECONDS"
    )
    _add_result_options(similar)

    command("status", "counts, folders, model, device, files that failed and why")
    command("places", "the places photos were taken (from their GPS), with counts")
    command("watch", "keep the index current until interrupted (headless)")
    remove = command("remove", "forget a folder (its photos stay on disk, untouched)")
    remove.add_argument("folder", type=Path)

    models = command("models", "list, install, import, choose or export model packs")
    action = _sub_commands(models, "action", "ACTION", required=True)

    exclusions = command("exclusions", "what is kept out of the index: list, add, remove, limits")
    exclusion_action = _sub_commands(exclusions, "action", "ACTION", required=True)

    add_exclusion_actions(exclusion_action)

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
    switch = action(
        "switch", "index with another pack, then use it; searches keep the old one meanwhile"
    )
    switch.add_argument("name")
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
    source.add_argument(
        "--openclip", metavar="MODEL", help="an OpenCLIP model (ViT-B-16, ViT-H-14-quickgelu...)"
    )
    export.add_argument(
        "--pretrained", type=Path, metavar="FILE", help="with --openclip: its checkpoint"
    )
    export.add_argument("--out", type=Path, required=True, metavar="DIR")
    export.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="fp32")
    _add_organize(command)
    return parser


def _add_organize(command: Any) -> None:
    """`duplicates` and `albums` (cli/organize_cmd.py)."""
    dupes = command("duplicates", "near-duplicate and burst groups, and which photo to keep")
    dupes.add_argument("--folder", type=Path, metavar="DIR", help="only photos under DIR")
    dupes.add_argument(
        "--threshold", type=float, metavar="S", help="similarity 0.6-1 (default 0.75)"
    )
    albums = command("albums", "albums and smart albums (saved searches)")
    action = _sub_commands(albums, "action", "ACTION", required=True)

    listing = action("list", "albums with their photo counts")
    listing.add_argument("--no-smart-counts", action="store_true", help="skip running searches")
    action("show", "the photos of an album").add_argument("name")
    action("create", "a new, empty album").add_argument("name")
    action("delete", "forget an album (its photos are untouched)").add_argument("name")
    for name, text in (("add", "add photos to an album"), ("remove", "take photos out")):
        sub = action(name, text)
        sub.add_argument("name")
        sub.add_argument("paths", nargs="+", type=Path, metavar="PHOTO")
    save = action("save-search", "save a search as a smart album that stays current")
    save.add_argument("name")
    save.add_argument("text", nargs="?", default="")
    save.add_argument("--image", dest="images", action="append", default=[], type=Path)
    save.add_argument("--exclude", action="append", default=[], metavar="TEXT")
    save.add_argument("--folder", type=Path, metavar="DIR")
    save.add_argument("--threshold", type=float, metavar="S")
    save.add_argument("--after", type=_date, metavar="DATE", help="taken on or after")
    save.add_argument("--before", type=_date, metavar="DATE", help="taken before")
