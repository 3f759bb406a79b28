"""Where a photo was taken, in words: offline reverse geocoding of its GPS position.

The GeoNames cities data ships inside the `reverse_geocode` wheel (no network). A position
gets the nearest populated place and, when one lies close by, the nearest large city, so a
photo taken in Lisbon's Intendente quarter reads "Intendente, Lisbon, Portugal" and is found
by both names. Positions far from any place (at sea, on a glacier) get no place rather than a
wrong one a thousand kilometres away.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# A place farther than this from the position is not where the photo was taken.
MAX_PLACE_KM = 50.0
# The nearest city of at least CITY_POPULATION people names the photo when within CITY_KM.
CITY_POPULATION = 50_000
CITY_KM = 25.0
# Bumped when the naming rule or its data change, so stored places are recomputed.
PLACES_VERSION = 1

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
    import reverse_geocode  # lazy: loads ~3 MB of GeoNames data on first use

    wanted = [(i, p) for i, p in enumerate(positions) if _valid(*p)]
    out: list[Place | None] = [None] * len(positions)
    if not wanted:
        return out
    coords = [p for _i, p in wanted]
    with _lock:  # the module builds its k-d trees lazily, not thread-safely
        nearest = reverse_geocode.search(coords)
        large = reverse_geocode.search(coords, min_population=CITY_POPULATION)
    for (i, (lat, lon)), near, big in zip(wanted, nearest, large, strict=True):
        out[i] = _place(lat, lon, near, big)
    return out


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
