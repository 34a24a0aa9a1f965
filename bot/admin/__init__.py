"""Admin commands in Telegram: `AdminBot` reads updates, `Commands` decides what to do."""

from bot.admin.bot import AdminBot, ReaderState
from bot.admin.commands import Commands

__all__ = ["AdminBot", "Commands", "ReaderState"]
