"""Types the service package shares: `Runner`, what the host (bot/service/host.py) and its
health report (bot/service/health.py) need of the service they run beside.

At the package's bottom so both can import it without importing each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.deliver import Deliverer
from bot.settings import Settings
from bot.store import Store

__all__ = ["Runner"]


class Runner(Protocol):
    """What the host needs of the service it runs beside (`bot.service.Service`): it reads
    these and asks through the methods, never reaching into the service's internals."""

    settings: Settings
    store: Store
    owner: str
    started_at: datetime
    stopping: bool
    deliverer: Deliverer

    async def apply_settings(self, settings: Settings) -> None: ...

    def hold_sending(self, held: bool) -> None: ...

    def wake_up(self) -> None: ...
