"""Score what a channel received, per story: the stream bench's judge. Pure.

A message is mapped to dev items by its links (`links_of`): the first link of a post is its
lead item ("Read more"), later ones are the "Also:" reports folded into it. A digest lists
stories, one link each: every entry counts as a post of its own. A message's story is its lead
item's story (a singleton is its own story).

Per topic, against its gold stories (any item labelled with the topic):

- precision = distinct gold stories leading some message / messages (so a duplicate post or a
  post of a story outside the topic counts against it); recall = those / gold stories;
- duplicates: messages whose story already appeared, as lead or in "Also:", in an earlier
  message of the channel;
- merged: distinct stories folded into another story's message (an "Also:" report of another
  story), counted once per message; also_only: stories seen only that way, never as a lead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.text import canonical_url

DIGEST_HEAD = re.compile(r"^\d+ more stor(?:y|ies) on ", re.MULTILINE)   # bot.format.digest


@dataclass(frozen=True)
class Post:
    """One story as a channel shows it: lead item id and the item ids under "Also:"."""

    lead: str
    also: tuple[str, ...] = ()


@dataclass
class TopicScore:
    messages: int = 0
    stories: int = 0             # distinct stories leading a message
    gold: int = 0
    hit: int = 0                 # gold stories leading a message
    duplicates: int = 0
    merged: int = 0
    also_only: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.hit / self.messages if self.messages else 1.0

    @property
    def recall(self) -> float:
        return self.hit / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def per_hundred(self) -> tuple[float, float]:
        """Repeats and folded stories per 100 messages: a rate a channel's reader feels, and
        one that stays comparable when a replay posts more or fewer messages."""
        if not self.messages:
            return 0.0, 0.0
        return 100 * self.duplicates / self.messages, 100 * self.merged / self.messages


def links_of(message: Any) -> list[str]:
    """The URLs of a stand-in `PostedMessage`'s links, in the order they appear."""
    spans = sorted((e["offset"], e["url"]) for e in message.entities
                   if e.get("type") == "text_link")
    return [url for _, url in spans]


class UrlIndex:
    """Item id by URL, exact or canonical (posts drop tracking parameters)."""

    def __init__(self, urls: Mapping[str, str]) -> None:     # item id -> url
        self.exact = {u: i for i, u in urls.items()}
        self.canonical = {canonical_url(u): i for i, u in urls.items()}
        self.unknown: list[str] = []

    def find(self, url: str) -> str | None:
        found = self.exact.get(url) or self.canonical.get(canonical_url(url))
        if found is None:
            self.unknown.append(url)
        return found


def posts_of(text: str, links: Sequence[str], index: UrlIndex) -> list[Post]:
    """One message as posts: a digest is one post per entry, a post its lead and "Also:"."""
    ids = [i for i in map(index.find, links) if i is not None]
    if DIGEST_HEAD.search(text):
        return [Post(i) for i in ids]
    return [Post(ids[0], tuple(ids[1:]))] if ids else []


def score_topic(posts: Sequence[Post], story_of: Mapping[str, str], gold: Iterable[str],
                keep: Iterable[str] | None = None) -> TopicScore:
    """Score one channel's posts (in order) against `gold` stories. `keep`: count only posts
    led by these item ids, and only these items' stories as folded (a per-file figure; what
    came earlier in the channel still makes a later post a duplicate); None: everything."""
    kept = set(keep) if keep is not None else set(story_of)
    mine = {story_of[i] for i in kept}
    gold = set(gold)
    out = TopicScore(gold=len(gold))
    seen: set[str] = set()
    leads: set[str] = set()
    folded: dict[str, list[str]] = {}          # story -> lead items of messages it is in
    for p in posts:
        story = story_of[p.lead]
        others = [o for o in dict.fromkeys(story_of[a] for a in p.also) if o != story]
        for other in others:
            folded.setdefault(other, []).append(p.lead)
        if p.lead in kept:
            out.messages += 1
            leads.add(story)
            if story in seen:
                out.duplicates += 1
                out.misses.append(f"duplicate  {p.lead} (story {story})")
            if story not in gold:
                out.misses.append(f"FP         {p.lead} (story {story}, not this topic)")
            for other in others:
                out.merged += 1
                items = ",".join(a for a in p.also if story_of[a] == other)
                out.misses.append(f"merge      {other} ({items}) into {p.lead} "
                                  f"(story {story})")
        seen.update([story, *others])
    all_leads = {story_of[p.lead] for p in posts}
    out.stories, out.hit = len(leads), len(leads & gold)
    out.also_only = len((set(folded) & mine) - all_leads)
    for story in sorted(gold - leads):
        where = f", only inside {','.join(folded[story])}" if story in folded else ""
        out.misses.append(f"FN         story {story}{where}")
    return out
