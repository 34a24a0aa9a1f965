"""Word shingles, MinHash signatures and LSH band keys for near-copy detection. Pure.

Every hash is fixed (blake2b with fixed seeds), never Python's per-process randomised `hash()`:
band keys written by one process are read by another and must survive restarts.
"""

from __future__ import annotations

import re
from hashlib import blake2b

from bot.text import fold

__all__ = ["BANDS", "EMPTY", "NUM_PERM", "ROWS", "SHINGLE", "jaccard", "jaccard_estimate",
           "lsh_bands", "minhash", "normal_words", "shingles"]

SHINGLE = 3          # words per shingle
NUM_PERM = 128       # MinHash signature length
# 64 bands of 2 rows: a pair shares a band with p ≈ 0.99 at Jaccard 0.28 (where contained
# copies sit) and p ≈ 1 at 0.5; at 0.05 only 15% of unrelated pairs become candidates.
BANDS, ROWS = 64, 2

_WORD = re.compile(r"\w+")
_MERSENNE = (1 << 61) - 1
EMPTY = (1 << 61) - 1   # every value of the signature of an empty text


def normal_words(text: str) -> list[str]:
    """Case- and accent-folded words; punctuation is a separator."""
    return _WORD.findall(fold(text).replace("_", " "))


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
        return (EMPTY,) * num_perm
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
