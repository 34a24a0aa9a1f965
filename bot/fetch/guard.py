"""Which addresses a feed may reach: the SSRF guard for feeds from Telegram and OPML.

A feed URL an admin sends to the bot, or one read from somebody's OPML file, is untrusted:
fetched as it is, `http://127.0.0.1:5432/`, `http://0x7f000001/` or `file:///proc/self/
environ` turned /status into a port scanner and the config into a way to read local files.
Such a feed (`FeedConfig.origin` "telegram" or "opml") is fetched with `FetchLimits.reach`
"public" (or "private" with `polling.allow_private: true`):

- http(s) only: local paths and file:// URLs are refused, redirects to other schemes too;
- its host is resolved here, every address is checked, and the connection goes to a
  checked address (urllib3: `bot.fetch.pools`; libcurl: CURLOPT_CONNECT_TO), so neither a
  second DNS answer (rebinding) nor any spelling of an address (0x7f000001, 2130706433,
  0177.0.0.1, 127.1, [::ffff:127.0.0.1]) gets past the check; each redirect is a new request,
  checked the same way. Through a proxy the proxy connects, so the check is made on the
  name's addresses here before the request;
- an address is public when it is globally routable (the IANA special-purpose registries
  as `ipaddress` knows them); IPv4 inside IPv6 (mapped, 6to4, NAT64) is judged as the IPv4.
  "private" also lets through loopback, RFC 1918, carrier-grade NAT (RFC 6598) and unique
  local (RFC 4193) addresses: a local RSS-Bridge or an intranet, on purpose. Link-local
  (where cloud metadata services answer), multicast, unspecified and reserved addresses are
  never reached.

A config the operator writes by hand is trusted ("any"): the demo reads local files and the
tests read feeds on loopback. The decision (`refusal`, `check`) is pure; `addresses`
resolves with a resolver that tests can replace.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from bot.errors import AddressRefused, NetworkError

__all__ = ["ANY", "PRIVATE", "PUBLIC", "Resolver", "addresses", "check", "check_scheme",
           "refusal", "system_resolver"]

ANY, PUBLIC, PRIVATE = "any", "public", "private"     # FetchLimits.reach
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]      # (host, port) -> addresses

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")       # RFC 6598
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")        # RFC 6052: the IPv4 in the last 32 bits
_RFC1918 = [ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
_ULA = ipaddress.IPv6Network("fc00::/7")              # RFC 4193
_HINT = "; polling.allow_private: true lets feeds from Telegram or OPML reach private ones"
_LOOPBACK, _SHARED, _PRIVATE_NET = "a loopback address", "a carrier-grade NAT address", \
    "a private address"
_PRIVATE = (_LOOPBACK, _SHARED, _PRIVATE_NET)         # what `PRIVATE` lets through


def refusal(ip: Address, reach: str) -> str | None:
    """Why a feed fetched with `reach` may not connect to `ip` ("a loopback address"...),
    or None if it may."""
    if reach == ANY:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if inner is not None:
            return refusal(inner, reach)
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_loopback:
        kind = _LOOPBACK
    elif ip in _CGNAT:
        kind = _SHARED
    elif any(ip in net for net in _RFC1918) or ip in _ULA:
        kind = _PRIVATE_NET
    elif not ip.is_global:
        return "a reserved address"
    else:
        return None
    return None if reach == PRIVATE else kind


def check(feed_url: str, host: str, found: Sequence[str], reach: str) -> None:
    """Raise AddressRefused unless every address `host` resolved to may be reached: one
    that may not is reason enough (a name that also points inside is no public feed)."""
    for text in found:
        why = refusal(ipaddress.ip_address(text), reach)
        if why is not None:
            verb = "is" if text == host.strip("[]") else "resolves to"
            hint = _HINT if why in _PRIVATE else ""
            raise AddressRefused(feed_url, f"refused: {host} {verb} {why}; a feed added "
                                           "through Telegram or OPML may only reach public "
                                           f"addresses{hint}")


def check_scheme(feed_url: str, url: str, reach: str) -> None:
    if reach != ANY and urlsplit(url).scheme.lower() not in ("http", "https"):
        raise AddressRefused(feed_url, "refused: a feed added through Telegram or OPML must be "
                                       "an http(s) URL, not a local file or another scheme")


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses getaddrinfo gives, in its order (which connections try in turn)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def addresses(feed_url: str, host: str, port: int, reach: str,
              resolver: Resolver | None = None) -> list[str]:
    """The addresses of `host` to connect to, all checked (`check`). Raises AddressRefused,
    or NetworkError when the name does not resolve. `resolver`: `system_resolver` (looked
    up when called: the tests' DNS stand-in replaces it)."""
    try:
        found = list((resolver or system_resolver)(host.strip("[]"), port))
    except (OSError, UnicodeError) as exc:
        raise NetworkError(feed_url, f"DNS lookup failed for {host}; check the hostname in "
                                     "the URL") from exc
    if not found:
        raise NetworkError(feed_url, f"DNS lookup failed for {host}: no addresses")
    check(feed_url, host, found, reach)
    return found
