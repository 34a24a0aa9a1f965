"""Write changes back to the config files, keeping the operator's comments and layout.

Every edit goes the same way: read the file with ruamel.yaml's round-trip loader, change the
document, dump it to text (`bot.config.roundtrip`), validate that text with `config.load`
exactly as a restart would (errors name file:line:key), then write a temp file beside the
original and `os.replace` it (`bot.config.atomic`; atomic on POSIX: a reader sees the old
file or the new one, never half of each). A refused edit writes nothing. Used by the
Telegram admin commands and `newsbot opml import`.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.config.atomic import atomic_write, writing
from bot.config.loader import load
from bot.config.roundtrip import keep_gap_after, round_trip_yaml
from bot.errors import ConfigError
from bot.settings import Settings

# What /watch replaces: the keys that state a topic's words (bot.config.queries).
QUERY_KEYS = ("terms", "query")
_LOCK = threading.Lock()     # one edit at a time in this process


@dataclass(frozen=True)
class Edited:
    settings: Settings       # the config as it is now on disk
    file: Path               # the file that changed
    note: str = ""           # e.g. "skipped 2 duplicates"
    before: str = ""         # the file's text before the edit and after it: what
    after: str = ""          # `ConfigEditor.restore` needs to undo exactly this edit


class ConfigEditor:
    """Edits `path` (the main config file) and the files it includes."""

    def __init__(self, path: str | os.PathLike[str],
                 env: Mapping[str, str] | None = None) -> None:
        self.path = Path(path)
        self.env = env if env is not None else os.environ

    # -- what the admin commands call --------------------------------------------------
    def set_topic(self, name: str, query: str) -> Edited:
        """Add topic `name` with a query, or replace the query of an existing one.

        Replacing keeps the rest of the topic where it stands (its channel, `exclude:`,
        `exclude_query:`, `meaning:`, and their comments): /watch says it replaces the query,
        and a shipped topic's meaning and vetoes are its judgement, not part of its words.
        The note names what was kept."""
        target = self._topic_file(name) or self._topics_home()

        def change(doc: Any) -> str:
            topics = doc.get("topics")
            if not isinstance(topics, CommentedMap):
                topics = doc["topics"] = CommentedMap()
            old = topics.get(name)
            if isinstance(old, CommentedMap):
                keys = list(old.keys())
                at = min((keys.index(k) for k in QUERY_KEYS if k in old), default=0)
                for k in QUERY_KEYS:
                    old.pop(k, None)
                old.insert(at, "query", query)
                kept = [k for k in old if k != "query"]
                return "replaced" + (f" (kept {', '.join(kept)})" if kept else "")
            node = CommentedMap([("query", query)])
            if old is None and topics:
                keep_gap_after(topics[list(topics.keys())[-1]], node)
            topics[name] = node
            return "replaced" if old is not None else "added"

        return self._edit(target, change)

    def remove_topic(self, name: str) -> Edited:
        target = self._topic_file(name)
        if target is None:
            raise ConfigError(f"no topic named {name!r}", key=f"topics.{name}")

        def change(doc: Any) -> str:
            topics = doc["topics"]
            keys = list(topics.keys())
            if len(keys) > 1 and keys[-1] == name:
                keep_gap_after(topics[name], topics[keys[-2]])
            del topics[name]
            if not topics:
                doc["topics"] = CommentedMap()   # `topics: {}`, not a dangling comment
            return "removed"

        return self._edit(target, change)

    def add_feeds(self, feeds: Iterable[tuple[str, str | None, str | None]], *,
                  origin: str) -> Edited:
        """Append (url, name, every) feeds to `feeds:`; URLs already there are skipped.
        `origin`: "telegram" or "opml", written with each feed (`FeedConfig.origin`: such a
        feed reaches public addresses only, after a reload too)."""
        wanted = list(feeds)

        def change(doc: Any) -> str:
            seq = doc.get("feeds")
            if not isinstance(seq, CommentedSeq):
                seq = doc["feeds"] = CommentedSeq()
            if not seq:
                seq.fa.set_block_style()          # `feeds: []` grows into a block list
            have = {_norm(_url(item)) for item in seq}
            added = skipped = 0
            for url, name, every in wanted:
                if _norm(url) in have:
                    skipped += 1
                    continue
                have.add(_norm(url))
                item = CommentedMap([("url", url)])
                if name:
                    item["name"] = name
                if every:
                    item["every"] = every
                item["origin"] = origin
                if seq:
                    keep_gap_after(seq[-1], item)
                seq.append(item)
                added += 1
            if not added:
                raise ConfigError("already in the config: nothing to add", key="feeds")
            return f"added {added}" + (f", skipped {skipped} already there" if skipped else "")

        return self._edit(self.path, change)

    def remove_feed(self, url: str) -> Edited:
        def change(doc: Any) -> str:
            seq = doc.get("feeds") or []
            for i, item in enumerate(seq):
                if _norm(_url(item)) == _norm(url):
                    if i == len(seq) - 1 and i > 0:
                        keep_gap_after(item, seq[i - 1])
                    del seq[i]
                    if not seq:
                        doc["feeds"] = CommentedSeq()
                    return "removed"
            raise ConfigError(f"no feed {url} in the config", key="feeds")

        return self._edit(self.path, change)

    def restore(self, edited: Edited) -> Edited:
        """Undo `edited`: put back the text its file had before, if the file is still as
        that edit left it (a later edit, by hand or by command, is never overwritten)."""
        with _LOCK, writing(edited.file):
            if edited.file.read_text(encoding="utf-8") != edited.after:
                raise ConfigError("the file was changed again since that edit: undo it by "
                                  "hand", file=str(edited.file))
            settings = self._write(edited.file, edited.after, edited.before)
        return Edited(settings=settings, file=edited.file, note="restored",
                      before=edited.after, after=edited.before)

    # -- machinery ---------------------------------------------------------------------
    def _edit(self, file: Path, change: Callable[[Any], str]) -> Edited:
        with _LOCK, writing(file):
            before = file.read_text(encoding="utf-8")
            yaml = round_trip_yaml(before)
            doc = yaml.load(before)
            if doc is None:
                doc = CommentedMap()
            note = change(doc)
            out = io.StringIO()
            yaml.dump(doc, out)
            text = out.getvalue()
            settings = self._write(file, before, text)
        return Edited(settings=settings, file=file, note=note, before=before, after=text)

    def _write(self, file: Path, before: str, text: str) -> Settings:
        """Validate `text` as the file it will become (same path, same includes, same env),
        then replace the file, if it still reads `before`."""
        settings = load(self.path, self.env, texts={file.resolve(): text})
        if file.read_text(encoding="utf-8") != before:
            raise ConfigError("the file changed while this edit was made: try again",
                              file=str(file))
        atomic_write(file, text)
        return settings

    def _docs(self) -> list[tuple[Path, Any]]:
        """The main file and its includes, as plain (safe) YAML, for lookups only."""
        with writing(self.path):
            main = YAML(typ="safe").load(self.path.read_text(encoding="utf-8")) or {}
            out = [(self.path, main)]
            includes = main.get("include") or []
            for name in [includes] if isinstance(includes, str) else includes:
                path = self.path.resolve().parent / str(name)
                if path.is_file():
                    out.append((path, YAML(typ="safe").load(path.read_text("utf-8")) or {}))
        return out

    def _topic_file(self, name: str) -> Path | None:
        """Where topic `name` is defined; the main file wins, as in `config.load`."""
        docs = self._docs()
        found = None
        for path, doc in [*docs[1:], docs[0]]:     # load order: includes, then the main file
            if isinstance(doc.get("topics"), dict) and name in doc["topics"]:
                found = path
        return found

    def _topics_home(self) -> Path:
        """Where a new topic goes: the main file if it has `topics:`, else the first
        include that does (the shipped config keeps them in topics.yaml)."""
        docs = self._docs()
        for path, doc in docs:
            if isinstance(doc.get("topics"), dict):
                return path
        return self.path


def _url(item: Any) -> str:
    return str(item.get("url", "")) if isinstance(item, Mapping) else str(item)


def _norm(url: str) -> str:
    return url.strip().rstrip("/")
