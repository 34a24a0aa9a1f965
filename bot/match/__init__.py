"""The match stage: `compile_query()` parses the topic query language; `Matcher` decides
every topic over an item, from its query, its meaning and its exclusions, and says why."""

from bot.match.matcher import Matcher, Topic, topics_of
from bot.match.query import compile_query, terms_query

__all__ = ["Matcher", "Topic", "compile_query", "terms_query", "topics_of"]
