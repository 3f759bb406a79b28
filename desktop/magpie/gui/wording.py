"""Counts and sizes in words ("1 file", "20 KB"): Qt-free, one place for the app's phrasing."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 file', '2 files', '1,204 photos' (many defaults to one + 's')."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def file_size(size: int) -> str:
    """Bytes as people read them: '812 bytes', '20 KB', '3.4 MB', '1.2 GB' (decimal units)."""
    if size < 1000:
        return plural(size, "byte")
    value, unit = size / 1e3, "KB"
    for bigger in ("MB", "GB", "TB"):
        if value < 999.5:
            break
        value, unit = value / 1e3, bigger
    return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
