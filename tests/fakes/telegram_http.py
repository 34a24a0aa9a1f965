"""HTTP plumbing of the Bot API stand-in: the threaded server, body decoding, the record.

Bodies as the Bot API accepts them (https://core.telegram.org/bots/api#making-requests):
query string, application/x-www-form-urlencoded, application/json or multipart/form-data.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class RecordedRequest:
    method: str                     # as in the URL, e.g. "sendMessage"
    params: dict[str, Any]          # decoded: JSON-in-form fields are dicts/lists
    time: float                     # time.monotonic() on arrival
    status: int | None = None       # the HTTP status answered (None: no answer sent)


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    mime = content_type.split(";")[0].strip().lower()
    if mime == "application/json":
        data = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("JSON body is not an object")
        return data
    if mime == "multipart/form-data":
        msg = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        out: dict[str, Any] = {}
        for part in msg.iter_parts():     # type: ignore[attr-defined]
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            out[name] = ({"filename": part.get_filename(), "size": len(data)}
                         if part.get_filename() else data.decode("utf-8"))
        return out
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, as httpx expects
    server: HTTPServer

    def do_POST(self) -> None:
        self.server.serve(self)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass                            # the record and the CLI log replace the access log


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256     # listen backlog: benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], serve: Callable[[Handler], None],
                 track: Callable[[socket.socket, bool], None]) -> None:
        self.serve, self.track = serve, track
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.track(request, True)     # kept so that "down" mode can cut live connections
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.track(request, False)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass                            # clients vanishing (down mode, timeouts) is expected


def nginx_page(status: int, phrase: str) -> bytes:
    """What Telegram's front nginx answers for 502/504: an HTML page, not Bot API JSON."""
    return (f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n").encode()


def describe(r: RecordedRequest, payload: dict[str, Any]) -> str:
    stamp = datetime.now().strftime("%H:%M:%S.%f")[:-3]
    what = " ".join(f"{k}={r.params[k]!r:.100}" for k in ("chat_id", "message_id", "text",
                                                          "offset", "timeout") if k in r.params)
    answer = "ok" if payload.get("ok") else f"{payload.get('description')}"
    return f"{stamp} {r.status} {r.method} {what} -> {answer}"
