"""The match stage: `compile_query()` parses the topic query language; `Matcher` runs every
topic over an item in one scan and says why it matched."""

from bot.match.matcher import Matcher, Topic
from bot.match.query import compile_query, terms_query

__all__ = ["Matcher", "Topic", "compile_query", "terms_query"]
