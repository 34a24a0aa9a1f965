"""The summarize stage: `summarize()` a lede into clean lead sentences without site
boilerplate; `ArticleFetcher` reads the article page when a feed gives only a teaser."""

from bot.summarize.article import ArticleFetcher, is_teaser
from bot.summarize.summary import feed_boilerplate, quick_text, shorten, summarize

__all__ = ["ArticleFetcher", "feed_boilerplate", "is_teaser", "quick_text", "shorten", "summarize"]
