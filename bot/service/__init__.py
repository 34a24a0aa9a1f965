"""The process: `Service` runs the scheduler and the sender; its host runs admin commands,
config reload, /healthz and /metrics; logging set-up."""

from bot.service.logs import setup_logging
from bot.service.service import Service

__all__ = ["Service", "setup_logging"]
