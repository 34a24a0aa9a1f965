"""Feed HTML → plain text, and plain text → sentences. Pure, standard library only.

Feed HTML is hostile by default (unbalanced tags, scripts, entity soup), so the parser never
raises and never trusts structure: it only records text and where blocks begin and end.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose boundaries are line breaks in the rendered page.
_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
# Elements whose content is never reader-visible text.
HIDDEN_ELEMENTS = frozenset({"script", "style", "iframe", "noscript", "template", "svg", "object",
                             "head"})
# Invisible characters that survive whitespace collapsing and confuse matching and counting.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200e\u200f\u2060\ufeff\xad"), None)
_BREAK = "\x00"  # internal marker; real NULs are removed before it is used


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # &nbsp; &mdash; &#8217; → characters
        self.parts: list[str] = []
        self.skip_depth = 0
        self.saw_block = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_ELEMENTS:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self.saw_block = True
            self.parts.append(_BREAK)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_ELEMENTS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.saw_block = True
            self.parts.append(_BREAK)

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data.replace(_BREAK, ""))


def html_to_text(html: str) -> str:
    """Visible text of `html`, one paragraph or line per "\\n", whitespace collapsed in lines.

    Plain text (no block tags at all) keeps its own newlines as line breaks, because feeds
    put either HTML or text in the same field.
    """
    parser = _TextParser()
    try:
        parser.feed(html.replace(_BREAK, ""))
        parser.close()
    except Exception:  # HTMLParser is lenient, but a hostile input must never stop a feed
        pass
    text = "".join(parser.parts)
    if not parser.saw_block:
        text = text.replace("\r\n", _BREAK).replace("\n", _BREAK).replace("\r", _BREAK)
    text = text.translate(_INVISIBLE)
    lines = (" ".join(_strip_controls(line).split()) for line in text.split(_BREAK))
    return "\n".join(line for line in lines if line)


# Unicode category Cc except tab and newline: C0 controls, DEL and the C1 block.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _strip_controls(s: str) -> str:
    return _CONTROLS.sub("", s)


# Words whose trailing period does not end a sentence. Lower-case, without the period.
_ABBREV = frozenset(re.findall(r"\w+", """
mr mrs ms dr prof sen rep gov gen col lt sgt capt adm cmdr st jr sr rev hon pres supt insp
inc ltd co corp bros plc llc dept univ assn est approx fig vol no nos pp vs etc al cf ie eg
jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
"""))
# A candidate end: terminal punctuation, optional closing quotes/brackets, then whitespace
# and something that can start a sentence. CJK full stops need no following space.
_END = re.compile(r"""[.!?…]+["'”’)\]]*\s+(?=["'“‘(\[]?[^\s\w]?[\w])|[。！？]+""")
_LAST_TOKEN = re.compile(r"(\S+)$")
_INITIALISM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]?\.?")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, not broken after "U.S.", "Mr.", "J. R. R." or inside "3.5"."""
    out: list[str] = []
    start = 0
    for m in _END.finditer(text):
        end = m.end()
        chunk = text[start:m.start() + 1]
        if m.group().startswith(".") and _is_abbreviation(chunk):
            continue
        sentence = text[start:end].strip()
        if sentence:
            out.append(sentence)
        start = end
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _is_abbreviation(before: str) -> bool:
    m = _LAST_TOKEN.search(before)
    if not m:
        return False
    token = m.group(1).lstrip("\"'“‘([")
    word = token.rstrip(".").lower()
    if word in _ABBREV:
        return True
    # Initials and initialisms ("J.", "U.S.", "a.m."). "... in the U.S. The ..." stays joined:
    # rare, and a slightly long sentence is better than a summary cut after "U.S.".
    return bool(_INITIALISM.fullmatch(token)) and len(word.replace(".", "")) <= 4
