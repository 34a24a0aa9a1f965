"""Polling at the pipeline/service level: several real feeds on loopback, one hostile feed
of each kind, the real store and pipeline; the others still post. Fetch- and parse-level
cases are in test_fetch.py / test_parse.py; here we check what the poller makes of them."""

from __future__ import annotations

import contextlib
import logging
import ssl
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import load
from bot.pipeline import Context, OutageDetector, build_context, refresh_feed
from bot.poll import HostLimiter, ParsePool, poll_cycle
from bot.settings import Settings
from bot.store import Store
from bot.store.schema import outbox
from tests.conftest import HTTP_ENGINES, ROOT
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.fetch.test_fetch import _self_signed

NOW = datetime.now(UTC)
ENGINE = {"name": "auto"}       # polling.http_engine for the configs below: see `http_engine`


@pytest.fixture(autouse=True, params=HTTP_ENGINES)
def http_engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test here polls through both engines: threads fetching with urllib3, and one
    thread sending every request through libcurl (bot.poll_mux)."""
    ENGINE["name"] = request.param
    yield request.param
    ENGINE["name"] = "auto"


def story(n: int, title: str = "Leaders agree to a summit") -> Item:
    return Item(guid=f"id-{n}", title=f"{title} {n}", description=f"<p>{title}, part {n}.</p>",
                published=NOW + timedelta(minutes=1 + n), link=f"https://news.example/{n}")


def good_feed(n: int) -> bytes:
    return rss([story(n * 10 + i) for i in range(3)], title=f"Good {n}")


HOSTILE_XML = {
    "malformed": b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken & co</title>'
                 b"<item><title>Summit in <i>Oslo</title><guid>m1</guid></item></channel>",
    "wrong_encoding": '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                      "<title>Café</title><item><title>Crème summit</title><guid>w1</guid>"
                      "</item></channel></rss>".encode("latin-1"),
    "entity_expansion": ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "'
                         + "A" * 10240 + '">\n]>\n<rss version="2.0"><channel><title>q</title>'
                         "<item><title>Summit &big;</title><guid>e1</guid><description>"
                         + "&big;" * 6000 + "</description></item></channel></rss>").encode(),
    "no_guid_no_link": b'<?xml version="1.0"?><rss version="2.0"><channel><title>Notices</title>'
                       b"<item><title>Village summit on Friday</title></item>"
                       b"<item><title>Library summit opens late</title></item></channel></rss>",
}


def write_config(tmp: Path, urls: list[str], extra: str = "", polling: str = "") -> Path:
    feeds = "\n".join(f"  - url: {u}\n    name: Feed {i}" for i, u in enumerate(urls))
    path = tmp / "newsbot.yaml"
    path.write_text(f"""channel: "@watch"
defaults: {{every: 10m}}
polling: {{total_timeout: 2, read_timeout: 1, connect_timeout: 1, max_bytes: 1MB,
          http_engine: {ENGINE["name"]}{polling}}}
