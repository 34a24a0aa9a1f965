"""Same-story detection: canonical URLs, title keys, near-duplicate text, salient terms. Pure.

Two reports are one story when they share a URL or headline, when their text is a near copy
(word 3-shingle MinHash), or when they are *independent write-ups of one event*: published
within `FUZZY_HOURS` of each other, sharing at least `MIN_SHARED_NAMES` names/figures, with a
weighted salient-term overlap of at least `FUZZY` (terms: `bot.dedupe.terms`).

When both reports carry the encoder's vector (`vector`), the salient-term rule gives way to
one calibrated score over every signal (`bot.dedupe.identity`); without vectors (the
semantic signal off or unavailable) the rules below decide alone.

A publication time may be an interval (`published` .. `published_until`): a date without a time
is that whole day. The gate then asks whether the reports *can* be `FUZZY_HOURS` apart (the
smallest possible distance) and are *surely* within `SPREAD_HOURS` (the largest), so a date
known only to the month, like an unknown one, never opens the gate.

The store keeps each story's keys (`bands`: MinHash bands "b…" and name-pair keys "e…") and,
for a new article, looks up stories sharing a key within its time window, then asks
`same_story`. Every hash here is fixed (blake2b with fixed seeds), never Python's per-process
randomised `hash()`, because keys written by one process are read by another and must survive
restarts. Thresholds are measured in docs/dedupe.md.

The fingerprint the rules read (its keys, its storage) is built in `bot.dedupe.fingerprints`;
its names are re-exported here, where the bench and tests import them.
"""

from __future__ import annotations

from datetime import timedelta

from bot.dedupe.fingerprints import StoryFingerprint, fingerprint, title_key
from bot.dedupe.identity import SAME, identity
from bot.dedupe.minhash import (
    BANDS,
    EMPTY,
    NUM_PERM,
    ROWS,
    SHINGLE,
    jaccard,
    jaccard_estimate,
    lsh_bands,
    minhash,
    normal_words,
    shingles,
)
from bot.dedupe.terms import overlap, shared_names

__all__ = [
    "BANDS", "CONTAINED", "COPY", "EXACT", "FUZZY", "FUZZY_HOURS", "MIN_CONTAINED",
    "MIN_SHARED_NAMES", "NEAR_DUP", "NUM_PERM", "ROWS", "SHINGLE", "SPREAD_HOURS",
    "StoryFingerprint", "containment_estimate", "dense_similarity", "fingerprint", "fuzzy_score",
    "identity_score", "jaccard", "jaccard_estimate", "lsh_bands", "minhash", "normal_words",
    "same_story", "shingles", "strength", "time_gap", "title_key",
]

NEAR_DUP = 0.5       # estimated Jaccard at or above which two texts are the same story
CONTAINED = 0.7      # ... or the share of the shorter text's shingles found in the longer one
MIN_CONTAINED = 10   # shingles the shorter text needs before containment means anything
# Independent write-ups (measured in docs/dedupe.md). Outlets cover one event within hours; a
# report a day and a half later is usually the next development ("then the meeting itself").
FUZZY_HOURS = 36
# ... and, for dates known only to the day, surely within two days: "Dec 1" vs "Dec 3" can be
# 25 h apart, but such pairs on dev were the next development (proposal, then agreement).
# Exact times have no spread, so this bound never binds them.
SPREAD_HOURS = 48
MIN_SHARED_NAMES = 2  # one shared name ("Putin") is a topic, two start to be an event
FUZZY = 0.45          # weighted salient-term overlap; highest dev non-duplicate scored 0.36

def containment_estimate(a: StoryFingerprint, b: StoryFingerprint) -> float:
    """Estimated share of the smaller shingle set inside the larger (0.0 if sizes unknown).

    |A ∩ B| = J·(|A| + |B|)/(1 + J), with J estimated from the signatures.
    """
    small = min(a.size, b.size)
    if small < MIN_CONTAINED:
        return 0.0
    j = jaccard_estimate(a.signature, b.signature)
    return min(1.0, j * (a.size + b.size) / (1 + j) / small)


