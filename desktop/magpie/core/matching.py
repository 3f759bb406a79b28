"""Which of a query's top results match it: a per-query rule with no fixed global score.

Cosine scores mean different things for every model (CLIP, SigLIP, the bridge pack) and for
text versus image queries, so a bare threshold cannot work. The rule instead asks how far a
photo's score stands out from the library's own scores *for this query*:

1. The background: the query's scores over a random sample of the library (cheap: a few
   thousand dot products). Its median and robust spread (MAD) turn each score into a z.
2. The tail bar: with n photos searched, chance alone lifts the best of them to about
   Phi^-1(1 - alpha/n) spreads above the median (a Bonferroni bound). Only photos above that
   bar are matches, so an absent subject ("zzzzqqq", "a fire truck" in a library of none)
   marks nothing, whatever the model's scale. `sensitivity` moves alpha, which means the same
   for every model and every kind of query.
3. The gap structure: when the strongest results stand far apart from weaker ones that barely
   clear the bar (one bee, then insects), the set ends at that gap.

Everything here is plain numpy and Qt-free; the engine gives it scores, never vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# Chance of marking anything at all for a subject that is absent, at sensitivity 0.
BASE_ALPHA = 0.05
# Each sensitivity step multiplies alpha by this (more/less willing to call a result a match).
ALPHA_STEP = 10.0
SENSITIVITIES = (-2, -1, 0, 1, 2)
# A spread this small (all scores alike: an empty or unknown query) decides nothing.
MIN_SPREAD = 1e-4
# A gap inside the matched set ends it when it is at least this many spreads wide and holds
# this share of the distance from the bar to the best result.
GAP_MIN_Z = 2.0
GAP_SHARE = 0.45

_NORMAL = NormalDist()


@dataclass(frozen=True)
class Background:
    """A query's score distribution over the library (from a sample of it)."""

    centre: float
    spread: float

    @classmethod
    def of(cls, scores: np.ndarray) -> Background:
        scores = np.asarray(scores, dtype=np.float64)
        if scores.size == 0:
            return cls(0.0, 0.0)
        centre = float(np.median(scores))
        mad = float(np.median(np.abs(scores - centre))) * 1.4826
        # the MAD is blind when over half the sample is tied; the std is not
        spread = mad if mad > MIN_SPREAD else float(np.std(scores))
        return cls(centre, spread)

    @property
    def informative(self) -> bool:
        return self.spread > MIN_SPREAD

    def z(self, scores: np.ndarray) -> np.ndarray:
        if not self.informative:
            return np.zeros(len(scores), dtype=np.float64)
        return (np.asarray(scores, dtype=np.float64) - self.centre) / self.spread


def alpha_for(sensitivity: int) -> float:
    step = max(min(int(sensitivity), SENSITIVITIES[-1]), SENSITIVITIES[0])
    return BASE_ALPHA * ALPHA_STEP ** (step * 0.5)


def tail_bar(searched: int, sensitivity: int = 0) -> float:
    """The z that the best of `searched` chance scores stays under, with probability 1-alpha."""
    n = max(int(searched), 1)
    tail = min(alpha_for(sensitivity) / n, 0.5)
    return max(_NORMAL.inv_cdf(1.0 - tail), 1.0)


def confidence(z: np.ndarray, searched: int) -> np.ndarray:
    """How sure a match is not chance: 1 - n * P(a chance score reaches z), in [0, 1]."""
    n = max(int(searched), 1)
    tails = np.array([_NORMAL.cdf(-float(v)) for v in np.asarray(z).tolist()], dtype=np.float64)
    return np.clip(1.0 - n * tails, 0.0, 1.0)


@dataclass(frozen=True)
class Judgement:
    matches: int  # the first `matches` of the z-sorted results match
    bar: float  # the z a result had to reach
    confidences: np.ndarray  # per result, same order


def judge(z_sorted: np.ndarray, searched: int, sensitivity: int = 0) -> Judgement:
    """How many of these z-scores (best first) match, out of `searched` photos."""
    z_sorted = np.asarray(z_sorted, dtype=np.float64)
    bar = tail_bar(searched, sensitivity)
    conf = confidence(z_sorted, searched)
    above = int(np.count_nonzero(z_sorted >= bar))
    if above == 0:
        return Judgement(0, bar, conf)
    # z_sorted is best first, so the ones above the bar are a prefix; end at a wide gap
    head = z_sorted[: above + 1] if above < len(z_sorted) else z_sorted[:above]
    gaps = -np.diff(head)
    if above > 1 and len(gaps) >= 1:
        inner = gaps[: above - 1]  # gaps between two results that both cleared the bar
        widest = int(np.argmax(inner))
        if inner[widest] >= max(GAP_MIN_Z, GAP_SHARE * (z_sorted[0] - bar)):
            above = widest + 1
    return Judgement(above, bar, conf)


def exclusion_bar(searched: int, sensitivity: int = 0) -> float:
    """The z above which a photo 'matches' an excluded term, so is dropped."""
    return tail_bar(searched, sensitivity)
