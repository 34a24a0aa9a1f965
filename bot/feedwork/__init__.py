"""One feed's network and parsing work with plain arguments (`fetch_parse`, `parse_fetched`),
and the parse worker process that runs the parsing apart (`serve`). Nothing here matches,
stores or posts: a worker process imports only this and what is below it."""

from bot.feedwork.work import FetchParsed, KnownKeys, fetch_parse, parse_fetched
from bot.feedwork.worker import Failure, serve

__all__ = ["Failure", "FetchParsed", "KnownKeys", "fetch_parse", "parse_fetched", "serve"]