def time_gap(a: StoryFingerprint, b: StoryFingerprint) -> tuple[timedelta, timedelta] | None:
    """(smallest, largest) possible distance between the two publication times; None if
    either is unknown."""
    if a.published is None or b.published is None:
        return None
    a_end, b_end = a.published_until or a.published, b.published_until or b.published
    smallest = max(timedelta(0), a.published - b_end, b.published - a_end)
    return smallest, max(a_end - b.published, b_end - a.published)


def fuzzy_score(a: StoryFingerprint, b: StoryFingerprint, hours: float = FUZZY_HOURS,
                spread: float = SPREAD_HOURS) -> float | None:
    """Salient-term overlap of two write-ups, or None where the rule does not apply: a date is
    unknown, they cannot be within `hours` or may be more than `spread` apart (a date known
    only to the month), or they share under `MIN_SHARED_NAMES` names."""
    gap = time_gap(a, b)
    # max(): a caller widening `hours` (the bench's sweep) widens the spread with it.
    if (gap is None or gap[0] > timedelta(hours=hours)
            or gap[1] > timedelta(hours=max(hours, spread))):
        return None
    if shared_names(a.names, b.names) < MIN_SHARED_NAMES:
        return None
    return overlap(a.names, a.words, b.names, b.words)


def dense_similarity(a: StoryFingerprint, b: StoryFingerprint) -> float | None:
    """Cosine similarity of the two reports' vectors; None unless both have one."""
    if a.vector is None or b.vector is None or not a.vector.any() or not b.vector.any():
        return None
    return float(a.vector @ b.vector)


def identity_score(a: StoryFingerprint, b: StoryFingerprint) -> float | None:
    """`identity.identity` of two reports that may be one write-up of one event: both have a
    vector and a time, and they can be `FUZZY_HOURS` apart and are surely within
    `SPREAD_HOURS`. None where the score does not apply."""
    dense, gap = dense_similarity(a, b), time_gap(a, b)
    if (dense is None or gap is None or gap[0] > timedelta(hours=FUZZY_HOURS)
            or gap[1] > timedelta(hours=SPREAD_HOURS)):
        return None
    return identity(a, b, dense, gap)


# How sure each rule is, to rank candidates (`strength`): an exact key, then a copy of the
# text, then the scores (identity or salient-term overlap, both at most 1).
EXACT = 3.0
COPY = 2.0


def strength(a: StoryFingerprint, b: StoryFingerprint, bar: float = SAME) -> float:
    """How surely `a` and `b` are one story: 0.0 when they are not (`same_story`), else
    `EXACT` for a shared URL or headline, `COPY` for near-copy text, or the score: identity
    from `bar` with vectors (`identity.merge_bar`), salient-term overlap without. The store's
    candidates are ranked by it, so a report joins the story it most surely reports, not
    merely the oldest one it may."""
    if (a.url_key and a.url_key == b.url_key) or (a.title_key and a.title_key == b.title_key):
        return EXACT
    # Jaccard catches copies of similar length; containment catches a short feed lede that is
    # the start of another outlet's full copy of the same wire story (Jaccard is low there).
    # An empty text (no shingles) says nothing about the story.
    if EMPTY not in (min(a.signature, default=EMPTY), min(b.signature, default=EMPTY)) and (
            jaccard_estimate(a.signature, b.signature) >= NEAR_DUP
            or containment_estimate(a, b) >= CONTAINED):
        return COPY
    if a.vector is not None and b.vector is not None:
        score, enough = identity_score(a, b), bar
    else:
        score, enough = fuzzy_score(a, b), FUZZY
    return score if score is not None and score >= enough else 0.0


def same_story(a: StoryFingerprint, b: StoryFingerprint, bar: float = SAME) -> bool:
    """Same URL, same headline, near-copy text, or a close-in-time write-up of the same event
    (the identity score from `bar` with vectors (`identity.merge_bar`), the salient-term
    rule without)."""
    return strength(a, b, bar) > 0.0
