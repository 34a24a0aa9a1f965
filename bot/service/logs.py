"""Logging to stdout, plain or JSON, with the bot token scrubbed from every record (message
and traceback, in any letter case), and the Telegram library's tracebacks for network
failures cut to one line: an outage is reported by the sender, not by 15-line stack dumps."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from bot.settings import redact

QUIET = ("httpx", "httpcore", "urllib3", "apscheduler", "telegram", "hpack")
# Loggers of libraries whose tracebacks for failed requests are noise, not bugs.
LIBRARIES = ("telegram", "httpx", "httpcore")
ONE_LINE = 300          # characters kept of a library's failure message


class Redact(logging.Filter):
    """Defence in depth: the Bot API URL holds the token; never let it reach a log."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        for secret in secrets or []:
            redact.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:      # the formatter reuses exc_text
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class LibraryFailuresOnOneLine(logging.Filter):
    """python-telegram-bot logs every non-JSON answer (a 502 page from Telegram's nginx) and
    every failed getUpdates with `logger.exception`: a page of HTML and a traceback per
    failure. Those are failures of the network, which the sender and the admin reader report
    in one line each; keep one line of the library's record, and real bugs' tracebacks (an
    exception that is not a network or protocol error) in full."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(LIBRARIES) or not record.exc_info:
            return True
        exc = record.exc_info[1]
        if exc is None or not _is_network_failure(exc):
            return True
        first = " ".join(record.getMessage().split())[:ONE_LINE]
        why = " ".join(f"{type(exc).__name__}: {exc}".split())[:ONE_LINE]
        record.msg, record.args = f"{first} ({why})", None
        record.exc_info, record.exc_text = None, None
        return True


def _is_network_failure(exc: BaseException) -> bool:
    """A failed request: one of the HTTP or Bot API libraries' own errors (told by module:
    only deliver and admin import telegram), a socket error, or the JSON error a non-JSON
    answer raises."""
    return type(exc).__module__.startswith(LIBRARIES) \
        or isinstance(exc, json.JSONDecodeError | OSError | TimeoutError)


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
               "level": record.levelname, "logger": record.name,
               "message": record.getMessage()}
        if record.exc_info or record.exc_text:
            doc["error"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(doc, ensure_ascii=False)


def setup_logging(level: str = "INFO", *, json_lines: bool = False,
                  secrets: list[str] | None = None, stream: object = None) -> None:
    handler = logging.StreamHandler(stream or sys.stdout)  # type: ignore[arg-type]
    handler.setFormatter(JSONFormatter() if json_lines else logging.Formatter(
        "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"))
    handler.addFilter(LibraryFailuresOnOneLine())
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
