"""Live config: notice edits to the config file (and its includes) and load them.

Polling, not inotify: it works the same on every platform, in containers and on network
filesystems, and a 2-second delay is fine for an operator's edit. A file counts as changed
when its bytes change (a SHA-256 of the content; the files are small), so `touch` or an
editor rewriting the same text reloads nothing. An invalid edit keeps the last good config:
`check()` returns the ConfigError once per distinct bad content, not every 2 seconds.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from ruamel.yaml import YAML

from bot.config.loader import load
from bot.errors import ConfigError
from bot.settings import Settings

INTERVAL = 2.0       # seconds between looks at the files


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
