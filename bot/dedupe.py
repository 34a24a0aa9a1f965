"""Same-story detection: canonical URLs, title keys, word shingles and a small MinHash. Pure.

The store keeps each story's `bands` and, for a new article, looks up stories sharing a band
within its time window, then asks `same_story`. Every hash here is fixed (blake2b with fixed
seeds), never Python's per-process randomised `hash()`, because bands written by one process are
read by another and must survive restarts. Thresholds are measured in docs/dedupe.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from hashlib import blake2b
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "BANDS", "CONTAINED", "MIN_CONTAINED", "NEAR_DUP", "NUM_PERM", "ROWS", "SHINGLE",
    "StoryFingerprint", "canonical_url", "containment_estimate", "fingerprint", "jaccard",
    "jaccard_estimate", "lsh_bands", "minhash", "normal_words", "same_story", "shingles",
    "title_key",
]

SHINGLE = 3          # words per shingle
NUM_PERM = 128       # MinHash signature length
# 64 bands of 2 rows: a pair shares a band with p ≈ 0.99 at Jaccard 0.28 (where contained
# copies sit) and p ≈ 1 at 0.5; at 0.05 only 15% of unrelated pairs become candidates.
BANDS, ROWS = 64, 2
NEAR_DUP = 0.5       # estimated Jaccard at or above which two texts are the same story
CONTAINED = 0.7      # ... or the share of the shorter text's shingles found in the longer one
MIN_CONTAINED = 10   # shingles the shorter text needs before containment means anything

_TRACKING = re.compile(
    r"^(?:utm_\w*|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|ref|ref_src|ref_url|referrer"
    r"|cmpid|ocid|icid|ncid|cid|sr_share|smid|smtyp|share|s_cid|at_medium|at_campaign"
    r"|__twitter_impression|igshid|_ga|_gl|spm|outputtype|amp)$",
    re.IGNORECASE,
)
_DEFAULT_PORT = {"http": 80, "https": 443}
# " - Reuters", " | BBC News", " — The Guardian": an outlet name after a dash/bar at the end.
_OUTLET_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]{2,40}$")
_WORD = re.compile(r"\w+")
_MERSENNE = (1 << 61) - 1
_MAX_HASH = (1 << 61) - 1


def canonical_url(url: str) -> str:
    """One spelling per article URL: tracking, AMP, `www.`, ports and fragments removed."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    host = host.removeprefix("www.").removeprefix("amp.")
    if port is not None and port != _DEFAULT_PORT.get(scheme):
        host = f"{host}:{port}"
    path = re.sub(r"/+", "/", parts.path or "/")
    path = re.sub(r"(?:/amp|\.amp(?=\.html?$)|/amp\.html)/?$", "", path) or "/"
    path = path.rstrip("/") or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not _TRACKING.match(k))
    return urlunsplit((scheme, host, path if path != "/" else "", urlencode(query), ""))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normal_words(text: str) -> list[str]:
    """Case- and accent-folded words; punctuation is a separator."""
    return _WORD.findall(_fold(text).replace("_", " "))


def title_key(title: str) -> str:
    """Normalised headline for exact matching: outlet suffix, case, accents, punctuation gone."""
    title = " ".join(title.split())
    stripped = _OUTLET_SUFFIX.sub("", title)
    # Only drop the suffix when a real headline remains ("Q&A - Part 2" stays whole).
    if len(normal_words(stripped)) >= 3:
        title = stripped
    return " ".join(normal_words(title))


def _h64(data: bytes, person: bytes = b"newsbot") -> int:
    return int.from_bytes(blake2b(data, digest_size=8, person=person).digest(), "big")


def shingles(text: str, k: int = SHINGLE) -> frozenset[int]:
    """Hashed word k-shingles of `text` (a text shorter than k words is one shingle)."""
    words = normal_words(text)
    if not words:
        return frozenset()
    grams = [words[i:i + k] for i in range(max(1, len(words) - k + 1))]
    return frozenset(_h64(" ".join(g).encode()) for g in grams)


