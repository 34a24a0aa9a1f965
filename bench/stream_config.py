"""The stream bench's config: what each replay's newsbot runs with, written in its directory.

The repo's config/topics.yaml (read at run time: the bench measures the working tree's
topics), each topic routed to its own channel, one feed per outlet, and delivery settings
that cannot shape what is posted.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ruamel.yaml import YAML

from bot.config import load
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = {"summits": "@summits", "sanctions": "@sanctions"}
DEFAULT_CHANNEL = "@other"
# Pacing never binds and there are no digests (a digest would still be scored, entry by
# entry); "Also:" edits go out within the same `run --once` (1 s: the loader refuses 0 s, a
# duration must be positive); no quiet hours (there are none by default).
DELIVERY = {"per_chat_per_minute": 100_000, "per_second": 100_000, "digest_after": 1_000_000,
            "edit_interval": "1s"}
SEMANTIC_OFF = {"model": "off"}      # the keyword-only variant


def semantic_switch() -> str:
    """"" when the config loader takes `semantic: {model: off}`, else its refusal."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "newsbot.yaml"
        YAML().dump({"feeds": ["http://127.0.0.1/feed.xml"], "topics": {"t": {"terms": ["x"]}},
                     "semantic": SEMANTIC_OFF}, path)
        try:
            load(path, env={})
        except ConfigError as exc:
            return str(exc).replace(str(path), "newsbot.yaml")
    return ""


def write_config(where: Path, feeds: dict[str, str], *, semantic_off: bool = False,
                 merge: str | None = None) -> Path:
    """The replay's newsbot.yaml (and its topics.yaml) in `where`; `feeds`: name -> URL;
    `merge`: `dedupe.merge`, else the default."""
    yaml = YAML()
    topics = yaml.load((ROOT / "config" / "topics.yaml").read_text(encoding="utf-8"))
    for name, chat in CHANNELS.items():
        topics["topics"][name]["channel"] = chat     # a topic's channel wins (Settings)
    yaml.dump(topics, where / "topics.yaml")
    doc: dict[str, object] = {
        "channel": DEFAULT_CHANNEL, "backfill": 0, "include": ["topics.yaml"],
        "feeds": [{"url": url, "name": name} for name, url in feeds.items()],
        "delivery": DELIVERY, "log": {"level": "WARNING"}}
    if semantic_off:
        doc["semantic"] = SEMANTIC_OFF
    if merge:
        doc["dedupe"] = {"merge": merge}
    path = where / "newsbot.yaml"
    yaml.dump(doc, path)
    load(path, env={})         # a config the CLI would refuse is the bench's bug: say so now
    return path
