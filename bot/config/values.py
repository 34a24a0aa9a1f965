"""Parsers for single config values. Each raises ValueError with what was expected;
`config.load` turns that into a ConfigError naming the file, line and key."""

from __future__ import annotations

import importlib.util
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_FULL = re.compile(r"(?:\d+\s*[smhdw]\s*)+")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_CHANNEL = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-?\d{1,20}")
_SIZE = re.compile(r"(\d+)\s*(b|kb|mb|gb)?", re.IGNORECASE)


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
    return timedelta(seconds=seconds)


def size(value: object) -> int:
    """'10MB', '512kb', or a number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    m = _SIZE.fullmatch(str(value).strip())
    if not m or isinstance(value, bool):
        raise ValueError(f"expected a size such as 10MB or 512KB, got {value!r}")
    mult = {"": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}[(m[2] or "").lower()]
    return int(m[1]) * mult


def channel(value: object) -> str:
    """A chat: '@username' (5–32 chars) or a numeric chat id such as -1001234567890."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    if isinstance(value, bool) or not _CHANNEL.fullmatch(text):
        raise ValueError(f"expected @channelname or a numeric chat id, got {value!r}")
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


def positive_int(value: object, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise ValueError(f"expected a {'non-negative' if allow_zero else 'positive'} whole number,"
                         f" got {value!r}")
    return value


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
