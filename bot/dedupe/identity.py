"""One calibrated same-story score for two reports whose vectors are known (`identity`).

The signals, each a feature of a logistic model:

- `dense`: how alike the two read, in any language (cosine of the encoder's vectors);
- `names`, `overlap`: shared names and figures, weighted salient-term overlap (`terms`);
- `numbers`: figures shared, and `conflict`: both give figures and none agree ("200 Americans"
  against "963"; "the 15th summit" against "the 16th");
- `gap`, `same_day`: how far apart they were published (at the least, and surely within a
  day). Fitted on exact times, as feeds give them.

URL, headline and near-copy text stay hard rules in `story.same_story`: they are exact. The
weights below are fitted on the labelled dev pairs published within the dedupe window, with
`python bench/fit_identity.py`, which prints them with their precision and recall
cross-validated by storyline (no event in both the part fitted and the part scored); see
docs/dedupe.md. Nothing here names an event: the features are the same for any two reports.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Protocol

from bot.dedupe.terms import overlap, shared_names
from bot.semantic import logistic

__all__ = ["BUSY", "BUSY_WINDOW", "FEATURES", "MERGE", "MERGE_BARS", "MIN_TERMS", "SAME",
           "SAME_QUIET", "WEIGHTS", "features", "identity", "merge_bar"]

FEATURES = ("dense", "names", "overlap", "numbers", "conflict", "gap", "same_day")
# bench/fit_identity.py, 2026-12-06 (refitted when other scripts' names became terms,
# bot.text.latin): fitted on the 219 dev pairs dated within the window that no exact rule
# decides (both dev files).
WEIGHTS = {"dense": 2.92, "names": 1.18, "overlap": 2.44, "numbers": 0.88, "conflict": -0.60,
           "gap": -0.51, "same_day": 1.26}
BIAS = -3.94
# From this score two reports are one story. How sure a merge must be depends on how many
# stories are in play: the weights learnt that reports hours apart are likely one story, which
# holds on a quiet day and not in a busy hour, when many events break together and a report
# that reads like an earlier one is as likely the next development (Bayes: the more candidates,
# the lower each one's prior). So a stretch with `BUSY` stories or more opened within
# `BUSY_WINDOW` needs `SAME`, a quieter one `SAME_QUIET`. Chosen on the stream replay
# (bench/stream.py, docs/dedupe.md): one bar for all, 0.75 folded 38 distinct stories into
# others' posts in the burst and 0.85 repeated 49 stories on the timeline; the two bars keep
# 0.85's burst and 0.75's timeline. A distinct story hidden in another's "Also:" line is lost
# to its readers, a repeat is only noise: when unsure, the busy bar.
SAME = 0.85
SAME_QUIET = 0.75
BUSY = 4
BUSY_WINDOW = timedelta(hours=6)
# No bar gives both 0 repeats and 0 folded stories (docs/dedupe.md), so the operator picks
# the trade (`dedupe: {merge: ...}`): each policy is its (quiet, busy) bars. "balanced" is
# the one above. "eager" posts fewer repeats and folds more distinct stories into another's
# "Also:" line; "cautious" the reverse. Figures for each: `python bench/stream.py --merge`.
MERGE_BARS = {"cautious": (0.85, 0.90), "balanced": (SAME_QUIET, SAME), "eager": (0.65, 0.80)}
MERGE = "balanced"
# The overlap coefficient of a text with one or two salient terms is 0 or 1 by chance
# ("Summit set" against "Summit called for today" share their only term): below this many
# terms in the shorter text, overlap says nothing. Every dev lede in Latin script has 7 or
# more, so the fit is unchanged; a title-only item is where it matters.
MIN_TERMS = 5


class Terms(Protocol):
    """A report's salient terms (bot.dedupe.story.StoryFingerprint has them)."""

    @property
    def names(self) -> tuple[str, ...]: ...

    @property
    def words(self) -> tuple[str, ...]: ...


def _figures(names: tuple[str, ...]) -> set[str]:
    return {n for n in names if any(c.isdigit() for c in n)}


def features(a: Terms, b: Terms, dense: float,
             gap: tuple[timedelta, timedelta]) -> dict[str, float]:
    """The model's inputs, each scaled to about 0..1 (so one L2 penalty suits them all)."""
    fa, fb = _figures(a.names), _figures(b.names)
    smallest, largest = (g.total_seconds() / 3600 for g in gap)
    terms = min(len(a.names) + len(a.words), len(b.names) + len(b.words))
    return {
        # e5 puts unrelated news at 0.75-0.8 and copies at 0.95+: stretch that range.
        "dense": max(0.0, dense - 0.7) / 0.3,
        "names": min(shared_names(a.names, b.names), 4) / 4,
        "overlap": overlap(a.names, a.words, b.names, b.words) if terms >= MIN_TERMS else 0.0,
        "numbers": min(len(fa & fb), 2) / 2,
        "conflict": float(bool(fa) and bool(fb) and not fa & fb),
        "gap": math.log1p(smallest) / 4,
        "same_day": float(largest <= 24),
    }


def identity(a: Terms, b: Terms, dense: float,
             gap: tuple[timedelta, timedelta]) -> float:
    """The probability-like score that `a` and `b` report the same story."""
    f = features(a, b, dense, gap)
    return logistic(BIAS + sum(WEIGHTS[k] * f[k] for k in FEATURES))


def merge_bar(recent: int, merge: str = MERGE) -> float:
    """The score from which two reports are one story, given how many stories were opened
    within the last `BUSY_WINDOW` and the operator's `merge` policy (`MERGE_BARS`)."""
    quiet, busy = MERGE_BARS[merge]
    return busy if recent >= BUSY else quiet
