"""The English stemmer from many polling threads at once gives what one thread gives (a
shared Snowball stemmer raised IndexError mid-word, and could mix two words' stems)."""

from __future__ import annotations

import random
import string
from concurrent.futures import ThreadPoolExecutor

import snowballstemmer

from bot.match.words import stem


def test_threads_stem_each_word_as_one_thread_does() -> None:
    rng = random.Random(5)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 14))) + suffix
             for suffix in ("", "ing", "ations", "ed", "ness", "s") for _ in range(1500)]
    reference = snowballstemmer.stemmer("english")
    expected = [reference.stemWord(w) for w in words]
    uncached = stem.__wrapped__          # the stemmer itself, not the per-word cache
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(uncached, words, chunksize=7))
    assert got == expected
