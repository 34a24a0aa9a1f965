"""bot.fetch.guard, the SSRF guard for feeds from Telegram and OPML: the decision as a pure
function over resolved addresses, and both HTTP engines against a real server on loopback,
which a guarded fetch must never reach (not even a connection: no port scanning)."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
import threading
from dataclasses import replace
from pathlib import Path

import pytest

import bot.fetch.get
import bot.fetch.guard
from bot.errors import AddressRefused, NetworkError
from bot.fetch import FetchLimits, fetch, fetch_page, make_session
from bot.fetch.guard import ANY, PRIVATE, PUBLIC, addresses, refusal
from bot.models import Fetched
from tests.conftest import HTTP_ENGINES
from tests.fakes.feed_server import FeedServer

RSS = (b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>World</title>'
       b"<item><title>One</title><link>https://example.org/1</link></item></channel></rss>")
FAST = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=5)
GUARDED, PRIVATE_OK = replace(FAST, reach=PUBLIC), replace(FAST, reach=PRIVATE)
FEED = "https://feeds.example/rss"


# --- the decision, pure ----------------------------------------------------------------------

@pytest.mark.parametrize(("address", "public", "private"), [
    ("93.184.216.34", None, None),                                  # public IPv4
    ("2606:2800:220:1:248:1893:25c8:1946", None, None),             # public IPv6
    ("127.0.0.1", "a loopback address", None),
    ("127.255.255.254", "a loopback address", None),
    ("::1", "a loopback address", None),
    ("10.1.2.3", "a private address", None),
    ("172.16.0.1", "a private address", None),
    ("192.168.1.1", "a private address", None),
    ("fd12:3456::1", "a private address", None),                    # unique local, RFC 4193
    ("100.64.0.1", "a carrier-grade NAT address", None),            # RFC 6598
    ("169.254.169.254", "a link-local address", "a link-local address"),   # cloud metadata
    ("fe80::1", "a link-local address", "a link-local address"),
    ("224.0.0.1", "a multicast address", "a multicast address"),
    ("ff02::1", "a multicast address", "a multicast address"),
    ("0.0.0.0", "the unspecified address", "the unspecified address"),
    ("::", "the unspecified address", "the unspecified address"),
    ("240.0.0.1", "a reserved address", "a reserved address"),
    ("192.0.2.1", "a reserved address", "a reserved address"),      # documentation
    ("255.255.255.255", "a reserved address", "a reserved address"),
    # IPv4 inside IPv6 is judged as the IPv4.
    ("::ffff:127.0.0.1", "a loopback address", None),               # IPv4-mapped
    ("::ffff:93.184.216.34", None, None),
    ("2002:7f00:1::", "a loopback address", None),                  # 6to4 of 127.0.0.1
    ("64:ff9b::a01:203", "a private address", None),                # NAT64 of 10.1.2.3
])
def test_only_public_addresses_pass_and_private_ones_only_when_allowed(address, public,
                                                                       private):
    ip = ipaddress.ip_address(address)
    assert refusal(ip, PUBLIC) == public
    assert refusal(ip, PRIVATE) == private
    assert refusal(ip, ANY) is None          # a config written by hand reaches anything


def fake_dns(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]
    return resolve


@pytest.mark.parametrize(("host", "answer", "error"), [
    ("news.example", ["93.184.216.34", "2606:2800:220:1::1"], None),
    ("inside.example", ["10.0.0.7"], "inside.example resolves to a private address"),
    # One inside address is enough: the connection might go to it.
    ("both.example", ["93.184.216.34", "127.0.0.1"], "resolves to a loopback address"),
    ("metadata.example", ["169.254.169.254"], "resolves to a link-local address"),
])
def test_a_name_passes_only_if_every_address_it_resolves_to_is_public(host, answer, error):
    resolve = fake_dns({host: answer})
    if error is None:
        assert addresses(FEED, host, 443, PUBLIC, resolve) == answer
    else:
        with pytest.raises(AddressRefused, match=error):
            addresses(FEED, host, 443, PUBLIC, resolve)


def test_the_refusal_says_what_to_do_and_a_name_that_does_not_resolve_is_a_dns_error():
    with pytest.raises(AddressRefused) as refused:
        addresses(FEED, "inside.example", 80, PUBLIC, fake_dns({"inside.example": ["10.0.0.7"]}))
    assert str(refused.value) == (
        f"{FEED}: refused: inside.example resolves to a private address; a feed added through "
        "Telegram or OPML may only reach public addresses; polling.allow_private: true lets "
        "feeds from Telegram or OPML reach private ones")
    assert addresses(FEED, "inside.example", 80, PRIVATE,
                     fake_dns({"inside.example": ["10.0.0.7"]})) == ["10.0.0.7"]
    with pytest.raises(NetworkError, match=r"DNS lookup failed for gone\.example"):
        addresses(FEED, "gone.example", 80, PUBLIC, fake_dns({}))


@pytest.mark.parametrize("host", ["127.0.0.1", "0x7f000001", "2130706433", "017700000001",
                                  "0177.0.0.1", "127.1", "localhost", "[::1]",
                                  "[::ffff:127.0.0.1]", "[::ffff:7f00:1]"])
def test_every_spelling_of_loopback_resolves_to_loopback_and_is_refused(host):
    # The system resolver reads these numeric forms itself (inet_aton): no DNS query.
    with pytest.raises(AddressRefused, match="loopback address"):
        addresses(FEED, host, 80, PUBLIC)


# --- both engines, a real server on loopback ------------------------------------------------

@pytest.fixture(params=HTTP_ENGINES)
def client(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    session = make_session(engine=request.param)
    monkeypatch.setattr(bot.fetch.get, "_default_session", session)
    return session


def _count_connections(server: FeedServer) -> list[int]:
    """How many connections the server accepted, whatever came of them."""
    seen = [0]
    accept = server.httpd.get_request

    def counted() -> tuple[socket.socket, object]:
        seen[0] += 1
        return accept()

    server.httpd.get_request = counted
    return seen


@pytest.mark.parametrize("spelling", ["127.0.0.1", "0x7f000001", "2130706433", "127.1",
                                      "localhost"])
def test_a_guarded_fetch_never_connects_to_loopback(feed_server: FeedServer, client, spelling):
    url = feed_server.set_feed("/feed.xml", RSS).replace("127.0.0.1", spelling)
    connections = _count_connections(feed_server)
    with pytest.raises(AddressRefused, match="loopback address"):
        fetch(url, limits=GUARDED, session=client)
    assert connections[0] == 0 and feed_server.requests_for("/feed.xml") == []
    # The same server, trusted (a config written by hand) or allowed on purpose: fetched.
    assert isinstance(fetch(url, limits=FAST, session=client), Fetched)
    assert isinstance(fetch(url, limits=PRIVATE_OK, session=client), Fetched)


def test_a_trusted_connection_is_not_borrowed_by_a_guarded_fetch(feed_server, client):
    url = feed_server.set_feed("/feed.xml", RSS)
    assert isinstance(fetch(url, limits=FAST, session=client), Fetched)   # kept alive
    with pytest.raises(AddressRefused):
        fetch(url, limits=GUARDED, session=client)
    assert len(feed_server.requests_for("/feed.xml")) == 1


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/",
                                    "http://[::ffff:169.254.169.254]/", "http://0.0.0.0:1/",
                                    "file:///etc/passwd"])
def test_every_redirect_is_checked(feed_server: FeedServer, client, target):
    # Loopback allowed on purpose (polling.allow_private), link-local never: the first hop
    # is fetched, the redirect to the metadata service is refused before connecting.
    url = feed_server.set_redirect("/old.xml", target, 302)
    with pytest.raises((AddressRefused, NetworkError)) as refused:
        fetch(url, limits=PRIVATE_OK, session=client)
    assert "refus" in str(refused.value)
    assert len(feed_server.requests_for("/old.xml")) == 1


@pytest.mark.parametrize("url", ["file:///proc/self/environ", "/etc/passwd", "ftp://x.example/f",
                                 "gopher://127.0.0.1:5432/"])
def test_local_files_and_other_schemes_are_refused(url, client):
    with pytest.raises(AddressRefused, match="must be an http\\(s\\) URL"):
        fetch(url, limits=GUARDED, session=client)
    with pytest.raises(AddressRefused, match="must be an http\\(s\\) URL"):
        fetch_page(url, limits=GUARDED, session=client)


def test_a_checked_name_is_connected_to_at_the_checked_address(feed_server: FeedServer, client,
                                                               monkeypatch):
    # DNS stand-in: feeds.example is the loopback server (allowed here on purpose). The
    # request goes to the address that was checked, and still names its host.
    monkeypatch.setattr(bot.fetch.guard, "system_resolver",
                        fake_dns({"feeds.example": ["127.0.0.1"]}))
    feed_server.set_feed("/named.xml", RSS)
    port = feed_server.httpd.server_address[1]
    result = fetch(f"http://feeds.example:{port}/named.xml", limits=PRIVATE_OK, session=client)
    assert isinstance(result, Fetched) and result.body == RSS
    assert feed_server.requests_for("/named.xml")[0].host == f"feeds.example:{port}"
    with pytest.raises(AddressRefused, match=r"feeds\.example resolves to a loopback address"):
        fetch(f"http://feeds.example:{port}/named.xml", limits=GUARDED, session=client)


@pytest.mark.parametrize("engine", HTTP_ENGINES)
def test_through_a_proxy_the_name_is_checked_before_the_request(monkeypatch, feed_server,
                                                                engine):
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, feed_server.base_url)      # the server stands in for it
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(bot.fetch.guard, "system_resolver",
                        fake_dns({"inside.example": ["10.0.0.7"],
                                  "news.example": ["93.184.216.34"]}))
    feed_server.set_feed("/via-proxy.xml", RSS)
    session = make_session(engine=engine)
    with pytest.raises(AddressRefused, match="private address"):
        fetch("http://inside.example/via-proxy.xml", limits=GUARDED, session=session)
    assert feed_server.requests_for("/via-proxy.xml") == []
    result = fetch("http://news.example/via-proxy.xml", limits=GUARDED, session=session)
    assert isinstance(result, Fetched) and result.body == RSS       # public: via the proxy


def test_guarded_feeds_are_not_sent_from_the_cycle_thread():
    # bot.poll.mux sends every feed's request from one thread; a guarded one resolves its
    # host in its own polling thread instead (a slow DNS answer holds up nothing else).
    told: list[object] = []
    done = threading.Event()

    def finished(outcome: object) -> None:
        told.append(outcome)
        done.set()

    bot.fetch.get.send("http://feeds.example/rss", etag=None, last_modified=None,
                       limits=GUARDED, session=make_session(engine="urllib3"), engine=None,
                       done=finished)
    assert done.is_set() and told == [None]


def _certificate_for(tmp: Path, name: str) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={name}",
                        "-addext", f"subjectAltName=DNS:{name}"],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"no working openssl CLI: {exc}")
    return cert, key


@pytest.mark.parametrize("engine", HTTP_ENGINES)
def test_tls_checks_the_name_while_the_connection_goes_to_the_checked_address(
        tmp_path: Path, monkeypatch, engine):
    cert, key = _certificate_for(tmp_path, "feeds.example")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setattr(bot.fetch.guard, "system_resolver",
                        fake_dns({"feeds.example": ["127.0.0.1"]}))
    with FeedServer(ssl_context=context) as server:
        server.set_feed("/tls.xml", RSS)
        url = server.url("/tls.xml").replace("127.0.0.1", "feeds.example")
        result = fetch(url, limits=PRIVATE_OK, session=make_session(engine=engine))
        assert isinstance(result, Fetched) and result.body == RSS
        assert server.requests_for("/tls.xml")[0].host.startswith("feeds.example:")
