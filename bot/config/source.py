"""Reading a config file: YAML with line numbers, and errors that point at the right line.

ruamel.yaml's round-trip loader keeps each key's and each list item's line (`key_line`,
`item_line`), so a refused value names the line it sits on. A YAML syntax error is reported
where the operator has to look: an unterminated quote at the line where it opened, not where
the scanner gave up (the end of the file, or the next quote many lines down).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.tokens import ScalarToken

from bot.errors import ConfigError

T = TypeVar("T")


def read_yaml(file: Path, texts: Mapping[Path, str] | None = None) -> Any:
    """The file (or its stand-in text from `texts`) as a mapping, or a ConfigError."""
    try:
        override = (texts or {}).get(file.resolve())
        text = override if override is not None else file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"cannot read the config file: {why or exc}",
                          file=str(file)) from None
    try:
        doc = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        line, message = yaml_error(text, exc)
        raise ConfigError(message, file=str(file), line=line) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise ConfigError("expected a mapping of keys (channel:, feeds:, topics:, ...)",
                          file=str(file), line=1)
    return doc


def yaml_error(text: str, exc: MarkedYAMLError) -> tuple[int | None, str]:
    """(line, message) for a YAML syntax error, at the line the operator must fix."""
    problem = exc.problem_mark.line + 1 if exc.problem_mark else None
    context = exc.context_mark.line + 1 if exc.context_mark else None
    opened = _quote_running_on(text, problem)
    if opened is not None:
        start, end, quote = opened
        return start, (f"not valid YAML: the {quote} opened on this line is only closed on "
                       f"line {end} (a closing {quote} missing here?)")
    if exc.context and "quoted scalar" in exc.context and context is not None:
        return context, "not valid YAML: a quoted value opens on this line and is never closed"
    if exc.context and "flow" in exc.context and context is not None:
        bracket = "[" if "sequence" in exc.context else "{"
        return context, (f"not valid YAML: the {bracket} opened on this line is not closed "
                         f"({exc.problem} on line {problem})")
    return problem, f"not valid YAML: {exc.problem}"


def _quote_running_on(text: str, problem: int | None) -> tuple[int, int, str] | None:
    """A quoted value that spans lines and ends on the line where parsing failed: in a
    config, a missing closing quote that swallowed the lines up to the next quote.
    (start line, end line, which quote)."""
    try:
        for token in YAML(typ="rt").scan(text):
            if isinstance(token, ScalarToken) and token.style in ('"', "'") \
                    and token.start_mark.line < token.end_mark.line \
                    and token.end_mark.line + 1 == problem:
                name = "double quote" if token.style == '"' else "single quote"
                return token.start_mark.line + 1, token.end_mark.line + 1, name
    except MarkedYAMLError:
        pass                # the scanner's own error: `yaml_error` reads it
    return None


class Ctx:
    """Knows the file being read; builds errors that point at a key's line."""

    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, key: str, message: str, line: int | None) -> ConfigError:
        return ConfigError(message, file=self.file, line=line, key=key)

    def keys(self, node: Any, allowed: set[str], prefix: str, line: int | None) -> None:
        if not isinstance(node, Mapping):
            raise self.error(prefix.rstrip("."), "expected a mapping", line)
        for key in node:
            if key not in allowed:
                raise self.error(f"{prefix}{key}", f"unknown key{did_you_mean(key, allowed)} "
                                 f"(allowed: {', '.join(sorted(allowed))})", key_line(node, key))

    def mapping(self, node: Mapping[str, Any], key: str, allowed: set[str]) -> Mapping[str, Any]:
        sub = node.get(key)
        if sub is None:
            return {}
        self.keys(sub, allowed, f"{key}.", key_line(node, key))
        return sub

    def value(self, node: Mapping[str, Any], key: str, parse: Callable[[Any], Any],
              default: T, dotted: str | None = None) -> T:
        if key not in node or node[key] is None:
            return default
        try:
            return parse(node[key])
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise self.error(dotted or key, str(exc), key_line(node, key)) from None


def did_you_mean(word: object, choices: Any) -> str:
    """'; did you mean 'x'?' when one choice is close, else ''."""
    hint = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""


def key_line(node: Any, key: Any) -> int | None:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def item_line(node: Any, index: int) -> int | None:
    try:
        return int(node.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None