def _coefficients(num_perm: int) -> list[tuple[int, int]]:
    # Fixed per index, derived from blake2b: identical in every process and release.
    return [(_h64(b"a%d" % i, b"minhash") % (_MERSENNE - 1) + 1,
             _h64(b"b%d" % i, b"minhash") % _MERSENNE) for i in range(num_perm)]


_COEFFS = _coefficients(NUM_PERM)


def minhash(sh: frozenset[int], num_perm: int = NUM_PERM) -> tuple[int, ...]:
    """MinHash signature: per fixed hash (a·x + b) mod (2^61 − 1), the minimum over `sh`."""
    coeffs = _COEFFS if num_perm == NUM_PERM else _coefficients(num_perm)
    if not sh:
        return (_MAX_HASH,) * num_perm
    xs = [x % _MERSENNE for x in sh]
    return tuple(min((a * x + b) % _MERSENNE for x in xs) for a, b in coeffs)


def lsh_bands(sig: tuple[int, ...], bands: int = BANDS, rows: int = ROWS) -> list[str]:
    """Band keys "b{i}:{hex}" of `sig`: stories sharing any key are near-duplicate candidates."""
    if bands * rows > len(sig):
        raise ValueError(f"{bands} bands × {rows} rows need {bands * rows} values, "
                         f"signature has {len(sig)}")
    keys = []
    for i in range(bands):
        chunk = sig[i * rows:(i + 1) * rows]
        digest = blake2b(b"".join(v.to_bytes(8, "big") for v in chunk), digest_size=8)
        keys.append(f"b{i}:{digest.hexdigest()}")
    return keys


def jaccard_estimate(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Share of equal positions of two MinHash signatures ≈ Jaccard of their shingle sets."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """Exact Jaccard similarity of two shingle sets."""
    return len(a & b) / len(a | b) if a or b else 0.0


@dataclass(frozen=True)
class StoryFingerprint:
    url_key: str | None
    title_key: str | None
    signature: tuple[int, ...]
    bands: tuple[str, ...]
    size: int = 0    # number of shingles; 0 = unknown (then containment is not used)


def fingerprint(title: str, text: str, link: str | None) -> StoryFingerprint:
    """Everything `same_story` and the store's candidate lookup need about one article."""
    url_key = canonical_url(link) if link and "://" in link else None
    tkey = title_key(title) if title else ""
    # Short titles ("Live updates", "World news") are shared by unrelated stories.
    sh = shingles(f"{title}\n{text}")
    sig = minhash(sh)
    return StoryFingerprint(url_key=url_key or None,
                            title_key=tkey if len(tkey.split()) >= 3 else None,
                            signature=sig, bands=tuple(lsh_bands(sig)), size=len(sh))


def containment_estimate(a: StoryFingerprint, b: StoryFingerprint) -> float:
    """Estimated share of the smaller shingle set inside the larger (0.0 if sizes unknown).

    |A ∩ B| = J·(|A| + |B|)/(1 + J), with J estimated from the signatures.
    """
    small = min(a.size, b.size)
    if small < MIN_CONTAINED:
        return 0.0
    j = jaccard_estimate(a.signature, b.signature)
    return min(1.0, j * (a.size + b.size) / (1 + j) / small)


def same_story(a: StoryFingerprint, b: StoryFingerprint) -> bool:
    """Same URL, same headline, or text similar enough to be one report of one event."""
    if a.url_key and a.url_key == b.url_key:
        return True
    if a.title_key and a.title_key == b.title_key:
        return True
    # Jaccard catches copies of similar length; containment catches a short feed lede that is
    # the start of another outlet's full copy of the same wire story (Jaccard is low there).
    if _MAX_HASH in (min(a.signature, default=_MAX_HASH), min(b.signature, default=_MAX_HASH)):
        return False  # an empty text (no shingles) says nothing about the story
    return (jaccard_estimate(a.signature, b.signature) >= NEAR_DUP
            or containment_estimate(a, b) >= CONTAINED)
