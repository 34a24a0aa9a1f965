"""Round-trip YAML that keeps the operator's layout: a dumper that indents like the file it
read, and the blank lines and comments after a list's or a map's last entry kept at its end
when an entry is appended after it or the last one is removed. Used by `bot.config.edit`."""

from __future__ import annotations

import copy
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent


def round_trip_yaml(text: str) -> YAML:
    """A round-trip dumper that indents like the file it came from."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096                    # never re-wrap the operator's long lines
    try:
        _, indent, offset = load_yaml_guess_indent(text)
    except Exception:                    # an unparsable file fails later, with its line
        indent, offset = 2, 0
    offset = offset or 0
    yaml.indent(mapping=2, sequence=max(indent or 2, offset + 2), offset=offset)
    return yaml


def _tail(node: Any) -> tuple[Any, Any] | None:
    """(container, key) holding the comment after a node's last scalar: where ruamel keeps
    the end-of-line comment *and* the blank lines/comments that follow the node."""
    if isinstance(node, CommentedMap) and node:
        key = list(node.keys())[-1]
        return _tail(node[key]) or (node, key)
    if isinstance(node, CommentedSeq) and node:
        return _tail(node[-1]) or (node, len(node) - 1)
    return None


def keep_gap_after(prev: Any, new: Any) -> None:
    """Appending after `prev`: move what followed it on later lines (a blank line before the
    next section, say) to after `new`, leaving `prev`'s end-of-line comment in place."""
    old, fresh = _tail(prev), _tail(new)
    if old is None or fresh is None:
        return
    slot = old[0].ca.items.get(old[1])
    token = slot[2] if slot and len(slot) > 2 else None
    if token is None or "\n" not in token.value:
        return
    first, rest = token.value.split("\n", 1)
    if not rest:
        return
    token.value = first + "\n"
    target = fresh[0].ca.items.get(fresh[1])
    if target and len(target) > 2 and target[2] is not None:
        target[2].value = target[2].value.rstrip("\n") + "\n" + rest
    else:
        moved = copy.copy(token)
        moved.value = "\n" + rest
        fresh[0].ca.items[fresh[1]] = [None, None, moved, None]