feeds:
{feeds}
topics:
  summits:
    terms: [summit]
{extra}""")
    return path


def setup(tmp: Path, urls: list[str], extra: str = "",
          polling: str = "") -> tuple[Settings, Context]:
    settings = load(write_config(tmp, urls, extra, polling),
                    env={"DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite'}"})
    store = Store(settings.database_url.reveal())
    store.migrate()
    store.ensure_feeds((f.url for f in settings.feeds), NOW - timedelta(minutes=1))
    return settings, build_context(settings, store)


def poll(settings: Settings, ctx: Context, pool: ParsePool | None = None) -> dict[str, object]:
    reports = poll_cycle(ctx, settings.feeds, workers=8, limiter=HostLimiter(2),
                         parse_pool=pool)
    return {r.url: r for r in reports}


def alerts(ctx: Context) -> list[str]:
    with ctx.store.engine.connect() as conn:
        return list(conn.execute(select(outbox.c.body).where(outbox.c.kind == "alert")
                                 .order_by(outbox.c.id)).scalars())


@pytest.fixture(scope="module")
def parse_pool() -> Iterator[ParsePool]:
    pool = ParsePool(2)
    yield pool
    pool.close()


@pytest.mark.parametrize("in_processes", [False, True], ids=["inline", "parse-pool"])
def test_one_hostile_feed_of_each_kind_and_the_others_still_post(
        feed_server: FeedServer, tmp_path: Path, parse_pool: ParsePool, in_processes: bool,
        caplog: pytest.LogCaptureFixture) -> None:
    good = [feed_server.set_feed(f"/good{n}.xml", good_feed(n)) for n in range(3)]
    recovered = {k: feed_server.set_feed(f"/{k}.xml", body) for k, body in HOSTILE_XML.items()}
    failing = {
        "not a feed: looks like an HTML page": feed_server.set_html("/page.html"),
        "empty response": feed_server.set_feed("/empty.xml", b""),
        "drip-feeding": feed_server.set_feed("/drip.xml", good_feed(9), mode="drip",
                                             delay=0.05, piece=16),
        "exceeded 1 MB cap": feed_server.set_huge("/huge.xml", 1 << 30),
        "redirect loop": feed_server.set_redirect_loop("/loop-a.xml", "/loop-b.xml"),
    }
    settings, ctx = setup(tmp_path, [*good, *recovered.values(), *failing.values()],
                          extra="backfill: 10")
    with caplog.at_level(logging.WARNING):
        reports = poll(settings, ctx, parse_pool if in_processes else None)

    for url in good:
        assert reports[url].outcome == "ok" and reports[url].queued == 3  # type: ignore[attr-defined]
    for kind, url in recovered.items():
        report = reports[url]
        assert report.outcome == "ok" and report.queued >= 1, kind  # type: ignore[attr-defined]
    for message, url in failing.items():
        report = reports[url]
        assert report.outcome == "error", message  # type: ignore[attr-defined]
        assert message in report.error and url in report.error  # type: ignore[attr-defined]
    assert "not well-formed" in caplog.text                      # malformed XML is named
    entity = ctx.store.recent_articles(NOW - timedelta(days=1))
    assert max(len(a["summary"]) for a in entity) < 10_000       # no quadratic blowup


def test_invalid_tls_is_a_clear_error_and_the_others_post(
        feed_server: FeedServer, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FeedServer(ssl_context=context) as tls:
        bad = tls.set_feed("/tls.xml", good_feed(1))
        good = feed_server.set_feed("/good.xml", good_feed(2))
        settings, ctx = setup(tmp_path, [bad, good])
        reports = poll(settings, ctx)
    assert reports[good].queued == 3  # type: ignore[attr-defined]
    assert "TLS certificate invalid" in reports[bad].error  # type: ignore[attr-defined]


def test_304_and_an_unchanged_body_skip_parsing(feed_server: FeedServer, tmp_path: Path) -> None:
    polite = feed_server.set_feed("/polite.xml", good_feed(1))
    rude = feed_server.set_feed("/rude.xml", good_feed(2), ignore_conditional=True)
    settings, ctx = setup(tmp_path, [polite, rude])
    poll(settings, ctx)
    second = poll(settings, ctx)
    assert second[polite].outcome == "not_modified"  # type: ignore[attr-defined]
    assert second[rude].outcome == "unchanged"  # type: ignore[attr-defined]
    assert second[rude].items == 0  # type: ignore[attr-defined]   # not parsed
    assert "if-none-match" in feed_server.requests_for("/polite.xml")[-1].headers
    assert feed_server.requests_for("/polite.xml")[-1].status == 304


def test_permanent_redirect_polls_the_new_url_and_asks_for_a_config_update(
        feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    new = feed_server.set_feed("/new.xml", good_feed(1))
    old = feed_server.set_redirect("/old.xml", "/new.xml", status=301)
    settings, ctx = setup(tmp_path, [old])
    with caplog.at_level(logging.WARNING):
        poll(settings, ctx)
        poll(settings, ctx)
    assert len(feed_server.requests_for("/old.xml")) == 1        # then straight to the new URL
    assert len(feed_server.requests_for("/new.xml")) == 2
    assert ctx.store.feed_state(old).moved_to == new
    assert caplog.text.count(f"Update your config: replace {old} with {new}") == 1


def test_gone_feed_stops_polling_and_is_reported_once(
        feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.set_status("/gone.xml", 410)
    settings, ctx = setup(tmp_path, [url], extra='operator_chat: "@ops_team"')
    report = poll(settings, ctx)[url]
    assert report.outcome == "gone"  # type: ignore[attr-defined]
    assert ctx.store.feed_state(url).gone
    [alert] = alerts(ctx)
    assert "gone (410)" in alert


def test_failing_feed_alerts_once_after_alert_after_and_again_on_recovery(
        feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = feed_server.set_status("/flaky.xml", 500)
    settings, ctx = setup(tmp_path, [url], extra='operator_chat: "@ops_team"')
    feed = settings.feeds[0]
    with caplog.at_level(logging.WARNING):
        for minutes in (0, 30, 59):
            refresh_feed(ctx, feed, NOW + timedelta(minutes=minutes))
        assert alerts(ctx) == []                                  # not yet alert_after (1 h)
        for minutes in (61, 120, 300):
            refresh_feed(ctx, feed, NOW + timedelta(minutes=minutes))
        assert len(alerts(ctx)) == 1 and "failing since" in alerts(ctx)[0]
        feed_server.set_feed("/flaky.xml", good_feed(1))
        report = refresh_feed(ctx, feed, NOW + timedelta(minutes=400))
    assert report.outcome == "ok"
    assert len(alerts(ctx)) == 2 and "recovered" in alerts(ctx)[1]
    assert caplog.text.count("ALERT: feed") == 1 and "recovered after 6 failures" in caplog.text


def test_without_an_operator_chat_the_alert_is_only_logged(
        feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = feed_server.set_status("/down.xml", 503)
    settings, ctx = setup(tmp_path, [url])
    with caplog.at_level(logging.WARNING):
        for hours in (0, 2):
            refresh_feed(ctx, settings.feeds[0], NOW + timedelta(hours=hours))
    assert alerts(ctx) == [] and "ALERT: feed" in caplog.text


def test_failures_back_off_and_honour_retry_after(feed_server: FeedServer, tmp_path: Path) -> None:
    busy = feed_server.set_status("/busy.xml", 429, retry_after="7200")
    broken = feed_server.set_status("/broken.xml", 500)
    settings, ctx = setup(tmp_path, [busy, broken])
    busy_feed, broken_feed = settings.feeds
    assert refresh_feed(ctx, busy_feed, NOW).next_poll_at >= NOW + timedelta(hours=1.8)
    waits = [refresh_feed(ctx, broken_feed, NOW).next_poll_at - NOW for _ in range(12)]
    assert waits[3] > waits[0] * 6                              # 10 m, ~20, ~40, ~80 m
    assert max(waits) <= settings.polling.backoff_max * (1 + settings.polling.jitter)
    assert ctx.store.feed_state(broken).error_count == 12       # still polled: never silent


def test_every_feed_failing_at_once_is_our_outage_not_theirs(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with FeedServer() as server:                 # take a port, then close it: refused
        port_url = server.url("")
    urls = [f"{port_url}/f{i}.xml" for i in range(10)]
    settings, ctx = setup(tmp_path, urls, extra='operator_chat: "@ops_team"')
    with caplog.at_level(logging.INFO):
        for hours in (0, 1, 2, 3):
            poll_cycle(ctx, settings.feeds, workers=4, limiter=HostLimiter(2),
                       clock=lambda h=hours: NOW + timedelta(hours=h))  # type: ignore[misc]
    assert caplog.text.count("network appears down") == 1
    counted = [ctx.store.feed_state(u).error_count for u in urls]
    assert max(counted) <= 1 and sum(counted) <= 4             # only the first few, once
    assert alerts(ctx) == [] and "ALERT" not in caplog.text
    state = ctx.store.feed_state(urls[-1])
    assert state.next_poll_at is not None and state.next_poll_at < NOW + timedelta(hours=3,
                                                                                   minutes=5)


def test_outage_detector_needs_most_polls_failing() -> None:
    detector = OutageDetector(min_samples=5)
    assert not any(detector.record(NOW, network_failure=True) for _ in range(4))
    assert detector.record(NOW, network_failure=True)
    for _ in range(2):
        detector.record(NOW, network_failure=False)
    assert not detector.down                                     # 5 of 7 < 80 %
    assert not detector.record(NOW + timedelta(hours=1), network_failure=True)  # window moved


def test_per_host_limit_holds_across_workers(feed_server: FeedServer, tmp_path: Path) -> None:
    urls = [feed_server.set_feed(f"/s{i}.xml", good_feed(i), delay=0.1) for i in range(8)]
    settings, ctx = setup(tmp_path, urls)
    poll(settings, ctx)
    assert feed_server.peak_concurrency() <= 2


def test_each_feed_is_asked_once_per_cycle_whatever_it_answers(
        feed_server: FeedServer, tmp_path: Path) -> None:
    # With curl, the cycle's thread sends the requests and a polling thread then takes the
    # held answer (a 200, an error): neither asks the server a second time.
    paths = {"/changing.xml": "ok", "/same.xml": "not_modified", "/broken.xml": "error",
             "/missing.xml": "error", "/busy.xml": "error"}
    feed_server.set_feed("/changing.xml", good_feed(1))
    feed_server.set_feed("/same.xml", good_feed(2))
    feed_server.set_feed("/broken.xml", b"<html><body>Not a feed</body></html>", "text/html")
    feed_server.set_status("/missing.xml", 404)
    feed_server.set_status("/busy.xml", 503, retry_after="1")
    settings, ctx = setup(tmp_path, [feed_server.url(p) for p in paths])
    poll(settings, ctx)
    feed_server.add_item("/changing.xml", "<item><title>Summit news</title><guid>new-1</guid>"
                                          "<link>https://news.example/new-1</link></item>")
    second = poll(settings, ctx)
    for path, outcome in paths.items():
        assert second[feed_server.url(path)].outcome == outcome, path  # type: ignore[attr-defined]
        assert len(feed_server.requests_for(path)) == 2, path
    assert second[feed_server.url("/changing.xml")].new == 1  # type: ignore[attr-defined]


def test_a_feed_another_process_holds_is_not_asked(
        feed_server: FeedServer, tmp_path: Path) -> None:
    mine, theirs = feed_server.set_feed("/mine.xml", good_feed(1)), \
        feed_server.set_feed("/theirs.xml", good_feed(2))
    settings, ctx = setup(tmp_path, [mine, theirs])

    @contextlib.contextmanager
    def gate(url: str) -> Iterator[bool]:      # a feed lease (bot.service): theirs is taken
        yield url == mine

    reports = {r.url: r for r in poll_cycle(ctx, settings.feeds, workers=4,
                                             limiter=HostLimiter(2), gate=gate)}
    assert reports[mine].outcome == "ok" and reports[theirs].outcome == "skipped"
    assert len(feed_server.requests_for("/mine.xml")) == 1
    assert feed_server.requests_for("/theirs.xml") == []


@pytest.mark.timeout(30)
def test_a_cycle_where_other_processes_hold_every_feed_ends(
        feed_server: FeedServer, tmp_path: Path) -> None:
    urls = [feed_server.set_feed(f"/held{i}.xml", good_feed(i)) for i in range(5)]
    settings, ctx = setup(tmp_path, urls)

    @contextlib.contextmanager
    def gate(url: str) -> Iterator[bool]:
        yield url == urls[-1]       # only the last of one host's feeds is ours

    reports = poll_cycle(ctx, settings.feeds, workers=2, limiter=HostLimiter(1), gate=gate)
    assert [r.outcome for r in reports] == ["skipped"] * 4 + ["ok"]
    assert sum(len(feed_server.requests_for(f"/held{i}.xml")) for i in range(5)) == 1


def test_every_auto_follows_the_publishing_rate(feed_server: FeedServer, tmp_path: Path) -> None:
    hourly = [Item(guid=f"h{i}", title=f"Item {i}", description="x", link=f"https://x.example/{i}",
                   published=NOW - timedelta(hours=i)) for i in range(6)]
    url = feed_server.set_feed("/hourly.xml", rss(hourly))
    settings, ctx = setup(tmp_path, [url])
    settings = load(write_config(tmp_path, [url]).parent / "newsbot.yaml",
                    env={"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    auto = settings.feeds[0].__class__(url=url, every=None)
    report = refresh_feed(ctx, auto, NOW)
    assert ctx.store.feed_state(url).publish_interval == 3600
    wait = report.next_poll_at - NOW  # type: ignore[operator]
    assert timedelta(minutes=26) < wait < timedelta(minutes=34)  # half of 1 h, ± jitter
    again = refresh_feed(ctx, auto, NOW + timedelta(hours=1))    # 304: the stored rate is kept
    assert again.outcome == "not_modified"
    assert timedelta(minutes=26) < again.next_poll_at - NOW - timedelta(hours=1)  # type: ignore[operator]


def test_run_once_posts_from_good_feeds_beside_hostile_ones(
        feed_server: FeedServer, telegram_api, tmp_path: Path) -> None:
    good = feed_server.set_feed("/good.xml", good_feed(1))
    hostile = [feed_server.set_html("/page.html"), feed_server.set_feed("/empty.xml", b""),
               feed_server.set_redirect_loop("/a.xml", "/b.xml"),
               feed_server.set_feed("/bomb.xml", HOSTILE_XML["entity_expansion"]),
               feed_server.set_status("/gone.xml", 410)]
    config = write_config(tmp_path, [*hostile, good], extra="backfill: 5")
    env = {"NEWSBOT_CONFIG": str(config), "DATABASE_URL": f"sqlite:///{tmp_path / 'db'}",
           "TELEGRAM_BOT_TOKEN": telegram_api.token, "TELEGRAM_API_URL": telegram_api.base_url,
           "NO_PROXY": "127.0.0.1,localhost", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--once"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert len(telegram_api.texts("@watch")) == 4                # 3 good + the defused one
    for needle in ("looks like an HTML page", "empty response", "redirect loop", "410 Gone"):
        assert needle in out


@pytest.mark.parametrize("in_processes", [False, True], ids=["inline", "parse-pool"])
def test_a_long_feed_with_one_new_item_posts_it_and_reads_the_known_ones_briefly(
        feed_server: FeedServer, tmp_path: Path, parse_pool: ParsePool,
        in_processes: bool) -> None:
    quiet = [story(n, title="Council meets") for n in range(40)]
    url = feed_server.set_feed("/long.xml", rss(quiet))
    settings, ctx = setup(tmp_path, [url])
    pool = parse_pool if in_processes else None
    assert poll(settings, ctx, pool)[url].new == 40                    # type: ignore[attr-defined]
    # One new matching story, published before all the others: it sorts last in the
    # document, past the entries read in full, and must still be found and posted.
    early = Item(guid="id-new", title="Leaders agree to a summit", published=NOW - timedelta(
        hours=1), description="<p>Leaders agree to a summit.</p>", link="https://news.example/n")
    feed_server.set_feed("/long.xml", rss([*quiet, early]))
    report = poll(settings, ctx, pool)[url]
    assert (report.items, report.new, report.queued) == (41, 1, 1)   # type: ignore[attr-defined]
    feed_server.set_feed("/long.xml", rss([*quiet, early]) + b" ")    # same items, new bytes
    assert poll(settings, ctx, pool)[url].new == 0                     # type: ignore[attr-defined]


def test_a_feed_with_more_history_than_the_known_key_read_still_finds_its_new_item(
        feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.feedwork.work

    monkeypatch.setattr(bot.feedwork.work.KnownKeys, "LIMIT", 5)    # 30 recorded: incomplete
    quiet = [story(n, title="Council meets") for n in range(30)]
    url = feed_server.set_feed("/history.xml", rss(quiet))
    settings, ctx = setup(tmp_path, [url])
    poll(settings, ctx)
    feed_server.set_feed("/history.xml", rss([*quiet, story(99)]))
    report = poll(settings, ctx)[url]
    assert (report.items, report.new, report.queued) == (31, 1, 1)   # type: ignore[attr-defined]


@pytest.mark.parametrize("allow_private", [False, True], ids=["public-only", "allow-private"])
def test_a_feed_from_telegram_reaches_loopback_only_when_allowed(
        feed_server: FeedServer, tmp_path: Path, allow_private: bool) -> None:
    good = feed_server.set_feed("/good.xml", good_feed(1))
    inside = feed_server.set_feed("/inside.xml", good_feed(2))
    settings, ctx = setup(tmp_path, [good, f"{inside}\n    origin: telegram"], "backfill: 10",
                          polling=", allow_private: true" if allow_private else "")
    reports = poll(settings, ctx)
    assert reports[good].outcome == "ok" and reports[good].queued == 3  # type: ignore[attr-defined]
    report = reports[inside]
    if allow_private:
        assert report.outcome == "ok" and report.queued == 3  # type: ignore[attr-defined]
    else:       # refused before any connection; the operator reads why
        assert report.outcome == "error"  # type: ignore[attr-defined]
        assert "127.0.0.1 is a loopback address" in report.error  # type: ignore[attr-defined]
        assert feed_server.requests_for("/inside.xml") == []
