"""What one article is reduced to for same-story detection (`fingerprint`), and how that
record is stored (`StoryFingerprint.dumps`/`loads`). Pure.

Kept apart from the rules that compare two fingerprints (`bot.dedupe.story`): this runs once
per article and its output is stored, those run per candidate pair. What is derived here (the
headline key, the MinHash signature, the lookup keys `bands`: MinHash bands "b…" and name-pair
keys "e…", the salient terms) is written by one process and read by another, so every hash
behind it is fixed (`bot.dedupe.minhash`, `bot.dedupe.terms`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.dedupe.minhash import BANDS, ROWS, lsh_bands, minhash, normal_words, shingles
from bot.dedupe.terms import name_keys, salient_terms
from bot.text import canonical_url

__all__ = ["StoryFingerprint", "fingerprint", "title_key"]

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
