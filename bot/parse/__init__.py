"""The parse stage, the only code that imports the feed parsers: `parse(body, headers,
url)` turns bytes into a `ParsedFeed` of `Article`s with stable keys (and their images:
`image_url` checks an image URL from a feed or a page)."""

from bot.parse.feed import parse
from bot.parse.media import MAX_IMAGE_URL, image_url

__all__ = ["MAX_IMAGE_URL", "image_url", "parse"]
