"""The console stand-in for Telegram: with no TELEGRAM_BOT_TOKEN, posts are printed as they
would read in the channel (bold via ANSI on a terminal, links as "text (url)")."""

from __future__ import annotations

import html
import sys
import zlib
from html.parser import HTMLParser
from typing import Any, ClassVar, TextIO

from bot.deliver.base import Deliverer, Sent
from bot.settings import chat_thread


class _TermText(HTMLParser):
    """Telegram HTML -> terminal text: links as "text (url)", bold etc. via ANSI if wanted."""

    _ANSI: ClassVar[dict[str, tuple[int, int]]] = {
        "b": (1, 22), "strong": (1, 22), "i": (3, 23), "em": (3, 23), "u": (4, 24),
        "ins": (4, 24), "s": (9, 29), "strike": (9, 29), "del": (9, 29)}

    def __init__(self, color: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.color = color
        self.parts: list[list[str]] = [[]]
        self.open: list[tuple[str, str]] = []      # (tag, href) for buffered tags

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "blockquote"):
            self.open.append((tag, dict(attrs).get("href") or ""))
            self.parts.append([])
        elif self.color and tag in self._ANSI:
            self.parts[-1].append(f"\x1b[{self._ANSI[tag][0]}m")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "blockquote") and self.open and self.open[-1][0] == tag:
            _, href = self.open.pop()
            inner = "".join(self.parts.pop())
            if tag == "blockquote":
                out = "\n".join("│ " + line for line in inner.split("\n"))
            else:
                out = inner if not href or href == inner else f"{inner} ({href})"
            self.parts[-1].append(out)
        elif self.color and tag in self._ANSI:
            self.parts[-1].append(f"\x1b[{self._ANSI[tag][1]}m")

    def handle_data(self, data: str) -> None:
        self.parts[-1].append(data)

    def text(self) -> str:
        self.close()
        while len(self.parts) > 1:               # unclosed <a>/<blockquote>: keep the text
            inner = self.parts.pop()
            self.parts[-1].extend(inner)
        return "".join(self.parts[0])


def terminal_text(text: str, *, color: bool = False) -> str:
    """How a Telegram-HTML post reads, for a terminal."""
    try:
        parser = _TermText(color)
        parser.feed(text)
        return parser.text()
    except Exception:                            # never let display break a run
        return html.unescape(text)


class ConsoleDeliverer(Deliverer):
    """Prints posts instead of sending them (no TELEGRAM_BOT_TOKEN set)."""

    def __init__(self, stream: TextIO | None = None, *, color: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        isatty = getattr(self._stream, "isatty", None)
        self._color = color if color is not None else bool(isatty and isatty())
        self._last_id: dict[str, int] = {}

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        self._stream.flush()

    async def get_me(self) -> dict[str, Any]:
        return {"id": 0, "is_bot": True, "first_name": "newsbot (console)",
                "username": "console"}

    @staticmethod
    def _chat_id(chat: str) -> int:
        """A stable fake numeric id: the number itself, or one derived from "@name"."""
        try:
            return int(chat)
        except ValueError:
            return -1000000000000 - zlib.crc32(chat.lower().encode())

    def _write(self, header: str, text: str) -> None:
        self._stream.write(f"{'─' * 60}\n{header}\n{terminal_text(text, color=self._color)}\n")
        self._stream.flush()

    async def send(self, chat: str, text: str, *, preview: bool = False,
                   silent: bool = False, image: str | None = None) -> Sent:
        message_id = self._last_id[chat] = self._last_id.get(chat, 0) + 1
        flags = "".join([" (silent)" if silent else "",
                         " (link preview)" if preview and not image else ""])
        self._write(f"→ {chat}{flags}", _with_image(text, image))
        return Sent(chat_id=self._chat_id(chat_thread(chat)[0]), message_id=message_id)

    async def edit(self, chat: str, message_id: int, text: str, *,
                   preview: bool = False, image: str | None = None) -> None:
        self._write(f"(edit of message {message_id} in {chat})", _with_image(text, image))


def _with_image(text: str, image: str | None) -> str:
    """The image shown above the post, as a line the terminal can show."""
    return f"[image: {html.escape(image)}]\n{text}" if image else text
