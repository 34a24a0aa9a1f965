"""Operations: `/healthz` and Prometheus `/metrics` over HTTP, and matches per topic.

The server is the standard library's ThreadingHTTPServer on a daemon thread (no framework):
two read-only endpoints do not need more. It listens on `health_port` from the config, on
NEWSBOT_HEALTH_HOST (default 127.0.0.1: a container sets 0.0.0.0 to be scraped from outside).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import metrics
from bot.pipeline import FeedReport

log = logging.getLogger("newsbot.ops")

Health = Callable[[], tuple[bool, dict[str, Any]]]   # (healthy, details as JSON)


def record_report(report: FeedReport) -> None:
    """Count matches per topic for one feed refresh. (bot.pipeline counts polls, failures and
    items parsed itself; bot.sender counts posts, 429s, lag and queue depth.)"""
    for topic in report.topics:
        metrics.MATCHES.labels(topic=topic).inc()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._reply(200, CONTENT_TYPE_LATEST, generate_latest(metrics.REGISTRY))
        elif path in ("/healthz", "/health"):
            try:
                ok, details = self.server.health()
            except Exception as exc:        # a broken probe is an unhealthy service
                ok, details = False, {"error": exc.__class__.__name__}
            status = "unhealthy" if not ok else "degraded" if details.get("degraded") else "ok"
            body = json.dumps({"status": status, **details}, default=str).encode()
            self._reply(200 if ok else 503, "application/json", body)
        else:
            self._reply(404, "text/plain", b"not found: try /healthz or /metrics\n")

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass                                # scrapes every 15 s would drown the log


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], health: Health) -> None:
        self.health = health
        super().__init__(address, _Handler)


class OpsServer:
    def __init__(self, port: int, health: Health, host: str | None = None) -> None:
        self.host = host or os.environ.get("NEWSBOT_HEALTH_HOST") or "127.0.0.1"
        self.port, self.health = port, health
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> OpsServer:
        self._httpd = _Server((self.host, self.port), self.health)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.2}, name="newsbot-ops",
                                        daemon=True)
        self._thread.start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
