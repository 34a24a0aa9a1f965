"""`lists:` and `topics:` from the config file and its includes, compiled at load.

Every named list is compiled at load, used or not, and a broken entry is reported at the
entry's own line (`topics.yaml:44 lists.leaders[3]`), not at the topic that happens to use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import bot.config.values as v
from bot.config.meaning import meaning
from bot.config.source import Ctx, did_you_mean, item_line, key_line
from bot.errors import ConfigError, QueryError
from bot.match import compile_query, terms_query
from bot.settings import TopicConfig

TOPIC_KEYS = {"terms", "exclude", "exclude_query", "query", "channel", "meaning"}
_LIST_NAME = re.compile(r"[\w-]+")                       # what `@name` accepts (bot.match)
_LIST_KEY = re.compile(r"lists\.([\w-]+)(?:\[(\d+)\])?")  # QueryError keys from bot.match


@dataclass
class Queries:
    """What the files define, in load order (includes first; the main file wins)."""

    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    list_nodes: dict[str, tuple[Ctx, Any, Any]] = field(default_factory=dict)  # ctx, parent, name
    topic_nodes: dict[str, tuple[Ctx, Any, int | None]] = field(default_factory=dict)

    def collect(self, ctx: Ctx, doc: Mapping[str, Any]) -> None:
        lists = doc.get("lists") or {}
        if not isinstance(lists, Mapping):
            raise ctx.error("lists", "expected a mapping of name: [terms]", key_line(doc, "lists"))
        for name in lists:
            if not _LIST_NAME.fullmatch(str(name)):
                raise ctx.error(f"lists.{name}", "a list name is letters, digits, _ and - "
                                "(a query says @name)", key_line(lists, name))
            self.lists[str(name)] = ctx.value(lists, name, v.string_list, (), f"lists.{name}")
            self.list_nodes[str(name)] = (ctx, lists, name)
        topics = doc.get("topics") or {}
        if not isinstance(topics, Mapping):
            raise ctx.error("topics", "expected a mapping of topic name: {terms: [...]}",
                            key_line(doc, "topics"))
        for name in topics:
            self.topic_nodes[str(name)] = (ctx, topics[name], key_line(topics, name))

    def compile(self) -> tuple[TopicConfig, ...]:
        topics = tuple(self._topic(ctx, name, node, line)
                       for name, (ctx, node, line) in self.topic_nodes.items())
        for name in self.lists:         # the lists no topic uses yet are checked too
            try:
                compile_query(f"@{name}", lists=self.lists, key="(list check)")
            except QueryError as exc:
                # Only errors inside the list count. Left alone: a list that by itself would
                # match everything (`-word` items), a matter of how a topic uses it.
                if exc.key.startswith("lists."):
                    raise self._list_error(exc, None) from None
        return topics

    def _topic(self, ctx: Ctx, name: str, node: Any, line: int | None) -> TopicConfig:
        key = f"topics.{name}"
        if not isinstance(node, Mapping):
            raise ctx.error(key, "expected a mapping with terms: [...] or query: '...'", line)
        ctx.keys(node, TOPIC_KEYS, f"{key}.", line)
        terms = ctx.value(node, "terms", v.string_list, (), f"{key}.terms")
        exclude = ctx.value(node, "exclude", v.string_list, (), f"{key}.exclude")
        query = ctx.value(node, "query", v.query, "", f"{key}.query").strip()
        if query and terms:
            raise ctx.error(key, "give either query: or terms:, not both", line)
        if not query and not terms:
            raise ctx.error(key, "empty topic: give terms: [...] or query: '...'", line)
        vetoing = ctx.value(node, "exclude_query", v.query, "", f"{key}.exclude_query").strip()
        source = query or terms_query(terms, exclude)
        compiled = self._compile(ctx, node, key, "query" if query else "terms", source)
        # Exclusions are final for every signal, the meaning's too (bot.match.matcher):
        # `exclude:` terms and an `exclude_query:`, each compiled at its own key (an error
        # names the right one); where both are given they become one query, one scan.
        vetoes = [self._compile(ctx, node, key, f, src) for f, src in (
            ("exclude", terms_query(exclude, ()) if exclude else ""), ("exclude_query", vetoing))
            if src]
        if len(vetoes) > 1:
            vetoes = [self._compile(ctx, node, key, "exclude",
                                    " OR ".join(f"({q.source})" for q in vetoes))]
        return TopicConfig(name=name, source=source, query=compiled,
                           channel=ctx.value(node, "channel", v.channel, None, f"{key}.channel"),
                           exclude=vetoes[0] if vetoes else None,
                           meaning=meaning(ctx, node, key))

    def _compile(self, ctx: Ctx, node: Any, key: str, field_name: str, source: str) -> Any:
        """`source` compiled; an error names `key.field_name` at that field's line."""
        qkey = f"{key}.{field_name}"
        try:
            return compile_query(source, lists=self.lists, key=qkey)
        except QueryError as exc:
            if exc.key.startswith("lists."):
                raise self._list_error(exc, qkey) from None
            raise ConfigError(self._reason(exc), file=ctx.file,
                              line=key_line(node, field_name), key=qkey) from None

    def _list_error(self, exc: QueryError, used_by: str | None) -> ConfigError:
        """A QueryError inside a list, at the list entry's own file and line."""
        m = _LIST_KEY.fullmatch(exc.key)
        name = m.group(1) if m else ""
        ctx, parent, raw = self.list_nodes[name]
        index = int(m.group(2)) if m and m.group(2) is not None else None
        line = item_line(parent[raw], index) if index is not None else None
        by = f" (used by {used_by})" if used_by else ""
        return ConfigError(self._reason(exc) + by, file=ctx.file,
                           line=line or key_line(parent, raw), key=exc.key)

    def _reason(self, exc: QueryError) -> str:
        reason = exc.reason + (f" at column {exc.column}" if exc.column is not None else "")
        unknown = re.match(r"unknown list '@([\w-]+)'", exc.reason)
        return reason + (did_you_mean(unknown.group(1), self.lists) if unknown else "")
