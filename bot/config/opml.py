"""OPML (https://opml.org/spec2.opml): export the configured feeds, import a reader's list.

Import refuses any DOCTYPE (and with it every entity declaration) before building a tree, as
defusedxml does: an OPML file has no use for one, and entities are how XML files blow up
memory (billion laughs, quadratic blowup) or read local files (external entities). The check
runs on expat's own events, so no encoding trick slips a declaration past it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

from bot.errors import OPMLError
from bot.models import utcnow
from bot.settings import FeedConfig

MAX_BYTES = 5 * 1024 * 1024


def export_opml(feeds: Sequence[FeedConfig], title: str = "newsbot feeds") -> str:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(utcnow())
    body = ET.SubElement(root, "body")
    for feed in feeds:
        # Local paths (the offline demo) export as file:// URLs; import takes http(s) only.
        url = feed.url if "://" in feed.url else Path(feed.url).as_uri()
        name = feed.name or url
        ET.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=url)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _refuse_declarations(data: bytes, file: str) -> None:
    """A first pass with expat that stops at a DOCTYPE or any entity declaration."""
    parser = expat.ParserCreate()

    def refuse(*_: Any) -> None:
        raise OPMLError("refused: the file declares a DOCTYPE or entities, which OPML never "
                        "needs (a safety rule)", file=file, line=parser.CurrentLineNumber)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise OPMLError(f"not valid XML: {expat.errors.messages[exc.code]}", file=file,
                        line=exc.lineno) from None


def read_opml(data: bytes, file: str = "<opml>") -> list[tuple[str, str | None]]:
    """(url, title) of every feed outline, nested categories included, in file order,
    without duplicates. Only http(s) URLs are taken: an OPML file is somebody else's list,
    and a file:// URL in it would have the bot read a local file (file:///proc/self/environ
    holds the token). Imported feeds are fetched from public addresses only
    (`origin: opml`, bot.fetch.guard)."""
    if len(data) > MAX_BYTES:
        raise OPMLError(f"larger than {MAX_BYTES // 1024 // 1024} MB", file=file)
    _refuse_declarations(data, file)
    root = ET.fromstring(data)
    if root.tag != "opml":
        raise OPMLError(f"not an OPML file (the root element is <{root.tag}>)", file=file,
                        line=1)
    out: dict[str, str | None] = {}
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url.lower().startswith(("http://", "https://")) and url not in out:
            out[url] = (outline.get("title") or outline.get("text") or "").strip() or None
    return list(out.items())
