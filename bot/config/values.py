"""Parsers for single config values. Each raises ValueError with what was expected;
`config.load` turns that into a ConfigError naming the file, line and key."""

from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.config.source import did_you_mean
from bot.settings import chat_thread

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_FULL = re.compile(r"(?:\d+\s*[smhdw]\s*)+")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_CHANNEL = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-?\d{1,20}")
_SIZE = re.compile(r"(\d+)\s*(b|kb|mb|gb)?", re.IGNORECASE)
# Upper bounds: beyond them a value is a typo, and some would crash `run` much later
# (a date past year 9999, a TCP port above 65535, a thread per feed).
MAX_DURATION = timedelta(days=3650)
MAX_SIZE = 1024**3
MAX_SECONDS = 3600.0
MAX_THREAD = 2**31 - 1          # message_thread_id is a 32-bit integer in the Bot API


def duration(value: object) -> timedelta:
    """'10m', '1h30m', '90s', '2d', '1w' (or a bare number of seconds)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 10m, 1h or 1h30m, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and _DURATION_FULL.fullmatch(value.strip().lower()):
        seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(value.lower()))
    else:
        raise ValueError(f"expected a duration such as 10m, 1h or 1h30m, got {value!r}")
    if seconds <= 0:
        raise ValueError(f"expected a positive duration, got {value!r}")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"expected a duration of at most {MAX_DURATION.days}d, got {value!r}")
    return timedelta(seconds=seconds)


def size(value: object) -> int:
    """'10MB', '512kb', or a number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SIZE:
        return value
    m = _SIZE.fullmatch(str(value).strip())
    if not m or isinstance(value, bool):
        raise ValueError(f"expected a size such as 10MB or 512KB, got {value!r}")
    mult = {"": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}[(m[2] or "").lower()]
    if not 0 < int(m[1]) * mult <= MAX_SIZE:
        raise ValueError(f"expected a size from 1 byte to 1GB, got {value!r}")
    return int(m[1]) * mult


def channel(value: object) -> str:
    """A chat: '@username' (5–32 chars) or a numeric chat id such as -1001234567890, and
    optionally ':N', a forum topic of a supergroup (message_thread_id), e.g. -1001234:45."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    chat, thread = chat_thread(text)
    if isinstance(value, bool) or not _CHANNEL.fullmatch(chat) or chat.strip("-0") == "":
        raise ValueError(f"expected @channelname or a numeric chat id, optionally with a "
                         f"forum topic as chat:topic_id (-1001234567890:45), got {value!r}")
    if thread is not None and not (chat.startswith("@") or chat.startswith("-100")):
        raise ValueError(f"forum topics are in supergroups, whose ids start with -100 (or an "
                         f"@name): {value!r}")
    if thread is not None and thread > MAX_THREAD:
        raise ValueError(f"a forum topic id is at most {MAX_THREAD}, got {value!r}")
    return text


def feed_url(value: object, base: Path) -> str:
    """An http(s) URL, a file:// URL, or a local path (relative to the config file)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a feed URL (http:// or https://) or a file path, got {value!r}")
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme in ("http", "https"):
        if not parts.hostname or " " in text:
            raise ValueError(f"expected a URL such as https://example.com/rss.xml, got {text!r}")
        return text
    if parts.scheme == "file":
        return text
    if parts.scheme and len(parts.scheme) > 1:
        raise ValueError(f"unsupported URL scheme {parts.scheme!r} (use http, https or file)")
    path = (base / text).resolve()
    if not path.is_file():
        raise ValueError(
            f"{text!r} is neither an http(s) URL nor an existing file (looked at {path})")
    return str(path)


ORIGINS = ("config", "telegram", "opml")      # FeedConfig.origin


def origin(value: object) -> str:
    """Who added a feed: written by /addfeed (telegram) and `opml import` (opml)."""
    if value not in ORIGINS:
        raise ValueError(f"expected one of {', '.join(ORIGINS)}, got {value!r}")
    return str(value)


def web_url(value: object) -> str:
    """An http(s) URL only: a feed from Telegram or OPML names no local file."""
    text = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        raise ValueError(f"a feed added through Telegram or OPML must be an http(s) URL, "
                         f"got {value!r}")
    return text


def boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def positive_int(value: object, *, allow_zero: bool = False, most: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise ValueError(f"expected a {'non-negative' if allow_zero else 'positive'} whole number,"
                         f" got {value!r}")
    if most is not None and value > most:
        raise ValueError(f"expected a whole number from {0 if allow_zero else 1} to {most}, "
                         f"got {value!r}")
    return value


def bounded(most: int, *, allow_zero: bool = False) -> Callable[[object], int]:
    """`positive_int` with an upper bound, as a one-argument parser for a schema."""
    return lambda value: positive_int(value, allow_zero=allow_zero, most=most)


def port(value: object) -> int:
    """A TCP port: 1 to 65535 (RFC 793); anything else fails only when the socket binds."""
    return positive_int(value, most=65535)


def seconds(value: object) -> float:
    """A timeout in seconds: a positive number, at most an hour."""
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        raise ValueError(f"expected a number of seconds above 0 and at most "
                         f"{MAX_SECONDS:g}, got {value!r}")
    return float(value)


def fraction(value: object) -> float:
    """A share of an interval, from 0 up to (not including) 1: 0.1 is ±10 %."""
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or not 0 <= value < 1:
        raise ValueError(f"expected a fraction from 0 to below 1 (0.1 is ±10 %), got {value!r}")
    return float(value)


def timezone(value: object) -> str:
    """An IANA time zone name such as Europe/Berlin, known to this machine's zoneinfo."""
    name = value.strip() if isinstance(value, str) else ""
    try:
        if name and "\0" not in name:
            ZoneInfo(name)
            return name
    except (ZoneInfoNotFoundError, ValueError):
        pass
    known = available_timezones()
    if not known:
        raise ValueError(f"unknown time zone {value!r}: this machine has no time zone "
                         "database (pip install tzdata)")
    maybe = did_you_mean(name, sorted(known)) or " (an IANA name such as Europe/Berlin)"
    raise ValueError(f"unknown time zone {value!r}{maybe}")


def text(value: object) -> str:
    """A short free text (a name): a string or a number, not a list or a mapping."""
    if isinstance(value, bool) or not isinstance(value, str | int | float) \
            or not str(value).strip():
        raise ValueError(f"expected a text, got {value!r}")
    return str(value).strip()


def query(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a query in quotes, such as 'summit OR talks', got {value!r}")
    return value


def user_ids(value: object) -> tuple[int, ...]:
    """`admins`: Telegram user ids are positive whole numbers."""
    if not isinstance(value, list) or not all(
            isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in value):
        raise ValueError(f"expected a list of numeric Telegram user ids, got {value!r}")
    return tuple(value)


def log_level(value: object) -> str:
    level = str(value).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"expected DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return level


def database_url(value: str) -> str:
    """DATABASE_URL: sqlite:///path or postgresql://... with its driver installed. The
    URL may carry a password: no message here repeats it."""
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        # Only the store imports the driver; whether it is installed is enough to know here.
        if importlib.util.find_spec("psycopg") is None:
            raise ValueError("names PostgreSQL, whose driver is not installed: "
                             "pip install 'newsbot[postgres]'")
        return value
    if scheme == "sqlite" and value.lower().startswith("sqlite:///"):
        return value
    raise ValueError(f"expected sqlite:///path/to/newsbot.db or postgresql://user@host/db, "
                     f"got a URL with scheme {scheme or 'none'!r}")


def quiet_hours(value: object) -> tuple[int, int]:
    """'23:00-07:00' -> (1380, 420): minutes of the day; may wrap past midnight."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", str(value).strip())
    if not m or int(m[1]) > 23 or int(m[3]) > 23 or int(m[2]) > 59 or int(m[4]) > 59:
        raise ValueError(f"expected a range such as 23:00-07:00, got {value!r}")
    return int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])


def string_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"expected a list of non-empty strings, got {value!r}")
    return tuple(v.strip() for v in value)


def http_engine(value: object) -> str:
    """How feeds are fetched: `auto` (curl if pycurl is installed), `curl` or `urllib3`."""
    if value not in ("auto", "curl", "urllib3"):
        raise ValueError(f"expected auto, curl or urllib3, got {value!r}")
    # Only the fetch stage imports pycurl; whether it is installed is enough to know here.
    if value == "curl" and importlib.util.find_spec("pycurl") is None:
        raise ValueError("curl needs pycurl: pip install 'newsbot[curl]', or use auto")
    return str(value)
