"""Live config: notice edits to the config file (and its includes) and load them.

Polling, not inotify: it works the same on every platform, in containers and on network
filesystems, and a 2-second delay is fine for an operator's edit. A file counts as changed
when its bytes change (a SHA-256 of the content; the files are small), so `touch` or an
editor rewriting the same text reloads nothing. An invalid edit keeps the last good config:
`check()` returns the ConfigError once per distinct bad content, not every 2 seconds.
"""

from __future__ import annotations

import hashlib
import operator
import os
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path

from ruamel.yaml import YAML

from bot.config.loader import load
from bot.errors import ConfigError
from bot.settings import DeliverySettings, Settings

INTERVAL = 2.0       # seconds between looks at the files
# Read once at start by parts that live as long as the process: the health server's socket,
# logging, the polling thread pool and per-host limiter, the sender (pacing, quiet hours,
# retries). The rest of delivery (digests, edit_interval) is read per poll, so it is live.
_FIXED: dict[str, Callable[[Settings], object]] = {
    "health_port": lambda s: s.health_port,
    "log.level": lambda s: s.log_level,
    "log.json": lambda s: s.log_json,
    "polling.workers": lambda s: s.polling.workers,
    "polling.per_host": lambda s: s.polling.per_host,
    **{f"delivery.{f.name}": operator.attrgetter(f"delivery.{f.name}")
       for f in fields(DeliverySettings) if f.name not in ("digests", "edit_interval")},
}


def include_paths(main: Path) -> list[Path]:
    """The files `include:` names, relative to the main file (best effort: a broken main
    file is reported by config.load, not here)."""
    try:
        doc = YAML(typ="safe").load(main.read_text(encoding="utf-8")) or {}
        names = doc.get("include") or [] if isinstance(doc, dict) else []
    except Exception:
        return []
    names = [names] if isinstance(names, str) else names
    return [main.resolve().parent / str(n) for n in names if isinstance(n, str | int)]


def fingerprint(main: Path) -> tuple[tuple[str, str], ...]:
    out = []
    for path in [main, *include_paths(main)]:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            digest = f"unreadable: {exc.__class__.__name__}"
        out.append((str(path), digest))
    return tuple(out)


class ConfigWatcher:
    """`check()` every INTERVAL: a new Settings when the files changed and are valid,
    a ConfigError when they changed and are not, None when nothing changed."""

    def __init__(self, path: str | os.PathLike[str], env: Mapping[str, str] | None = None
                 ) -> None:
        self.path = Path(path)
        self.env = env if env is not None else os.environ
        self.seen = fingerprint(self.path)

    def mark_current(self) -> None:
        """The files as they are now are already applied (e.g. an admin edit we wrote)."""
        self.seen = fingerprint(self.path)

    def check(self) -> Settings | ConfigError | None:
        now = fingerprint(self.path)
        if now == self.seen:
            return None
        self.seen = now          # report a bad edit once; the next change is looked at anew
        try:
            return load(self.path, self.env)
        except ConfigError as exc:
            return exc


def needs_restart(running: Settings, new: Settings) -> list[str]:
    """What a running newsbot cannot take from `new`: 'key old -> new' for each setting read
    only at start (`_FIXED`), against the settings the process `running` started with."""
    out = []
    for key, get in _FIXED.items():
        before, after = get(running), get(new)
        if before != after:
            out.append(f"{key} {_show(before)} -> {_show(after)}")
    return out


def _show(value: object) -> str:
    return "(none)" if value is None else str(value)
