"""What Telegram does that breaks naive delivery, for the Bot API stand-in (issue #18):

- flood control per chat that every caller sees: after a 429 with ``retry_after`` the chat
  stays closed for that long to *every* process (each request inside the window is answered
  429 with the seconds left, and recorded as a violation: Telegram bans longer for them);
- accept, then answer late: the call takes effect, its answer comes ``seconds`` later;
- outages: refused connections, 502 pages from the front nginx, or connections that hang;
- 400s whose description echoes the request path (and with it the bot token), as a
  misconfigured Bot API server or proxy answers.

Kept apart from the server (telegram_api.py calls `before` and `after` around each method)
so that other additions to the stand-in merge without touching this.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_state import ApiError, BotState

CHAT_METHODS = {"sendmessage", "editmessagetext", "deletemessage"}


@dataclass
class Violation:
    chat_id: int
    method: str
    time: float                 # time.monotonic()
    seconds_left: float         # of the retry_after window it came inside


@dataclass
class _Late:
    method: str | None
    seconds: float
    times: int | None


@dataclass
class _Refusal:
    method: str | None
    description: str
    status: int
    times: int | None
    until: float | None


@dataclass
class Faults:
    lock: threading.Lock = field(default_factory=threading.Lock)
    floods: dict[int, float] = field(default_factory=dict)      # chat id -> retry_after s
    windows: dict[int, float] = field(default_factory=dict)     # chat id -> closed until
    violations: list[Violation] = field(default_factory=list)
    late: list[_Late] = field(default_factory=list)
    refusals: list[_Refusal] = field(default_factory=list)
    hang_until: float = 0.0

    # -- programming it ------------------------------------------------------------------
    def flood_chat(self, state: BotState, chat: int | str, retry_after: int) -> None:
        """The chat's next request is answered 429 retry_after, and the chat stays closed to
        every caller for that long."""
        with self.lock:
            self.floods[state.chat(chat).id] = retry_after

    def close_chat(self, state: BotState, chat: int | str, seconds: float) -> None:
        """Closed from now for `seconds`: every request to it is a violation."""
        with self.lock:
            self.windows[state.chat(chat).id] = time.monotonic() + seconds

    def answer_late(self, seconds: float, *, times: int | None = None,
                    method: str | None = "sendMessage") -> None:
        """Apply the next `times` calls (all: None), answer each `seconds` later."""
        with self.lock:
            self.late.append(_Late(method, seconds, times))

    def refuse(self, description: str, *, method: str | None = "getMe", status: int = 400,
               times: int | None = None, seconds: float | None = None) -> None:
        """Answer `status` with `description` and the request path appended to it."""
        until = None if seconds is None else time.monotonic() + seconds
        with self.lock:
            self.refusals.append(_Refusal(method, description, status,
                                          times if times is not None or seconds else 1, until))

    def hang(self, seconds: float) -> None:
        """Take connections and answer nothing for `seconds` (then drop them)."""
        with self.lock:
            self.hang_until = time.monotonic() + seconds

    def clear(self) -> None:
        with self.lock:
            self.floods.clear()
            self.windows.clear()
            self.late.clear()
            self.refusals.clear()
            self.hang_until = 0.0

    # -- the server's hooks --------------------------------------------------------------
    def before(self, state: BotState, method: str, params: dict[str, Any], path: str) -> bool:
        """Before the method runs: raise its ApiError, or False to drop the connection
        unanswered (a hang). True: go on."""
        wait = self.hang_until - time.monotonic()
        if wait > 0:
            time.sleep(wait)
            return False
        self._refusal(method, path)
        if method.lower() in CHAT_METHODS and params.get("chat_id") not in (None, ""):
            self._flood(state, method, params["chat_id"])
        return True

    def after(self, method: str) -> None:
        """After the method took effect: answer late if programmed to."""
        with self.lock:
            found = next((x for x in self.late if (x.times is None or x.times > 0) and
                          (x.method is None or x.method.lower() == method.lower())), None)
            if found is not None and found.times is not None:
                found.times -= 1
        if found is not None:
            time.sleep(found.seconds)

    def _refusal(self, method: str, path: str) -> None:
        now = time.monotonic()
        with self.lock:
            self.refusals = [r for r in self.refusals if (r.times is None or r.times > 0)
                             and (r.until is None or r.until > now)]
            found = next((r for r in self.refusals
                          if r.method is None or r.method.lower() == method.lower()), None)
            if found is None:
                return
            if found.times is not None:
                found.times -= 1
        raise ApiError(found.status, f"{found.description}: {path}")

    def _flood(self, state: BotState, method: str, chat_ref: Any) -> None:
        try:
            chat_id = state.chat(chat_ref).id
        except ApiError:
            return                          # the method answers "chat not found" itself
        now = time.monotonic()
        with self.lock:
            left = self.windows.get(chat_id, 0.0) - now
            if left > 0:
                self.violations.append(Violation(chat_id, method, now, left))
                wait = math.ceil(left)
            elif chat_id in self.floods:
                wait = int(self.floods.pop(chat_id))
                self.windows[chat_id] = now + wait
            else:
                return
        raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
