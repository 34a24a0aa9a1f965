"""Prometheus metrics, one registry for the process (served by `bot.service.ops` on /metrics).

Counters are incremented where things happen (pipeline, sender); gauges are set by the
service loop. Names follow https://prometheus.io/docs/practices/naming/.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

FEEDS_POLLED = Counter("newsbot_feeds_polled", "Feed polls, by outcome "
                       "(ok, not_modified, unchanged, error, gone)", ["outcome"],
                       registry=REGISTRY)
FEED_FAILURES = Counter("newsbot_feed_failures", "Failed feed polls", registry=REGISTRY)
ITEMS_PARSED = Counter("newsbot_items_parsed", "Feed items parsed", registry=REGISTRY)
MATCHES = Counter("newsbot_matches", "New articles matched, by topic", ["topic"],
                  registry=REGISTRY)
POSTS_SENT = Counter("newsbot_posts_sent", "Messages Telegram accepted, by kind "
                     "(post, edit, digest)", ["kind"], registry=REGISTRY)
RETRY_AFTER = Counter("newsbot_telegram_429", "429 Too Many Requests received",
                      registry=REGISTRY)
QUEUE_DEPTH = Gauge("newsbot_outbox_pending", "Outbox rows waiting to be sent",
                    registry=REGISTRY)
FEEDS_FAILING = Gauge("newsbot_feeds_failing", "Feeds whose last poll failed",
                      registry=REGISTRY)
LAG = Histogram("newsbot_publish_to_post_seconds", "From the item's publication to the post",
                buckets=(30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400),
                registry=REGISTRY)
