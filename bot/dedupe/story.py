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
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

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
from bot.dedupe.terms import name_keys, overlap, salient_terms, shared_names
from bot.text import canonical_url

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

# " - Reuters", " | BBC News", " — The Guardian": an outlet name after a dash/bar at the end.
_OUTLET_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]{2,40}$")


def title_key(title: str) -> str:
    """Normalised headline for exact matching: outlet suffix, case, accents, punctuation gone."""
    title = " ".join(title.split())
    stripped = _OUTLET_SUFFIX.sub("", title)
    # Only drop the suffix when a real headline remains ("Q&A - Part 2" stays whole).
    if len(normal_words(stripped)) >= 3:
        title = stripped
    return " ".join(normal_words(title))


@dataclass(frozen=True)
class StoryFingerprint:
    """What `same_story` and the store's candidate lookup need about one article.

    Fields after `bands` default to "unknown", so a fingerprint rebuilt from only the first four
    still works: the rules that need the missing fields are skipped, never guessed.
    """

    url_key: str | None
    title_key: str | None
    signature: tuple[int, ...]
    bands: tuple[str, ...]
    size: int = 0                      # shingles; 0 = unknown (containment rule skipped)
    published: datetime | None = None  # UTC; None = unknown (name rule skipped)
    names: tuple[str, ...] = ()        # names and figures, in order of first appearance
    words: tuple[str, ...] = ()        # other salient words, in order of first appearance
    published_until: datetime | None = None  # latest possible time; None = `published` exactly
    # The encoder's unit vector (bot.semantic), or None. Stored beside the fingerprint, not in
    # it (`dumps`): the store keeps it in its own column for nearest-neighbour lookups.
    vector: Any = field(default=None, compare=False, repr=False)

    def dumps(self) -> str:
        """Compact JSON for one text column; `loads` gives back an equal fingerprint."""
        doc: dict[str, object] = {
            "v": 1, "u": self.url_key, "t": self.title_key,
            "s": "".join(f"{x:016x}" for x in self.signature), "z": self.size,
            "p": self.published.isoformat() if self.published else None,
            "n": list(self.names), "w": list(self.words)}
        if self.published_until is not None:   # optional: v1 readers without it ignore it
            doc["q"] = self.published_until.isoformat()
        # Keys are derived from the rest: store them only when they are not (hand-made values).
        if self.bands != _keys(self.signature, self.names):
            doc["b"] = list(self.bands)
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> StoryFingerprint:
        doc = json.loads(text)
        if doc.get("v") != 1:
            raise ValueError(f"unknown fingerprint version {doc.get('v')!r}")
        raw = doc["s"]
        signature = tuple(int(raw[i:i + 16], 16) for i in range(0, len(raw), 16))
        names = tuple(doc["n"])
        return cls(url_key=doc["u"], title_key=doc["t"], signature=signature,
                   bands=tuple(doc["b"]) if "b" in doc else _keys(signature, names),
                   size=doc["z"], published=datetime.fromisoformat(doc["p"]) if doc["p"] else None,
                   names=names, words=tuple(doc["w"]),
                   published_until=datetime.fromisoformat(doc["q"]) if doc.get("q") else None)


def _keys(signature: tuple[int, ...], names: tuple[str, ...]) -> tuple[str, ...]:
    bands = lsh_bands(signature) if len(signature) >= BANDS * ROWS else []
    return tuple(bands + name_keys(names))


def _utc(when: datetime | None) -> datetime | None:
    # Feeds give zone-less times too; comparing naive with aware raises, so naive means UTC.
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def fingerprint(title: str, text: str, link: str | None, published: datetime | None = None,
                published_until: datetime | None = None, vector: Any = None) -> StoryFingerprint:
    """Everything `same_story` and the store's candidate lookup need about one article.

    `published` enables the rule for independent write-ups; without it only URL, headline and
    near-copy text can match (a time-less name overlap merged distinct developments on dev).
    `published_until` makes it an interval (earliest .. latest possible time): for a date
    without a time pass the day's start and the next day's start.
    """
    start, until = _utc(published), _utc(published_until)
    if start is None or (until is not None and until <= start):
        until = None   # an instant, or nothing to bound

    url_key = canonical_url(link) if link and "://" in link else None
    tkey = title_key(title) if title else ""
    sh = shingles(f"{title}\n{text}")
    sig = minhash(sh)
    names, words = salient_terms(title or "", text or "")
    # Short titles ("Live updates", "World news") are shared by unrelated stories.
    return StoryFingerprint(url_key=url_key or None,
                            title_key=tkey if len(tkey.split()) >= 3 else None,
                            signature=sig, bands=_keys(sig, names), size=len(sh),
                            published=start, names=names, words=words, published_until=until,
                            vector=vector)


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
