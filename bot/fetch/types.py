"""The types the fetch stage shares: its limits and what an engine answers. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

import urllib3

from bot import __version__
from bot.errors import FetchError

__all__ = ["USER_AGENT", "Answer", "FetchLimits", "Outcome", "Response"]

USER_AGENT = f"newsbot/{__version__} (+https://github.com/newsbot)"

Response = urllib3.BaseHTTPResponse
Answer = tuple[int, dict[str, str], bytes]      # status, lower-cased headers, body
Outcome = Answer | FetchError | None             # None: no answer, send it with `get`


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 10
    read_timeout: float = 30        # per socket read
    total_timeout: float = 60       # wall-clock deadline for the whole fetch: defeats drip-feeding
    max_bytes: int = 10 * 1024 * 1024   # applies to the wire bytes and to the decoded body
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    # Which addresses it may reach (bot.fetch.guard): "any" for a feed the operator wrote
    # into the config, "public" (or "private") for one from Telegram or OPML.
    reach: str = "any"
