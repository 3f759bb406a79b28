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


def small_sample_bar(bar: float, samples: int) -> float:
    """The bar widened for a background of only `samples` scores (Student's t instead of the
    normal, Cornish-Fisher expansion): 7 photos cannot vouch for a spread as 2,000 can."""
    dof = max(samples - 1, 1)
    z = bar
    return z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)


# Results tested one by one against the background without them and everything above them
# (Rosner's generalized ESD); past these, the background is the same for all.
LEAVE_OUT = 64
MIN_BACKGROUND = 5
SAME_SCORE = 2e-3  # fp16 storage rounds a cosine near 1 by up to ~1e-3


def judge_scores(
    candidates: np.ndarray, background: np.ndarray, searched: int, sensitivity: int = 0
) -> Judgement:
    """How many of these scores (best first) match, given the query's background scores.

    Each of the best results is compared with the background *without* it and the ones
    above it, so the matches themselves never widen the spread they are judged by (it
    matters in small libraries: two blue photos out of seven).
    """
    candidates = np.asarray(candidates, dtype=np.float64)
    background = np.sort(np.asarray(background, dtype=np.float64))
    bar = tail_bar(searched, sensitivity)
    z = Background.of(background).z(candidates)
    # the matches are the unbroken run of results from the top that stand out: past the
    # first that does not, the background left below a result is ever more truncated
    above = 0
    for i, score in enumerate(candidates[:LEAVE_OUT].tolist()):
        # the result's own score is in the background too, stored at lower precision
        # (fp16 vectors): leave out whatever is within that rounding of it as well
        below = score - SAME_SCORE * max(1.0, abs(score))
        rest = background[: int(np.searchsorted(background, below, side="left"))]
        if len(rest) < max(MIN_BACKGROUND, len(background) // 2):
            break  # half the library cannot be "standing out" from the other half
        back = Background.of(rest)
        if not back.informative:
            break
        z[i] = float(back.z(np.array([score]))[0])
        if z[i] < small_sample_bar(bar, len(rest)):
            break
        above = i + 1
    if above == LEAVE_OUT:  # a long run: the rest are judged against one background
        cut = int(np.searchsorted(background, candidates[above - 1]))
        back = Background.of(background[:cut] if cut >= MIN_BACKGROUND else background)
        tail_z = back.z(candidates[above:])
        z[above:] = tail_z
        passed = tail_z >= small_sample_bar(bar, cut)
        above += int(np.argmin(passed)) if not passed.all() else len(passed)
    conf = confidence(z, searched)
    if above == 0:
        return Judgement(0, bar, conf)
    # end at a wide gap: measured on the background without the matched set
    rest = background[: int(np.searchsorted(background, candidates[above - 1]))]
    back = Background.of(rest if len(rest) >= MIN_BACKGROUND else background)
    head = back.z(candidates[: above + 1])
    inner = -np.diff(head)[: above - 1]
    if len(inner):
        widest = int(np.argmax(inner))
        if inner[widest] >= max(GAP_MIN_Z, GAP_SHARE * (head[0] - bar)):
            above = widest + 1
    return Judgement(above, bar, conf)


def judge(z_sorted: np.ndarray, searched: int, sensitivity: int = 0) -> Judgement:
    """judge_scores for z-scores of a library whose background is a standard normal."""
    rng = np.random.default_rng(0)
    background = rng.standard_normal(min(max(searched, MIN_BACKGROUND), 4096))
    return judge_scores(z_sorted, background, searched, sensitivity)


def exclusion_bar(searched: int, sensitivity: int = 0) -> float:
    """The z above which a photo 'matches' an excluded term, so is dropped."""
    return tail_bar(searched, sensitivity)
