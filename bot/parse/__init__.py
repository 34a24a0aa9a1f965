"""The parse stage, the only code that imports the feed parsers: `parse(body, headers,
url)` turns bytes into a `ParsedFeed` of `Article`s with stable keys."""

from bot.parse.feed import parse

__all__ = ["parse"]
