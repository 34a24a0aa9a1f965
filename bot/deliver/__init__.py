"""The deliver stage, the only code besides `admin` that imports telegram: `Sender`
drains the outbox through a `Deliverer` (Telegram or the console), paced."""

from bot.deliver.base import Deliverer, Sent
from bot.deliver.console import ConsoleDeliverer
from bot.deliver.pacing import Pacer
from bot.deliver.probe import ChatAccess, TelegramProbe
from bot.deliver.sender import Sender
from bot.deliver.telegram import TelegramDeliverer

__all__ = ["ChatAccess", "ConsoleDeliverer", "Deliverer", "Pacer", "Sender", "Sent",
           "TelegramDeliverer", "TelegramProbe"]
