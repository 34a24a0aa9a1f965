"""A big feed document as a series of small ones, a slice of its items each. Pure.

Both parsers build every entry of a document at once, each with several copies of its text
(feedparser-rs: `summary` and `summary_detail`, `title` and `title_detail`, its own
structures behind them): a 48 MB feed took 180 MB more to parse, and feedparser-rs gave up
at 10,000 entries, after building them, for feedparser to build them all again
(`python bench/memory.py --stages`, docs/polling.md). Read a slice at a time, only one
slice's worth of parser structures is alive at once.

Each slice is the document with every item outside the slice left out: what comes before
the first item (the XML declaration, the root and channel elements with their namespaces,
xml:base and metadata), the slice's items, and what follows the last item (the closing
tags). Every entry is read from the same bytes with the same context as in the whole
document, so it gets the same fields and the same key.

Where the items are is found with expat, which streams: offsets only, no tree. A document
expat cannot read (malformed XML) is not sliced; the parsers read it whole, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

__all__ = ["MAX_ITEMS", "SLICE_BYTES", "WHOLE_BYTES", "Sliced", "slices"]

MAX_ITEMS = 10_000              # items read from one document; see `slices`
WHOLE_BYTES = 4 * 1024 * 1024   # a document up to this size is read whole (nearly every feed)
SLICE_BYTES = 1024 * 1024       # about this much of the items per slice
_ITEMS = ("item", "entry")      # RSS 0.9x-2.0 and RDF items, Atom entries; any prefix


@dataclass(frozen=True)
class Sliced:
    docs: Iterator[bytes]       # made one at a time, as they are read
    left_out: int               # items past the first `MAX_ITEMS`, not in any slice


def slices(data: bytes, *, limit: int = MAX_ITEMS) -> Sliced | None:
    """The documents to read in turn, or None to read `data` whole: it is small, has
    fewer than two slices' worth of items, or is not well-formed XML. `data`: UTF-8 bytes
    whose DOCTYPE internal subset is already gone (`bot.parse.prolog`).

    Only the first `limit` items are sliced: a feed lists its newest first, and tens of
    thousands of items (an archive) would hold memory in proportion however they are
    read."""
    if len(data) <= WHOLE_BYTES:
        return None
    items = _items(data)
    if items is None or len(items) < 2:
        return None
    head, tail = data[:items[0][0]], data[items[-1][1]:]
    groups: list[tuple[int, int]] = []
    for start, end in items[:limit]:
        if groups and end - groups[-1][0] <= SLICE_BYTES:
            groups[-1] = (groups[-1][0], end)
        else:
            groups.append((start, end))
    if len(groups) < 2 and len(items) <= limit:
        return None
    return Sliced((head + data[start:end] + tail for start, end in groups),
                  max(0, len(items) - limit))


def _items(data: bytes) -> list[tuple[int, int]] | None:
    """(start, end) byte offsets of every item not inside another item, in order."""
    parser: Any = expat.ParserCreate()      # no namespace processing: names as written
    # Undefined entities (&nbsp; in RSS, common) are not fatal with a DTD that is never read.
    parser.UseForeignDTD(True)
    parser.ExternalEntityRefHandler = lambda *_: 1
    items: list[tuple[int, int]] = []
    depth = inside = start = 0
    name = b""

    def on_start(tag: str, _attrs: Any) -> None:
        nonlocal depth, inside, start, name
        depth += 1
        if not inside and tag.rpartition(":")[2] in _ITEMS:
            inside, start, name = depth, parser.CurrentByteIndex, tag.encode()
    def on_end(_tag: str) -> None:
        nonlocal depth, inside
        if depth == inside:
            at = parser.CurrentByteIndex
            # At an end tag expat points at its "</"; after an empty element (<item/>),
            # past it.
            closing = data.startswith(b"</" + name, at)
            items.append((start, data.index(b">", at) + 1 if closing else at))
            inside = 0
        depth -= 1

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    try:
        parser.Parse(data, True)
    except (expat.ExpatError, ValueError):
        return None
    return items
