"""One error tree for newsbot.

Every error names what it concerns (a feed URL, a config key, a chat) and its
message tells the operator what to do next::

    NewsbotError
    ├── ConfigError            file, line, key: the config was refused
    │   ├── OPMLError              an OPML file to import was refused
    │   └── ConfigUnwritable       an edit could not read or write its file (permissions)
    ├── FeedError              feed URL
    │   ├── FetchError         could not get the bytes
    │   │   ├── FetchTimeout       connect/read timeout, or drip-fed body
    │   │   ├── TooLarge           body (or its gzip-decoded form) above the cap
    │   │   ├── HTTPStatusError    4xx/5xx (carries status, retry_after)
    │   │   │   └── FeedGone           410 Gone: polling stops
    │   │   ├── NetworkError       DNS, refused, TLS, redirect loop
    │   │   └── AddressRefused     a feed from Telegram/OPML aimed at a non-public address
    │   └── ParseError         the bytes are not a usable feed
    │       └── NotAFeed           an HTML page, an empty body, ...
    ├── QueryError             topic query syntax: key and column
    ├── DeliveryError          chat id
    │   ├── RetryLater             429 (retry_after) / 5xx / network: retry the same message
    │   │   └── Unanswered             sent, no answer in time: Telegram may have posted it
    │   ├── ChatUnavailable        403, chat not found: keep rows, alert, retry slowly
    │   ├── ApiRefused             about the bot, token or API, not the message: pause all
    │   │   └── TokenRejected          401/404: TELEGRAM_BOT_TOKEN is wrong
    │   ├── ChatMigrated           the group became a supergroup: follow its new id
    │   └── Rejected               400 certainly about this message (bad HTML, too long)
    └── StoreError             the database refused or is unreachable (wrapped at the
                               store boundary: bot.store.wrap_exceptions)
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Base of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    """The configuration was refused; names the file, line and key."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        self.file, self.line, self.key, self.reason = file, line, key, message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = " ".join(p for p in (where, key) if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class OPMLError(ConfigError):
    """The OPML file was refused; names the file and line."""


class ConfigUnwritable(ConfigError):
    """An edit (admin command, OPML import) could not read or write its file: nothing was
    changed; the message says which file or directory and what to do."""


class FeedError(NewsbotError):
    """Something went wrong with one feed; the others carry on."""

    def __init__(self, url: str, message: str) -> None:
        self.url, self.reason = url, message     # reason: for lines that name the feed
        super().__init__(f"{url}: {message}")


class FetchError(FeedError):
    """The feed's bytes could not be fetched."""


class FetchTimeout(FetchError):
    pass


class TooLarge(FetchError):
    pass


class NetworkError(FetchError):
    pass


class AddressRefused(FetchError):
    """A feed added through Telegram or OPML points at a local file or a non-public
    address (`bot.fetch.guard`): not fetched. Not a network failure: it counts toward the
    feed's backoff and alerts like any other refusal."""


class HTTPStatusError(FetchError):
    def __init__(self, url: str, status: int, message: str,
                 retry_after: float | None = None) -> None:
        self.status, self.retry_after = status, retry_after
        super().__init__(url, message)


class FeedGone(HTTPStatusError):
    """410 Gone (RFC 9110 §15.5.11): the feed is removed on purpose; stop polling."""


class ParseError(FeedError):
    """The bytes were fetched but are not a usable feed."""


class NotAFeed(ParseError):
    pass


class QueryError(NewsbotError):
    """A topic query could not be parsed; names the key and the column (1-based)."""

    def __init__(self, message: str, *, key: str = "query", column: int | None = None) -> None:
        self.key, self.column, self.reason = key, column, message
        at = f" at column {column}" if column is not None else ""
        super().__init__(f"{key}: {message}{at}")


class DeliveryError(NewsbotError):
    def __init__(self, chat: str, message: str) -> None:
        self.chat = chat
        super().__init__(f"chat {chat}: {message}")


class RetryLater(DeliveryError):
    def __init__(self, chat: str, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(chat, message)


class Unanswered(RetryLater):
    """The request went out and no answer came in time: Telegram may have taken it (it has
    no idempotency key), so a retry may post twice. Retried at most once, after a pause."""


class ChatUnavailable(DeliveryError):
    pass


class ApiRefused(DeliveryError):
    """An error about the bot, its token or the Bot API, not about the message (a 400 on
    getMe, a 401): no row is failed for it; every chat's queue pauses and the operator is
    told. `chat` is "*" when no message was involved."""


class TokenRejected(ApiRefused):
    """401/404 from the Bot API: the token is wrong or revoked; every chat is affected."""

    def __init__(self, chat: str, api_url: str) -> None:
        self.chat = chat
        Exception.__init__(
            self, f"TELEGRAM_BOT_TOKEN was rejected by the Bot API at {api_url} (401/404): "
                  "set the token @BotFather gave (and check TELEGRAM_API_URL has no /bot path)")


class ChatMigrated(DeliveryError):
    def __init__(self, chat: str, new_chat_id: int) -> None:
        self.new_chat_id = new_chat_id
        super().__init__(chat, f"group moved to supergroup {new_chat_id}; following it")


class Rejected(DeliveryError):
    pass


class StoreError(NewsbotError):
    pass
