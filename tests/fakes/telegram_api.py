"""A Telegram Bot API stand-in: a real HTTP server on 127.0.0.1 speaking the Bot API wire protocol.

``POST /bot<TOKEN>/<method>`` with a form, JSON or multipart body; answers
``{"ok": true, "result": ...}`` (200) or ``{"ok": false, "error_code": N, "description": ...,
"parameters": {...}}`` with HTTP status N (https://core.telegram.org/bots/api#making-requests).
Methods are in telegram_methods.py, state in telegram_state.py, HTML parsing in telegram_html.py.

In tests use the ``telegram_api`` fixture; by hand or for benchmarks::

    python -m tests.fakes.telegram_api --port 8081 [--rate-limit 20]
    TELEGRAM_API_URL=http://127.0.0.1:8081 TELEGRAM_BOT_TOKEN=123456:TEST-TOKEN newsbot ...
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.fakes.telegram_faults import Faults
from tests.fakes.telegram_http import (
    Handler,
    HTTPServer,
    RecordedRequest,
    describe,
    nginx_page,
    parse_body,
)
from tests.fakes.telegram_methods import METHODS, scope_key, user_message_update
from tests.fakes.telegram_state import (
    ApiError,
    BotState,
    PostedMessage,
    _Failure,
    decode_json_params,
)

DEFAULT_TOKEN = "123456:TEST-TOKEN"
_PHRASES = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}


class TelegramAPIServer:
    """The stand-in. ``base_url`` is TELEGRAM_API_URL; PTB wants ``f"{base_url}/bot"``."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, host: str = "127.0.0.1", port: int = 0,
                 strict_chats: bool = False, strict_ampersand: bool = True,
                 log: Callable[[str], None] | None = None) -> None:
        self.token, self.host, self.port, self.log = token, host, port, log
        self.state = BotState(int(token.split(":")[0]), strict_chats=strict_chats,
                              strict_ampersand=strict_ampersand)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._delays: list[tuple[str | None, float, bool]] = []
        self.faults = Faults()          # issue #18's faults: telegram_faults.py
        self._conns: set[socket.socket] = set()
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """What ``telegram.Bot(token, base_url=...)`` wants: the token is appended to it."""
        return f"{self.base_url}/bot"

    def start(self) -> TelegramAPIServer:
        for attempt in range(50):         # coming back on the same port may race TIME_WAIT
            try:
                httpd = HTTPServer((self.host, self.port), self._serve, self._track)
                break
            except OSError:
                if attempt == 49 or self.port == 0:
                    raise
                time.sleep(0.1)
        self.port = httpd.server_address[1]
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                  name=f"telegram-api-{self.port}", daemon=True)
        with self._lock:
            self._httpd, self._thread = httpd, thread
        thread.start()
        return self

    def stop(self) -> None:
        with self.state.updates_changed:
            self.state.closing = True       # long polls answer [] at once
            self.state.updates_changed.notify_all()
        self.go_down()

    def __enter__(self) -> TelegramAPIServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def go_down(self) -> None:
        """Close the listening socket and every open connection: clients get refused/reset."""
        with self._lock:
            httpd, thread, self._httpd, self._thread = self._httpd, self._thread, None, None
            conns = list(self._conns)
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(5)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def come_back(self) -> None:
        """Listen again on the same port."""
        if self._httpd is None:
            self.start()

    def down_for(self, seconds: float) -> None:
        """Go down now and come back after ``seconds`` (in the background)."""
        self.go_down()
        threading.Timer(seconds, self.come_back).start()

    @property
    def is_down(self) -> bool:
        return self._httpd is None

    def _track(self, conn: socket.socket, alive: bool) -> None:
        with self._lock:
            (self._conns.add if alive else self._conns.discard)(conn)

    # -- what was received ---------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def calls(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method.lower() == method.lower()]

    def messages(self, chat: int | str) -> list[PostedMessage]:
        """The chat's messages in order, each with its current text (after edits)."""
        return self.state.messages(chat)

    def texts(self, chat: int | str, thread: int | None = None) -> list[str]:
        """The chat's texts; with `thread`, only those in that forum topic."""
        return [m.text for m in self.messages(chat)
                if thread is None or str(m.params.get("message_thread_id")) == str(thread)]

    def menu(self, scope: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The commands setMyCommands set for `scope` (a BotCommandScope; None: default)."""
        if scope and "chat_id" in scope:
            scope = {**scope, "chat_id": self.state.chat(scope["chat_id"]).id}
        with self.state.lock:
            return list(self.state.commands.get(scope_key(scope), []))

    # -- failure injection ---------------------------------------------------------------
    def fail(self, status: int, description: str, *, method: str | None = "sendMessage",
             parameters: dict[str, Any] | None = None, times: int | None = None,
             seconds: float | None = None, html_body: bool = False) -> None:
        """Answer the next ``times`` calls and/or all calls for ``seconds`` with this error
        (neither given: once). ``method=None`` applies to every method."""
        until = None if seconds is None else time.monotonic() + seconds
        if times is None and seconds is None:
            times = 1
        self.state.add_failure(_Failure(method, status, description, parameters, times,
                                        until, html_body))

    def flood(self, times: int = 1, retry_after: int = 3, *,
              method: str | None = "sendMessage") -> None:
        """429 with parameters.retry_after, as flood control answers."""
        self.fail(429, f"Too Many Requests: retry after {retry_after}", method=method,
                  parameters={"retry_after": retry_after}, times=times)

    def server_error(self, status: int = 502, *, times: int | None = None,
                     seconds: float | None = None, method: str | None = None) -> None:
        """5xx. A real 502 comes from the front nginx as an HTML page, not JSON: so here."""
        self.fail(status, _PHRASES.get(status, "Internal Server Error"), method=method,
                  times=times, seconds=seconds, html_body=status in (502, 504))

    def set_rate_limit(self, per_chat_per_minute: int | None) -> None:
        """Enforce at most N sendMessage per chat per sliding 60 s (None: no limit)."""
        with self.state.lock:
            self.state.rate_limit = per_chat_per_minute

    def slow(self, seconds: float, method: str | None = None, *, apply_first: bool = True) -> None:
        """Delay answers. ``apply_first``: the call takes effect, only the answer is late (the
        case where a client timeout still posted the message). ``slow(0)`` clears delays."""
        with self._lock:
            self._delays = [] if seconds <= 0 else [*self._delays,
                                                    (method, seconds, apply_first)]

    def reset_failures(self) -> None:
        self.state.clear_failures()
        self.faults.clear()
        self.slow(0)

    # -- issue #18's faults (telegram_faults.py) -----------------------------------------
    def flood_chat(self, chat: int | str, retry_after: int) -> None:
        """The chat's next request gets 429 retry_after; it stays closed that long to every
        caller, and requests inside the window are recorded in `violations`."""
        self.faults.flood_chat(self.state, chat, retry_after)

    def violations(self, chat: int | str | None = None) -> list[Any]:
        """Requests that came inside a chat's retry_after window."""
        with self.faults.lock:
            found = list(self.faults.violations)
        return found if chat is None else [v for v in found
                                           if v.chat_id == self.state.chat(chat).id]

    def answer_late(self, seconds: float, *, times: int | None = None,
                    method: str | None = "sendMessage") -> None:
        """The next `times` calls take effect at once and are answered `seconds` later."""
        self.faults.answer_late(seconds, times=times, method=method)

    def refuse_echoing_path(self, description: str = "Bad Request: invalid request path", *,
                            method: str | None = "getMe", status: int = 400,
                            times: int | None = None, seconds: float | None = None) -> None:
        """`status` with the request path (which holds the token) in the description."""
        self.faults.refuse(description, method=method, status=status, times=times,
                           seconds=seconds)

    def outage(self, mode: str, seconds: float) -> None:
        """Telegram unreachable for `seconds`: "refused" (nothing listens), "502" (nginx's
        HTML page for every method) or "hang" (connections taken, never answered)."""
        if mode == "refused":
            self.down_for(seconds)
        elif mode == "502":
            self.server_error(502, seconds=seconds)
        elif mode == "hang":
            self.faults.hang(seconds)
        else:
            raise ValueError(f"unknown outage mode {mode!r}: refused, 502 or hang")

    # -- updates -------------------------------------------------------------------------
    def push_message(self, from_user_id: int, chat_id: int, text: str) -> dict[str, Any]:
        """A user writes ``text`` in ``chat_id``: queues and returns the Update getUpdates gives."""
        return user_message_update(self.state, from_user_id, chat_id, text)

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any Update object; ``update_id`` is assigned."""
        return self.state.push_update(update)

    # -- chats ---------------------------------------------------------------------------
    @property
    def strict_chats(self) -> bool:
        return self.state.strict_chats

    @strict_chats.setter
    def strict_chats(self, value: bool) -> None:
        self.state.strict_chats = value

    def add_chat(self, chat: int | str, type: str = "channel", *,
                 title: str | None = None) -> int:
        """Make a chat known (needed with strict_chats); returns its numeric id."""
        return self.state.add_chat(chat, type, title=title).id

    def add_forum(self, chat: int | str, topics: tuple[int, ...]) -> int:
        """A forum supergroup with these topics (message_thread_id); returns its id."""
        with self.state.lock:
            found = self.state.add_chat(chat, "supergroup")
            found.type, found.topics = "supergroup", set(topics)
            return found.id

    def chat_id(self, chat: int | str) -> int:
        return self.state.chat(chat).id

    def forbid(self, chat: int | str) -> None:
        """The bot was kicked: 403 for every call to this chat."""
        with self.state.lock:
            self.state.chat(chat).forbidden = True

    def migrate(self, chat: int | str, new_chat_id: int) -> None:
        """The group became a supergroup: 400 with parameters.migrate_to_chat_id."""
        with self.state.lock:
            self.state.chat(chat).migrate_to = new_chat_id
            self.state.add_chat(new_chat_id, "supergroup")

    # -- HTTP ----------------------------------------------------------------------------
    def _delay(self, method: str, first: bool) -> None:
        with self._lock:
            delays = [s for m, s, f in self._delays
                      if f == first and (m is None or m.lower() == method.lower())]
        if delays:
            time.sleep(max(delays))

    def _serve(self, h: Handler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        url = urlsplit(h.path)
        parts = url.path.split("/")
        method = parts[2] if len(parts) == 3 and parts[1].startswith("bot") else url.path
        record = RecordedRequest(method, {}, time.monotonic())
        with self._lock:
            self._requests.append(record)
        answer = self._answer(h, parts, url.query, body, record)
        if answer is None or self.is_down:  # hung, or went down meanwhile: the client sees a reset
            h.close_connection = True
            return
        status, payload, html_body = answer
        record.status = status
        out = (nginx_page(status, payload["description"]) if html_body
               else json.dumps(payload, ensure_ascii=False).encode())
        h.send_response(status)
        h.send_header("Content-Type", "text/html" if html_body else "application/json")
        h.send_header("Content-Length", str(len(out)))
        h.end_headers()
        h.wfile.write(out)
        if self.log:
            self.log(describe(record, payload))

    def _answer(self, h: Handler, parts: list[str], query: str, body: bytes,
                record: RecordedRequest) -> tuple[int, dict[str, Any], bool] | None:
        try:
            if len(parts) != 3 or not parts[1].startswith("bot"):
                raise ApiError(404, "Not Found")
            params = dict(parse_qsl(query, keep_blank_values=True))
            try:
                params.update(parse_body(h.headers.get("Content-Type", ""), body))
            except (ValueError, UnicodeDecodeError):
                raise ApiError(400, "Bad Request: can't parse request body") from None
            record.params = params = decode_json_params(params)
            token = parts[1][3:]
            if token != self.token:   # a malformed token is 404, a wrong one 401, as real
                raise (ApiError(401, "Unauthorized") if ":" in token
                       else ApiError(404, "Not Found"))
            handler = METHODS.get(record.method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            if not self.faults.before(self.state, record.method, params, h.path.split("?")[0]):
                return None
            failure = self.state.injected_failure(record.method)
            if failure is not None:
                self._delay(record.method, False)
                return (failure.status, {"ok": False, "error_code": failure.status,
                                         "description": failure.description,
                                         **({"parameters": failure.parameters}
                                            if failure.parameters else {})},
                        failure.html_body)
            self._delay(record.method, False)
            result = handler(self.state, params)
            self._delay(record.method, True)
            self.faults.after(record.method)
            return 200, {"ok": True, "result": result}, False
        except ApiError as exc:
            payload: dict[str, Any] = {"ok": False, "error_code": exc.status,
                                       "description": exc.description}
            if exc.parameters:
                payload["parameters"] = exc.parameters
            return exc.status, payload, False


@pytest.fixture
def telegram_api() -> Iterator[TelegramAPIServer]:
    """A fresh stand-in per test on a random loopback port."""
    with TelegramAPIServer() as server:
        yield server


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fakes.telegram_api",
                                 description="Telegram Bot API stand-in on 127.0.0.1")
    ap.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    ap.add_argument("--token", default=DEFAULT_TOKEN)
    ap.add_argument("--rate-limit", type=int, default=None, metavar="R",
                    help="at most R sendMessage per chat per 60 s, then 429 retry_after")
    ap.add_argument("--strict-chats", action="store_true",
                    help='unknown chats get "chat not found" (default: created on first use)')
    ap.add_argument("--quiet", action="store_true", help="do not print each request")
    args = ap.parse_args(argv)
    server = TelegramAPIServer(args.token, port=args.port, strict_chats=args.strict_chats,
                               log=None if args.quiet else lambda line: print(line, flush=True))
    server.set_rate_limit(args.rate_limit)
    server.start()
    print(f"Telegram Bot API stand-in listening: TELEGRAM_API_URL={server.base_url} "
          f"TELEGRAM_BOT_TOKEN={server.token}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
