"""The config stage: `load()` a YAML file into frozen `Settings`, write edits back with
comments kept (`ConfigEditor`), watch the file for live reload, OPML import and export."""

from bot.config.edit import ConfigEditor, Edited
from bot.config.loader import load
from bot.config.opml import export_opml, read_opml
from bot.config.reload import INTERVAL, ConfigWatcher, needs_restart
from bot.config.values import duration, feed_url, web_url

__all__ = ["INTERVAL", "ConfigEditor", "ConfigWatcher", "Edited", "duration", "export_opml",
           "feed_url", "load", "needs_restart", "read_opml", "web_url"]
