"""What a story's posts say and where they go, pure: the JSON a story keeps to render its
posts from (`story_render`), the post itself (`render_story`), the chats a report's topics
route to (`destinations`), and the "Also:" edits a later report brings (`also_edits`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.dedupe import StoryFingerprint
from bot.format import render_post
from bot.models import Article, Match
from bot.semantic import unpack
from bot.settings import DeliverySettings, FeedConfig, Settings
from bot.store import ArticleRecord, OutboxItem, StoryMatch

__all__ = ["also_edits", "also_outlets", "destinations", "first_report", "render_story",
           "story_render"]


def story_render(article: Article, summary: str, hits: Sequence[Match]) -> dict[str, Any]:
    """What a story's posts are rendered from, kept with the story (stories.render)."""
    return {"title": article.title, "source": article.source, "link": article.link,
            "summary": summary, "published": _iso(article.published),
            "topics": [h.topic for h in hits],
            "terms": list(dict.fromkeys(t for h in hits for t in h.terms)),
            "meaning": {h.topic: h.score for h in hits if not h.query and h.score},
            "image": article.image}


def render_story(render: dict[str, Any], *, topics: Sequence[str], now: datetime,
                 also: Sequence[tuple[str, str]] = ()) -> str:
    published = datetime.fromisoformat(render["published"]) if render["published"] else None
    return render_post(title=render["title"], source=render["source"], link=render["link"],
                       summary=render["summary"], published=published, topics=topics,
                       terms=render["terms"], also=also, now=now,
                       meaning=render.get("meaning"))    # absent in stories from before it


def destinations(settings: Settings, feed: FeedConfig,
                 hits: Sequence[Match]) -> dict[str, list[str]]:
    """chat -> topics routed there (topic channel, else feed channel, else default)."""
    out: dict[str, list[str]] = {}
    for hit in hits:
        chat = settings.destination(feed, hit.channel)
        if chat:
            out.setdefault(chat, []).append(hit.topic)
    return out


def first_report(fingerprint_json: str, vector: bytes | None) -> StoryFingerprint:
    """A story's first report as the store keeps it: its fingerprint and its vector."""
    fp = StoryFingerprint.loads(fingerprint_json)
    return dataclasses.replace(fp, vector=unpack(vector)) if vector is not None else fp


def also_edits(earlier: StoryMatch, record: ArticleRecord, now: datetime,
               delivery: DeliverySettings) -> list[OutboxItem]:
    """Edit the story's first post to list the outlets that reported it since."""
    sources = [*earlier.sources, (record.source, record.url)]
    also = also_outlets(sources[1:], first=sources[0][0])
    render = earlier.story.render
    body = render_story(render, topics=render["topics"], also=also, now=now)
    own = set(render.get("own", ()))      # posts that lead with a later report
    return [OutboxItem(chat=chat, kind="edit", topic=None, body=body,
                       not_before=now + delivery.edit_interval,
                       image=render.get("image"))     # an edit keeps the post's image
            for chat in earlier.chats if chat not in own] if also else []


def also_outlets(sources: Sequence[tuple[str, str | None]], *,
                 first: str) -> list[tuple[str, str]]:
    """The "Also:" outlets: one link per outlet, not the post's own."""
    return list({name: (name, url) for name, url in sources if url and name != first}.values())


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
