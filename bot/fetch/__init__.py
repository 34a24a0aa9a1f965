"""The fetch stage, the only code that talks HTTP to feeds: `fetch()` a feed with
conditional GET and every limit, through urllib3 (`client`) or libcurl (`curl`, the curl
extra), or from a local file."""

from bot.fetch.get import fetch, fetch_page, make_session, send, shared_session
from bot.fetch.types import FetchLimits, Outcome

__all__ = ["FetchLimits", "Outcome", "fetch", "fetch_page", "make_session", "send",
           "shared_session"]
