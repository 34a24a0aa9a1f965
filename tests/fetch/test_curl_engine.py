"""bot.fetch.curl and the held answers of bot.http_client, against the real feed server on
127.0.0.1. Everything a fetch does through either engine is in test_fetch.py (it runs each
test through both); here is what only the curl engine has."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("pycurl", reason="the curl extra is not installed")

import bot.fetch.get
from bot.fetch import FetchLimits, Outcome, fetch, make_session
from bot.fetch.client import HttpClient
from bot.fetch.curl import CurlEngine
from bot.fetch.curl_request import Request, head
from bot.models import Fetched
from tests.fakes.feed_server import FeedServer

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
FAST = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=5)


@pytest.mark.parametrize(("lines", "status", "headers"), [
    ([b"HTTP/1.1 200 OK\r\n", b"ETag: \"a\"\r\n", b"\r\n"], 200, {"etag": '"a"'}),
    ([b"HTTP/1.1 100 Continue\r\n", b"\r\n", b"HTTP/1.1 304 Not Modified\r\n",
      b"Date: x\r\n", b"\r\n"], 304, {"date": "x"}),
    ([b"HTTP/1.1 200 Connection established\r\n", b"Via: proxy\r\n", b"\r\n",
      b"HTTP/2 404\r\n", b"content-type: text/plain\r\n", b"\r\n"], 404,
     {"content-type": "text/plain"}),
    ([b"HTTP/1.1 200 OK\r\n", b"Vary: Accept\r\n", b"VARY: Cookie\r\n", b"\r\n"], 200,
     {"vary": "Accept, Cookie"}),
    ([b"HTTP/1.1 200 OK\r\n", b"Location: /caf\xc3\xa9\r\n"], 200,
     {"location": "/caf\xc3\xa9"}),       # Latin-1, as http.client reads them
], ids=["plain", "after-1xx", "after-proxy-connect", "repeated-joined", "latin-1"])
def test_the_last_response_head_is_read(lines: list[bytes], status: int,
                                        headers: dict[str, str]) -> None:
    assert head(lines) == (status, headers)


def send_and_drive(url: str, session: HttpClient) -> Outcome:
    """`fetch.send` on an engine driven here, as `bot.poll.mux` drives it; its outcome."""
    driver, outcomes = session.engine(), []
    bot.fetch.get.send(url, etag=None, last_modified=None, limits=FAST, session=session,
                   engine=driver, done=outcomes.append)
    while not outcomes:
        driver.step()
    driver.close()
    return outcomes[0]


def test_a_multiplexed_session_answers_a_sent_request_from_what_it_holds(
        feed_server: FeedServer) -> None:
    """`fetch.send` starts a feed's request on an engine the caller drives (bot.poll_mux);
    the `fetch` that follows takes the held answer and asks the server nothing more."""
    url = feed_server.set_feed("/held.xml", RSS)
    session = make_session(engine="curl")
    outcome = send_and_drive(url, session)
    assert outcome is not None and not isinstance(outcome, Exception)
    assert outcome[0] == 200 and outcome[2] == RSS
    result = fetch(url, limits=FAST, session=session)
    assert isinstance(result, Fetched) and result.body == RSS
    assert len(feed_server.requests_for("/held.xml")) == 1
    again = fetch(url, limits=FAST, session=session)       # nothing held now: asks again
    assert isinstance(again, Fetched) and len(feed_server.requests_for("/held.xml")) == 2


def test_a_held_answer_is_only_for_the_same_request(feed_server: FeedServer) -> None:
    url = feed_server.set_feed("/validators.xml", RSS)
    session = make_session(engine="curl")
    send_and_drive(url, session)
    # Other validators, another request: the held (unconditional) answer is not used.
    assert isinstance(fetch(url, etag='"other"', limits=FAST, session=session), Fetched)
    assert len(feed_server.requests_for("/validators.xml")) == 2


def test_closing_an_engine_with_transfers_in_flight_frees_them(feed_server: FeedServer) -> None:
    url = feed_server.set_feed("/slow-close.xml", RSS, delay=5)
    engine, told = CurlEngine(thread=False), []
    engine.submit(Request(feed_url=url, url=url, headers={}, limits=FAST, connect=2, read=2,
                          total=5, proxy="", ca_file=""), told.append)
    engine.step()
    engine.close()          # returns at once: the transfer is dropped, not waited for
    assert told == []


def test_the_shared_engine_serves_many_threads_at_once(feed_server: FeedServer) -> None:
    urls = [feed_server.set_feed(f"/t{i}.xml", RSS, delay=0.2) for i in range(6)]
    session, results = make_session(engine="curl"), []
    threads = [threading.Thread(target=lambda u=u: results.append(
        fetch(u, limits=FAST, session=session))) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and all(isinstance(r, Fetched) for r in results)
    assert feed_server.peak_concurrency() == 6        # in flight together, one engine thread
