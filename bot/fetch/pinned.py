"""urllib3 connections that connect only where `bot.fetch.guard` allows: the pools of a
feed from Telegram or OPML use them (`bot.fetch.pools`)."""

from __future__ import annotations

import functools
import socket
from typing import Any

from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

from bot.errors import NetworkError
from bot.fetch.guard import addresses

__all__ = ["pinned"]


@functools.cache
def pinned(base: type[Any], reach: str) -> type[Any]:
    """`base` (urllib3's HTTP(S)Connection) connecting only to addresses `reach` allows:
    the host is resolved and checked here, and the socket opened to a checked address, so
    what was checked is what is connected to. TLS still verifies the certificate against
    the host name, and the Host header names it (urllib3 reads `self.host` for both)."""

    class Pinned(base):
        def _new_conn(self) -> socket.socket:
            try:
                found = addresses(self.host, self.host, self.port, reach)
            except NetworkError as exc:
                raise NameResolutionError(self.host, self, socket.gaierror(
                    socket.EAI_NONAME, exc.reason)) from None
            error: Exception | None = None
            for address in found:       # in the resolver's order, as urllib3 does
                try:
                    sock = connection.create_connection(
                        (address, self.port), self.timeout, source_address=self.source_address,
                        socket_options=self.socket_options)
                except TimeoutError as exc:
                    error = ConnectTimeoutError(self, f"Connection to {self.host} timed out. "
                                                      f"(connect timeout={self.timeout})")
                    error.__cause__ = exc
                except OSError as exc:
                    error = NewConnectionError(self, "Failed to establish a new connection: "
                                                     f"{exc}")
                else:
                    return sock
            assert error is not None
            raise error

    return Pinned
