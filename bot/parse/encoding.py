"""Feed bytes as UTF-8 for the parsers, decided once. Pure.

feedparser picks a document's encoding by RFC 3023 (the HTTP charset, the XML declaration, a
byte-order mark) and, when the bytes do not decode in it, tries the next candidate on the
*whole* document: one stray 0xFF in a UTF-8 feed made every item windows-1252, and a valid
"Zürich café" came out as "ZÃ¼rich cafÃ©". So a document that declares UTF-8 (or declares
nothing, where XML's default is UTF-8) is decided here instead:

- valid UTF-8: handed on as it came, not decoded and encoded again (for a 50 MB feed that
  round trip held three copies of it at once);
- a few invalid bytes among valid multi-byte characters (it sniffs as UTF-8): each invalid
  sequence becomes U+FFFD and the rest keeps its meaning, with a note saying how many;
- invalid bytes and no valid multi-byte character, or more invalid than valid (a legacy
  document mislabelled UTF-8): left to feedparser's fallback, which reads it right.

Any other declared encoding (ISO-8859-1, UTF-16...) goes through feedparser's
`convert_to_utf8` as before.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator, Mapping

from feedparser.encodings import parse_content_type

__all__ = ["as_utf8"]

_CHUNK = 1024 * 1024        # decoded a piece at a time: never the whole document as text
_HEAD = 1024                # where a BOM and the XML declaration are
# feedparser's RE_XML_PI_ENCODING, run on the head of the document only.
_XML_ENCODING = re.compile(rb"""^<\?[^>]*?encoding=['"]([^'"]*)['"][^>]*\?>""")
_OTHER_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_OTHER_MARKERS = (b"\x4c\x6f\xa7\x94", b"\x00\x3c\x00\x3f", b"\x3c\x00\x3f\x00",
                  b"\x00\x00\x00\x3c", b"\x3c\x00\x00\x00")     # EBCDIC, UTF-16/32 '<?'
_REPLACEMENT = "\ufffd".encode()


def as_utf8(body: bytes, headers: Mapping[str, str]) -> tuple[bytes, str | None] | None:
    """(UTF-8 bytes, a note or None) for a document that declares or defaults to UTF-8 and
    reads as UTF-8; None for feedparser's own transcoding. `headers`: lower-cased."""
    declared = _declared(body, headers)
    if declared is None:
        return None
    if body[:3] == codecs.BOM_UTF8:
        body = body[3:]
    invalid, multibyte = _count(body)
    note = (f"document declared as {declared}, but parsed as utf-8"
            if declared != "utf-8" and multibyte else None)
    if not invalid:
        return body, note
    if multibyte < max(1, invalid):
        return None         # a legacy document mislabelled UTF-8: feedparser's fallback
    return _replaced(body), (f"{invalid} invalid UTF-8 byte sequence(s) replaced with U+FFFD; "
                             "the rest of the feed reads as UTF-8")


def _declared(body: bytes, headers: Mapping[str, str]) -> str | None:
    """"utf-8", or "us-ascii" for a text/xml default that allows UTF-8, when RFC 3023 (as
    feedparser.encodings applies it) makes UTF-8 the first encoding to try; else None."""
    head = body[:_HEAD]
    if head.startswith(_OTHER_BOMS) or head[:4] in _OTHER_MARKERS:
        return None
    match = _XML_ENCODING.match(head[3:] if head.startswith(codecs.BOM_UTF8) else head)
    xml = _name(match[1].decode("ascii", "replace")) if match else ""
    kind, charset = parse_content_type(headers.get("content-type") or "")
    charset = _name(charset)
    if kind in ("application/xml", "application/xml-dtd",
                "application/xml-external-parsed-entity") or (
            kind.startswith("application/") and kind.endswith("+xml")):
        first = charset or xml or "utf-8"
    elif kind.startswith("text/"):
        # text/*: the charset parameter or US-ASCII (RFC 3023 §3.1); feedparser then tries
        # the XML declaration, so UTF-8 is next unless the document names another encoding.
        first = charset or ("us-ascii" if xml in ("", "utf-8") else xml)
    elif headers and "content-type" not in headers:
        first = xml or "iso-8859-1"     # RFC 2616's default, as feedparser applies it
    else:
        first = xml or "utf-8"
    return first if first in ("utf-8", "us-ascii") else None


def _name(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name if encoding else ""
    except LookupError:
        return encoding.lower()
    return "us-ascii" if name == "ascii" else name


def _count(body: bytes) -> tuple[int, int]:
    """(invalid UTF-8 sequences, valid multi-byte characters), a piece at a time."""
    if body.isascii():
        return 0, 0
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    invalid = multibyte = 0
    for text in _pieces(body, decoder):
        replaced = text.count("\ufffd")
        invalid += replaced
        multibyte += len(text) - len(text.encode("ascii", "ignore")) - replaced
    given = body.count(_REPLACEMENT)        # U+FFFD the document itself holds
    return invalid - given, multibyte + given


def _pieces(body: bytes, decoder: codecs.IncrementalDecoder) -> Iterator[str]:
    for start in range(0, len(body), _CHUNK):
        yield decoder.decode(body[start:start + _CHUNK])
    yield decoder.decode(b"", final=True)


def _replaced(body: bytes) -> bytes:
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    out = io.BytesIO()
    for text in _pieces(body, decoder):
        out.write(text.encode("utf-8"))
    return out.getvalue()
