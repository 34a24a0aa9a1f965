"""bot.fetch.get against a real HTTP(S) server on 127.0.0.1 (tests/fakes/feed_server.py)."""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import logging
import os
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from email.utils import format_datetime
from pathlib import Path

import pytest

import bot.fetch.get
from bot.config import load
from bot.errors import (
    ConfigError,
    FeedGone,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    TooLarge,
)
from bot.fetch import FetchLimits, fetch, fetch_page, make_session
from bot.fetch.client import HttpClient
from bot.fetch.messages import parse_retry_after, redact
from bot.models import Fetched, NotModified
from tests.conftest import HTTP_ENGINES
from tests.fakes.feed_server import FeedServer

RSS = (b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>World</title>'
       b"<item><title>One</title><link>https://example.org/1</link></item></channel></rss>")
FAST = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=5)
MB = 1024 * 1024


@pytest.fixture(autouse=True, params=HTTP_ENGINES)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs through both HTTP engines (bot.http_client): a fetch without a
    session of its own uses the shared one, made here for the engine."""
    monkeypatch.setattr(bot.fetch.get, "_default_session", make_session(engine=request.param))
    return str(request.param)


# --- conditional GET (RFC 9110 §13.1) ------------------------------------------------------

def test_first_fetch_returns_body_validators_and_lowercase_headers(feed_server: FeedServer):
    url = feed_server.set_feed("/world.xml", RSS)
    result = fetch(url, limits=FAST)
    assert isinstance(result, Fetched)
    assert result.status == 200 and result.body == RSS and result.url == url
    assert result.etag and result.last_modified and result.moved_to is None
    assert all(k == k.lower() for k in result.headers) and type(result.headers) is dict
    sent = feed_server.requests_for("/world.xml")[0].headers
    assert sent["user-agent"].startswith("newsbot/")
    assert "if-none-match" not in sent and "if-modified-since" not in sent


@pytest.mark.parametrize("validator", ["etag", "last_modified", "both"])
def test_unchanged_feed_gives_not_modified_via_conditional_get(feed_server, validator):
    url = feed_server.set_feed("/world.xml", RSS)
    first = fetch(url, limits=FAST)
    assert isinstance(first, Fetched)
    etag = first.etag if validator in ("etag", "both") else None
    lm = first.last_modified if validator in ("last_modified", "both") else None
    again = fetch(url, etag=etag, last_modified=lm, limits=FAST)
    assert isinstance(again, NotModified)
    log = feed_server.requests_for("/world.xml")
    assert [r.status for r in log] == [200, 304]
    assert log[1].headers.get("if-none-match") == etag
    assert log[1].headers.get("if-modified-since") == lm


def test_new_item_between_polls_is_fetched_again(feed_server):
    url = feed_server.set_feed("/world.xml", RSS)
    first = fetch(url, limits=FAST)
    feed_server.add_item("/world.xml", "<item><title>Two</title></item>")
    second = fetch(url, etag=first.etag, last_modified=first.last_modified, limits=FAST)
    assert isinstance(second, Fetched) and b"<title>Two</title>" in second.body
    assert second.etag != first.etag and second.body_hash != first.body_hash


def test_server_ignoring_conditional_get_is_caught_by_body_hash(feed_server):
    url = feed_server.set_feed("/dumb.xml", RSS, ignore_conditional=True)
    first = fetch(url, limits=FAST)
    assert isinstance(first, Fetched) and first.etag is None
    assert isinstance(fetch(url, body_hash=first.body_hash, limits=FAST), NotModified)
    assert isinstance(fetch(url, body_hash="0" * 64, limits=FAST), Fetched)
    assert [r.status for r in feed_server.requests_for("/dumb.xml")] == [200, 200, 200]


def test_gzip_encoded_feed_is_decoded(feed_server):
    url = feed_server.set_feed("/gz.xml", gzip.compress(RSS),
                               headers={"Content-Encoding": "gzip"})
    result = fetch(url, limits=FAST)
    assert isinstance(result, Fetched) and result.body == RSS


# --- size caps, bombs, deadlines -----------------------------------------------------------

def _measured(call):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FetchError) as caught:
            call()
        return caught.value, time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("setup", "what"), [
    (lambda s: s.set_huge("/huge.xml", 1 << 30), "1 GB chunked body, cut while streaming"),
    (lambda s: s.set_huge("/huge.xml", 1 << 30, content_length=True), "declared 1 GB"),
    (lambda s: s.set_gzip_bomb("/bomb.xml", 256 * MB), "gzip bomb, 256 MB decoded"),
])
def test_oversized_bodies_are_cut_fast_and_small(feed_server, setup, what):
    url = setup(feed_server)
    limits = FetchLimits(max_bytes=2 * MB, total_timeout=10)
    exc, seconds, peak = _measured(lambda: fetch(url, limits=limits))
    assert isinstance(exc, TooLarge), what
    assert url in str(exc) and "2 MB cap" in str(exc) and "polling.max_bytes" in str(exc)
    assert seconds < 3, f"{what}: {seconds:.2f} s"
    assert peak < 4 * limits.max_bytes, f"{what}: peak {peak / MB:.1f} MB"


def test_body_at_the_cap_is_accepted(feed_server):
    url = feed_server.set_feed("/exact.xml", RSS)
    assert isinstance(fetch(url, limits=FetchLimits(max_bytes=len(RSS))), Fetched)
    with pytest.raises(TooLarge):
        fetch(url, limits=FetchLimits(max_bytes=len(RSS) - 1))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_drip_fed_body_hits_the_total_deadline(feed_server, chunked):
    # One byte every 50 ms never trips the 2 s read timeout; only the deadline stops it.
    url = feed_server.set_feed("/drip.xml", RSS, mode="drip", delay=0.05, chunked=chunked)
    limits = FetchLimits(read_timeout=2, total_timeout=0.6)
    started = time.perf_counter()
    with pytest.raises(FetchTimeout) as caught:
        fetch(url, limits=limits)
    assert 0.5 < time.perf_counter() - started < 1.5
    assert url in str(caught.value) and "polling.total_timeout" in str(caught.value)


def test_body_stalled_inside_one_read_is_cut_by_the_watchdog(feed_server):
    # Pieces 3 s apart: a single read outlives the 0.5 s deadline but not the read timeout.
    url = feed_server.set_feed("/stall.xml", RSS, mode="drip", delay=3, piece=64)
    started = time.perf_counter()
    with pytest.raises(FetchTimeout, match=r"not complete within 0\.5 s"):
        fetch(url, limits=FetchLimits(read_timeout=10, total_timeout=0.5))
    assert time.perf_counter() - started < 1.0


def test_silent_server_hits_the_read_timeout(feed_server):
    url = feed_server.set_feed("/slow.xml", RSS, delay=1.0)
    started = time.perf_counter()
    with pytest.raises(FetchTimeout, match="read_timeout"):
        fetch(url, limits=FetchLimits(read_timeout=0.3, total_timeout=5))
    assert time.perf_counter() - started < 0.9


# --- redirects -----------------------------------------------------------------------------

@pytest.mark.parametrize(("chain", "moved"), [
    ([301], True), ([308], True), ([302], False), ([307], False), ([303], False),
    ([301, 308], True), ([302, 301], False),
])
def test_redirect_chain_sets_moved_to_only_for_permanent_hops(feed_server, chain, moved):
    final = feed_server.set_feed("/final.xml", RSS)
    paths = [f"/hop{i}.xml" for i in range(len(chain))] + ["/final.xml"]
    for i, status in enumerate(chain):
        feed_server.set_redirect(paths[i], paths[i + 1], status)
    result = fetch(feed_server.url(paths[0]), limits=FAST)
    assert isinstance(result, Fetched) and result.url == final and result.body == RSS
    assert result.moved_to == (final if moved else None)


def test_mixed_chain_moves_to_the_last_permanent_target(feed_server):
    feed_server.set_feed("/final.xml", RSS)
    feed_server.set_redirect("/a.xml", "/b.xml", 301)
    feed_server.set_redirect("/b.xml", "/final.xml", 302)
    result = fetch(feed_server.url("/a.xml"), limits=FAST)
    assert result.moved_to == feed_server.url("/b.xml")


def test_redirect_loop_is_a_network_error(feed_server):
    url = feed_server.set_redirect_loop("/a.xml", "/b.xml")
    with pytest.raises(NetworkError, match="redirect loop") as caught:
        fetch(url, limits=FAST)
    assert url in str(caught.value)


def test_too_many_redirects_is_a_network_error(feed_server):
    feed_server.set_feed("/final.xml", RSS)
    for i in range(4):
        feed_server.set_redirect(f"/r{i}", f"/r{i + 1}" if i < 3 else "/final.xml", 302)
    with pytest.raises(NetworkError, match="more than 2 redirects"):
        fetch(feed_server.url("/r0"), limits=FetchLimits(max_redirects=2))
    assert isinstance(fetch(feed_server.url("/r0"), limits=FetchLimits(max_redirects=4)),
                      Fetched)


def test_redirect_to_a_local_file_is_refused(feed_server):
    url = feed_server.set_redirect("/evil.xml", "file:///etc/passwd", 302)
    with pytest.raises(NetworkError, match="non-HTTP"):
        fetch(url, limits=FAST)


# --- statuses ------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "retry_after", "error", "expect_retry", "hint"), [
    (410, None, FeedGone, None, "polling stops"),
    (429, "120", HTTPStatusError, 120.0, "retry after 120 s"),
    (503, "7", HTTPStatusError, 7.0, "retry after 7 s"),
    (503, None, HTTPStatusError, None, "back off"),
    (500, None, HTTPStatusError, None, "server error"),
    (404, None, HTTPStatusError, None, "check the URL"),
    (403, None, HTTPStatusError, None, "credentials"),
])
def test_error_statuses_map_to_the_error_tree(feed_server, status, retry_after, error,
                                              expect_retry, hint):
    url = feed_server.set_status("/s.xml", status, retry_after=retry_after)
    with pytest.raises(error) as caught:
        fetch(url, limits=FAST)
    exc = caught.value
    assert type(exc) is error and exc.status == status and exc.retry_after == expect_retry
    assert url in str(exc) and hint in str(exc)


def test_retry_after_as_http_date(feed_server):
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90)
    url = feed_server.set_status("/busy.xml", 429, retry_after=format_datetime(when, True))
    with pytest.raises(HTTPStatusError) as caught:
        fetch(url, limits=FAST)
    assert 80 <= (caught.value.retry_after or 0) <= 91


@pytest.mark.parametrize(("value", "expected"), [
    ("0", 0.0), ("3600", 3600.0), (" 5 ", 5.0), (None, None), ("", None), ("soon", None),
    ("-5", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),        # a past date: retry now
    ("Thu, 01 Jan 1970 00:01:40 GMT", 0.0),
])
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_retry_after_date_is_relative_to_now():
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", now=40.0) == 60.0


# --- network failures ----------------------------------------------------------------------

def test_connection_refused_is_a_network_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"
    with pytest.raises(NetworkError, match="connection refused") as caught:
        fetch(url, limits=FAST)
    assert url in str(caught.value)


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        try:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", str(key), "-out", str(cert), "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                           check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            pytest.skip(f"no cryptography package and no working openssl CLI: {exc}")
        return cert, key
    pkey = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    built = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
             .public_key(pkey.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - dt.timedelta(minutes=5))
             .not_valid_after(now + dt.timedelta(days=1))
             .add_extension(x509.SubjectAlternativeName(
                 [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .sign(pkey, hashes.SHA256()))
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(pkey.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return cert, key


def test_self_signed_certificate_is_a_clear_network_error(tmp_path):
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FeedServer(ssl_context=context) as server:
        url = server.set_feed("/tls.xml", RSS)
        assert url.startswith("https://127.0.0.1:")
        with pytest.raises(NetworkError, match="TLS certificate invalid") as caught:
            fetch(url, limits=FAST)
    assert url in str(caught.value) and "self-signed" in str(caught.value)


def test_a_private_ca_named_by_ssl_cert_file_is_trusted(tmp_path, monkeypatch, engine):
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with FeedServer(ssl_context=context) as server:
        url = server.set_feed("/private-ca.xml", RSS)
        result = fetch(url, limits=FAST, session=make_session(engine=engine))
    assert isinstance(result, Fetched) and result.body == RSS


# --- local files ---------------------------------------------------------------------------

@pytest.mark.parametrize("as_uri", [True, False], ids=["file-url", "path"])
def test_local_file_is_read_and_mtime_acts_as_last_modified(tmp_path, as_uri):
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    url = path.as_uri() if as_uri else str(path)
    first = fetch(url)
    assert isinstance(first, Fetched) and first.body == RSS and first.last_modified
    assert isinstance(fetch(url, last_modified=first.last_modified), NotModified)
    assert isinstance(fetch(url, body_hash=first.body_hash), NotModified)
    path.write_bytes(RSS + b"\n")
    later = time.time() + 5
    os.utime(path, (later, later))
    assert isinstance(fetch(url, last_modified=first.last_modified), Fetched)


def test_local_file_over_the_cap_and_missing_file(tmp_path):
    big = tmp_path / "big.xml"
    big.write_bytes(b" " * 2048)
    with pytest.raises(TooLarge, match=r"polling\.max_bytes"):
        fetch(str(big), limits=FetchLimits(max_bytes=1024))
    missing = tmp_path / "missing.xml"
    with pytest.raises(NetworkError, match="check the path") as caught:
        fetch(missing.as_uri())
    assert missing.as_uri() in str(caught.value)


# --- pages, sessions, logging --------------------------------------------------------------

def test_fetch_page_returns_html_without_conditional_headers(feed_server):
    url = feed_server.set_html("/article.html")
    page = fetch_page(url, limits=FAST)
    assert b"<h1>Latest news</h1>" in page.body
    sent = feed_server.requests_for("/article.html")[0].headers
    assert "text/html" in sent["accept"] and "if-none-match" not in sent


def test_shared_session_polls_concurrently_without_pool_warnings(feed_server, caplog, engine):
    urls = [feed_server.set_feed(f"/f{i}.xml", RSS, delay=0.2) for i in range(8)]
    session = make_session(pool_size=8, engine=engine)
    with caplog.at_level(logging.WARNING, logger="urllib3"), ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda u: fetch(u, limits=FAST, session=session), urls * 2))
    assert all(isinstance(r, Fetched) for r in results)
    assert feed_server.peak_concurrency() == 8
    assert feed_server.peak_concurrency(feed_server.base_url.split("//")[1]) == 8
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


def test_urllib3_logger_is_quiet_and_urls_are_redacted_for_logs():
    assert logging.getLogger("urllib3").getEffectiveLevel() >= logging.WARNING
    assert redact("https://user:pw@h.example:8443/f.xml?token=s3cret&x=1#frag") == \
        "https://h.example:8443/f.xml?token=…&x=…"


def test_feed_server_works_outside_pytest_as_a_context_manager():
    with FeedServer() as server:
        url = server.set_feed("/x.xml", RSS)
        done = threading.Event()
        assert isinstance(fetch(url, limits=FAST), Fetched)
        done.set()
    assert done.is_set()


# --- the HTTP client (bot.http_client): what requests used to give for free -----------------

def test_credentials_in_the_feed_url_are_sent_as_basic_auth(feed_server: FeedServer):
    url = feed_server.set_feed("/private.xml", RSS).replace("http://", "http://reader:s%40fe@")
    assert isinstance(fetch(url, limits=FAST), Fetched)
    sent = feed_server.requests_for("/private.xml")[0].headers
    assert sent["authorization"] == "Basic cmVhZGVyOnNAZmU="      # reader:s@fe


def test_feeds_go_through_the_proxy_the_environment_names(monkeypatch, feed_server: FeedServer,
                                                          engine: str):
    # The feed server stands in for the proxy: a proxied request arrives in absolute form.
    direct = feed_server.set_feed("/direct.xml", RSS)
    feed_server.set_feed("/via-proxy.xml", RSS)
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, feed_server.base_url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1")
    client = make_session(engine=engine)
    assert isinstance(fetch(direct, limits=FAST, session=client), Fetched)     # NO_PROXY
    result = fetch("http://feeds.example/via-proxy.xml", limits=FAST, session=client)
    assert isinstance(result, Fetched) and result.body == RSS
    assert feed_server.requests_for("/via-proxy.xml")[0].host == "feeds.example"
    assert feed_server.requests_for("/direct.xml")[0].host.startswith("127.0.0.1:")


def test_more_hosts_than_pools_kept_still_fetch(feed_server: FeedServer, engine: str):
    url = feed_server.set_feed("/hosts.xml", RSS)
    client = HttpClient(pool_size=2, hosts=1, engine=engine)
    for host in ["127.0.0.1", "localhost"] * 3:
        assert isinstance(fetch(url.replace("127.0.0.1", host), limits=FAST, session=client),
                          Fetched)
    assert len(feed_server.requests_for("/hosts.xml")) == 6


def test_a_redirect_to_a_malformed_url_is_a_clear_fetch_error(feed_server: FeedServer):
    url = feed_server.set_redirect("/bad-port.xml", "http://127.0.0.1:notaport/x.xml?key=s3cret")
    with pytest.raises(FetchError, match="invalid URL") as caught:
        fetch(url, limits=FAST)
    assert url in str(caught.value) and "s3cret" not in str(caught.value)


def test_a_feed_url_with_non_ascii_and_spaces_is_percent_encoded(feed_server: FeedServer):
    from urllib.parse import quote

    readable = "/новости/лента rss.xml"
    url = feed_server.set_feed(quote(readable), RSS).replace(quote(readable), readable)
    result = fetch(url + "?тема=мир", limits=FAST)
    assert isinstance(result, Fetched) and result.body == RSS
    assert len(feed_server.requests_for(quote(readable))) == 1


def test_a_redirect_location_sent_as_raw_utf8_is_followed(feed_server: FeedServer):
    from urllib.parse import quote

    feed_server.set_feed(quote("/архив.xml"), RSS)
    # The fake writes headers as Latin-1: this string goes out as the UTF-8 bytes of the path.
    url = feed_server.set_redirect("/old.xml", "/архив.xml".encode().decode("latin-1"), 302)
    result = fetch(url, limits=FAST)
    assert isinstance(result, Fetched) and result.body == RSS


# --- the HTTP engines: urllib3, or libcurl's multi interface (bot.curl_engine) -------------

def test_silence_after_the_first_body_bytes_hits_the_read_timeout(feed_server: FeedServer):
    # Headers and 64 bytes at once, then nothing for 3 s: the stall, not the deadline, cuts it.
    url = feed_server.set_feed("/stalls.xml", RSS, mode="drip", delay=3, piece=64)
    started = time.perf_counter()
    with pytest.raises(FetchTimeout, match=r"body stalled for 0\.5 s"):
        fetch(url, limits=FetchLimits(read_timeout=0.5, total_timeout=5))
    assert time.perf_counter() - started < 1.0


def test_a_silent_server_on_a_kept_alive_connection_hits_the_read_timeout(
        feed_server: FeedServer, engine: str):
    fast = feed_server.set_feed("/first.xml", RSS)
    silent = feed_server.set_feed("/silent-later.xml", RSS, delay=1.0)
    session = make_session(engine=engine)
    assert isinstance(fetch(fast, limits=FAST, session=session), Fetched)   # connection kept
    started = time.perf_counter()
    with pytest.raises(FetchTimeout, match="read_timeout"):
        fetch(silent, limits=FetchLimits(read_timeout=0.3, total_timeout=5), session=session)
    assert time.perf_counter() - started < 0.9


def test_an_error_status_does_not_read_the_error_page(feed_server: FeedServer):
    url = feed_server.set_status("/big-error.xml", 500, body=b"x" * (2 * MB))
    with pytest.raises(HTTPStatusError, match="HTTP 500"):
        fetch(url, limits=FetchLimits(max_bytes=MB))       # not TooLarge: the body is skipped


@pytest.mark.parametrize("value", ["fast", "CURL", ""])
def test_an_unknown_http_engine_is_refused_naming_the_key(tmp_path, value: str):
    path = tmp_path / "newsbot.yaml"
    path.write_text(f"channel: '@watch'\npolling: {{http_engine: '{value}'}}\n"
                    "feeds: [{url: 'https://example.org/feed'}]\n"
                    "topics: {t: {terms: [summit]}}\n")
    with pytest.raises(ConfigError, match=r"polling\.http_engine") as caught:
        load(path, env={})
    assert "auto, curl or urllib3" in str(caught.value)
    with pytest.raises(ValueError, match="unknown HTTP engine"):
        HttpClient(engine=value)

