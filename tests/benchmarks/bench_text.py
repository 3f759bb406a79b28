"""Words in photos: OCR recall, time per photo, the detection gate, and search by a word.

    python tests/benchmarks/bench_text.py [--photos 20] [--pack DIR]

Builds (under the temp folder, never committed) camera-sized photos from ../shared/photos:
half with a sign pasted into the scene (two words and a number, rotated a little, 3-8% of
the frame, JPEG-compressed: text as it appears in a real photo), half untouched. Reports:
- recall: the share of sign words found in the recognised text; stray lines on photos
  without signs;
- seconds per photo with and without text, full reader vs detection alone;
- the low-resolution detection gate (run recognition only where a cheap detection pass
  finds text): words kept and time saved, measured on the same photos in the same run;
- with --pack (e.g. the bridge pack): first-index time with reading text on and off (the
  text pass runs after embeddings, so it must not change), and top-1 search by a sign word.
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
SOURCES = Path(os.environ.get("MAGPIE_SHARED", REPO.parent / "shared")) / "photos" / "large"

WORDS = [
    "MIGROS",
    "KOWALSKI",
    "BAKERY",
    "PHARMACIE",
    "LISBOA",
    "GARAGE",
    "HOTEL",
    "ZUCCHERO",
    "BIBLIOTECA",
    "TABAC",
    "METRO",
    "AUGUSTA",
    "FLORIST",
    "CINEMA",
    "MUSEUM",
    "KIOSK",
    "OSTERIA",
    "BRASSERIE",
    "DROGERIE",
    "STATION",
    "HARBOUR",
    "BOULANGERIE",
    "PIZZERIA",
    "APOTHEKE",
    "LIBRERIA",
    "MERCADO",
    "TAVERNA",
    "GELATERIA",
    "BODEGA",
    "POSTE",
]


def _sign(rng: random.Random, words: list[str], height_px: int) -> Image.Image:
    font = ImageFont.load_default(size=height_px)
    text = f"{words[0]} {words[1]} {rng.randint(10, 99)}"
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    box = probe.textbbox((0, 0), text, font=font)
    pad = height_px // 2
    board = Image.new(
        "RGB",
        (box[2] - box[0] + 2 * pad, box[3] - box[1] + 2 * pad),
        rng.choice([(245, 245, 235), (250, 220, 60), (30, 60, 140), (200, 30, 30)]),
    )
    ink = (20, 20, 20) if sum(board.getpixel((0, 0))) > 400 else (250, 250, 250)
    ImageDraw.Draw(board).text((pad - box[0], pad - box[1]), text, fill=ink, font=font)
    return board.rotate(rng.uniform(-8, 8), expand=True, fillcolor=(0, 0, 0, 0))


def make_photos(count: int, out: Path) -> list[tuple[Path, list[str]]]:
    """(photo, words on its sign) pairs: the first half carry signs, the rest none."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    sources = sorted(SOURCES.glob("*.jpg"))
    made: list[tuple[Path, list[str]]] = []
    for i in range(count):
        source = sources[i % len(sources)]
        with Image.open(source) as opened:
            image = opened.convert("RGB")
        scale = (8e6 / (image.width * image.height)) ** 0.5
        image = image.resize((round(image.width * scale), round(image.height * scale)))
        words: list[str] = []
        if i < count // 2:
            words = rng.sample(WORDS, 2)
            board = _sign(rng, words, int(image.height * rng.uniform(0.03, 0.06)))
            x = rng.randint(0, max(0, image.width - board.width))
            y = rng.randint(0, max(0, image.height - board.height))
            image.paste(board, (x, y))
        target = out / f"{i:03d}-{'sign' if words else 'plain'}.jpg"
        image.save(target, "JPEG", quality=85)
        made.append((target, words))
    return made


