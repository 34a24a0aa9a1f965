"""Same-story detection: URL and title keys, stable shingles/MinHash/bands, measured quality."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.dedupe import (
    BANDS,
    NUM_PERM,
    ROWS,
    StoryFingerprint,
    canonical_url,
    fingerprint,
    jaccard,
    jaccard_estimate,
    lsh_bands,
    minhash,
    same_story,
    shingles,
    title_key,
)
from tests.conftest import need_shared

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("url", "canonical"), [
    ("HTTPS://WWW.Example.COM:443/a/b/?utm_source=x&b=2&a=1#frag", "https://example.com/a/b?a=1&b=2"),
    ("http://example.com:80/x?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=tw", "http://example.com/x"),
    ("https://example.com/x?cmpid=a&ocid=b&id=7", "https://example.com/x?id=7"),
    ("https://example.com/story/amp", "https://example.com/story"),
    ("https://example.com/story/amp/", "https://example.com/story"),
    ("https://example.com/story?outputType=amp", "https://example.com/story"),
    ("https://amp.example.com/story", "https://example.com/story"),
    ("http://example.com:8080/x/", "http://example.com:8080/x"),
    ("https://example.com/", "https://example.com"),
    ("https://example.com/a//b", "https://example.com/a/b"),
    ("https://example.com/ampersand", "https://example.com/ampersand"),
    ("not a url", "not a url"),
])
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(("title", "key"), [
    ("Putin meets Kim - Reuters", "putin meets kim"),
    ("Putin meets Kim | BBC News", "putin meets kim"),
    ("Putin meets Kim — The Guardian", "putin meets kim"),
    ("Café Society: São Paulo’s “New” Rules!", "cafe society sao paulo s new rules"),
    ("Q&A - Part 2", "q a part 2"),  # too short to lose a suffix
    ("  MULTIPLE   spaces  ", "multiple spaces"),
])
def test_title_key(title: str, key: str) -> None:
    assert title_key(title) == key


def test_hashes_are_stable_across_processes() -> None:
    # Bands are stored in the database by one process and read by another: no hash().
    code = ("from bot.dedupe import fingerprint; "
            "print(fingerprint('Kim visits Russia', 'Kim Jong Un arrived by train.', None).bands)")
    outs = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, check=True, env={"PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")}
    assert len(outs) == 1


def test_minhash_estimates_jaccard() -> None:
    a = shingles(" ".join(f"w{i}" for i in range(300)))
    b = shingles(" ".join(f"w{i}" for i in range(100, 400)))
    est = jaccard_estimate(minhash(a), minhash(b))
    assert abs(est - jaccard(a, b)) < 0.1
    assert len(minhash(a)) == NUM_PERM and len(minhash(a, num_perm=16)) == 16
    assert jaccard_estimate(minhash(a), minhash(a)) == 1.0


def test_bands_are_sql_friendly_strings() -> None:
    bands = lsh_bands(minhash(shingles("one two three four")), BANDS, ROWS)
    assert len(bands) == BANDS and len(set(bands)) == BANDS
    assert all(b.startswith(f"b{i}:") and len(b.split(":")[1]) == 16 for i, b in enumerate(bands))
    with pytest.raises(ValueError):
        lsh_bands((1, 2, 3), bands=2, rows=2)


def test_empty_text_is_never_a_duplicate_of_other_empty_text() -> None:
    a, b = fingerprint("", "", None), fingerprint("", "", None)
    assert isinstance(a, StoryFingerprint) and a.url_key is None and a.title_key is None
    assert shingles("") == frozenset()
    assert not same_story(a, b)


WIRE = ("President Donald Trump said Thursday that the summit scheduled with North Korean leader "
        "Kim Jong-un for June 12 in Singapore has been cancelled, citing open hostility.")


@pytest.mark.parametrize(("a", "b", "same"), [
    # same URL spelled differently
    (("A", "x", "https://www.e.com/s?utm_source=t"), ("B", "y", "https://e.com/s/"), True),
    # same headline, outlet suffixes differ
    (("Trump cancels Singapore summit - Reuters", "x", None),
     ("Trump Cancels Singapore Summit | BBC News", "y", None), True),
    # a syndicated copy with a different outlet header
    (("", "WASHINGTON (AP) — " + WIRE, None), ("", WIRE + " Read the letter here.", None), True),
    # a short feed lede that is the start of another outlet's full copy
    (("", WIRE, None), ("", WIRE + " " + "In a letter to Kim, the president said the "
                        "decision was based on the tremendous anger in a recent statement. " * 3,
                        None), True),
    # same topic, a different development
    (("", WIRE, None), ("", "North Korea said on Friday it was still willing to talk to the "
                        "United States at any time, after Trump cancelled the summit.", None),
     False),
    # generic short headlines are not keys
    (("Live updates", "Kim meets Putin in Vladivostok today.", None),
     ("Live updates", "Stocks fell sharply in Tokyo on Monday.", None), False),
])
def test_same_story(a: tuple[str, str, str | None], b: tuple[str, str, str | None],
                    same: bool) -> None:
    assert same_story(fingerprint(*a), fingerprint(*b)) is same
    assert same_story(fingerprint(*b), fingerprint(*a)) is same


def test_dev_clusters_meet_precision_and_never_merge_storyline_siblings() -> None:
    path = need_shared("data", "news-dev.jsonl")
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    fps = [fingerprint(i["title"] or "", i["summary"], i["url"]) for i in items]
    tp = fp = 0
    for x in range(len(items)):
        for y in range(x + 1, len(items)):
            if same_story(fps[x], fps[y]):
                ok = items[x]["story"] is not None and items[x]["story"] == items[y]["story"]
                tp, fp = tp + ok, fp + (not ok)
    # Measured: 4 true, 0 false merges (docs/dedupe.md). Precision is what the pipeline needs:
    # a false merge hides a story, a miss only posts it twice.
    assert fp == 0 and tp >= 4


def test_bench_runs() -> None:
    out = subprocess.run([sys.executable, "bench/dedupe.py"], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=120).stdout
    assert "exact title" in out or "skipped" in out