def _found(words: list[str], text: str) -> int:
    tokens = set(text.upper().replace(".", " ").split())
    return sum(1 for w in words if w in tokens)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--pack", type=Path, help="a model pack for the index and search rows")
    args = parser.parse_args()
    if not SOURCES.is_dir():
        print(json.dumps({"skipped": f"{SOURCES} not found"}))
        return 0
    from magpie.core import imaging
    from magpie.core.ocr import MAX_SIDE, TextReader

    work = Path(tempfile.gettempdir()) / "magpie-bench-text"
    photos = make_photos(args.photos, work / "photos")
    reader = TextReader("cpu")
    reader.read(photos[0][0])  # load every model once before timing

    rows: list[dict] = []
    for path, words in photos:
        image = imaging.decode_image(path, min_short_side=MAX_SIDE // 2)
        if max(image.size) > MAX_SIDE:
            image = imaging.make_thumbnail(image, MAX_SIDE)
        started = time.perf_counter()
        found = reader.read_image(image)
        full_s = time.perf_counter() - started
        started = time.perf_counter()
        gate_open = reader.finds_text(image)
        gate_s = time.perf_counter() - started
        larger = imaging.decode_image(path, min_short_side=1000)
        larger = imaging.make_thumbnail(larger, 2000)
        started = time.perf_counter()
        found_2000 = reader.read_image(larger)
        s_2000 = time.perf_counter() - started
        rows.append(
            {
                "words": words,
                "found": _found(words, found.text),
                "lines": len(found.lines),
                "full_s": full_s,
                "gate_s": gate_s,
                "gate_open": gate_open,
                "found_2000": _found(words, found_2000.text),
                "s_2000": s_2000,
            }
        )
    signed = [r for r in rows if r["words"]]
    plain = [r for r in rows if not r["words"]]
    words_total = sum(len(r["words"]) for r in signed)
    words_found = sum(r["found"] for r in signed)
    full_total_s = sum(r["full_s"] for r in rows)
    kept_by_gate = sum(r["found"] for r in signed if r["gate_open"])
    # with the gate: every photo pays the gate; open ones pay the full read on top
    gated_s = sum(r["gate_s"] + (r["full_s"] if r["gate_open"] else 0.0) for r in rows)
    report: dict[str, object] = {
        "photos": len(rows),
        "megapixels": 8,
        "read_at_px": MAX_SIDE,
        "recall_words": round(words_found / max(1, words_total), 3),
        "words": words_total,
        "stray_lines_on_plain_photos": sum(r["lines"] for r in plain),
        "s_per_photo_with_text_p50": round(statistics.median(r["full_s"] for r in signed), 3),
        "s_per_photo_without_text_p50": round(statistics.median(r["full_s"] for r in plain), 3),
        "read_at_2000px": {
            "recall_words": round(sum(r["found_2000"] for r in signed) / max(1, words_total), 3),
            "s_per_photo_p50": round(statistics.median(r["s_2000"] for r in rows), 3),
            "time_ratio_2000px_vs_ours": round(sum(r["s_2000"] for r in rows) / full_total_s, 3),
        },
        "gate": {
            "s_per_photo_p50": round(statistics.median(r["gate_s"] for r in rows), 3),
            "opened_on_signs": sum(r["gate_open"] for r in signed),
            "opened_on_plain": sum(r["gate_open"] for r in plain),
            "recall_words_with_gate": round(kept_by_gate / max(1, words_total), 3),
            "total_s_with_gate": round(gated_s, 2),
            "total_s_without_gate": round(full_total_s, 2),
            "time_ratio_gate_vs_none": round(gated_s / full_total_s, 3),
        },
    }
    if args.pack:
        report.update(_index_and_search(args.pack, work, photos))
    print(json.dumps(report, indent=2))
    return 0


def _index_and_search(pack: Path, work: Path, photos: list[tuple[Path, list[str]]]) -> dict:
    import shutil

    from magpie.core.engine import Engine

    out: dict[str, object] = {}
    for read_text in (False, True):
        library = work / f"lib-{read_text}"
        shutil.rmtree(library, ignore_errors=True)
        with Engine(library, str(pack), "cpu", writer=True) as engine:
            settings = engine.library.load_settings()
            settings.read_text = read_text
            engine.library.save_settings(settings)
            engine.add_folder(photos[0][0].parent)
            started = time.perf_counter()
            engine.update()
            out[f"first_index_s_text_{'on' if read_text else 'off'}"] = round(
                time.perf_counter() - started, 2
            )
            started = time.perf_counter()
            engine.enrich()
            out[f"text_pass_s_text_{'on' if read_text else 'off'}"] = round(
                time.perf_counter() - started, 2
            )
            if read_text:
                hits = 0
                queries = 0
                for path, words in photos:
                    for word in words:
                        queries += 1
                        top = engine.search(word.lower(), k=1)
                        hits += bool(top) and Path(top[0].path) == path
                out["search_top1_by_sign_word"] = round(hits / max(1, queries), 3)
                out["search_queries"] = queries
    return out


if __name__ == "__main__":
    raise SystemExit(main())
