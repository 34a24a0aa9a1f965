"""Topic matching: accuracy of the shipped defaults and throughput as topics grow.

    python bench/topics.py            # figures quoted in docs/query-language.md
    python bench/topics.py --misses   # also list every false positive / false negative
    python bench/topics.py --vocab 50000   # synthetic topics from a larger vocabulary

Accuracy: precision/recall/F1 per topic on both ../shared/data/news-dev*.jsonl for the queries in
config/topics.yaml, next to the naive baseline (substring "summit"/"sanction" in title+summary).
Throughput (best of 5 interleaved runs): items/s for 10, 100 and 1,000 synthetic topics over
the dev texts repeated to
10,000 documents, and the 1000-vs-10 cost ratio.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


import devdata

from bot.config import load
from bot.match import Matcher, Topic, compile_query, terms_query, topics_of
from bot.match.words import words

TOPICS = ROOT / "config" / "topics.yaml"
BASELINE = {"summits": "summit", "sanctions": "sanction"}


def load_topics() -> list[Topic]:
    """The shipped topics' queries and exclusions, as the config loader compiles them (their
    meanings aside: bench/fit_meaning.py measures the whole decision)."""
    return topics_of(load(ROOT / "config" / "newsbot.yaml").topics, None)


def accuracy(items: list[dict], misses: bool = False) -> None:
    matcher = Matcher(load_topics())
    found = [{m.topic: m.terms for m in matcher.match(it["title"] or "", it["summary"])}
             for it in items]
    print(f"accuracy of the queries on {', '.join(devdata.FILES)} ({len(items)} items)")
    print(f"{'topic':<10} {'method':<9} {'P':>6} {'R':>6} {'F1':>6}")
    for topic, word in BASELINE.items():
        gold = [bool(it["labels"][topic]) for it in items]
        ours = [topic in f for f in found]
        base = [word in f"{it['title'] or ''} {it['summary']}".lower() for it in items]
        for method, pred in (("defaults", ours), ("baseline", base)):
            p, r, f1 = devdata.prf(pred, gold)
            print(f"{topic:<10} {method:<9} {p:6.3f} {r:6.3f} {f1:6.3f}")
        if misses:
            for it, f, g in zip(items, found, gold, strict=True):
                if (topic in f) != g:
                    kind = "FP" if topic in f else "FN"
                    print(f"  {kind} {it['id']} {f.get(topic, '')} "
                          f"{(it['title'] or '')[:60]!r} {it['summary'][:100]!r}")


def synthetic_topics(n: int, vocab: list[str], rng: random.Random) -> list[Topic]:
    """Topics shaped like real ones: 20 terms (some phrases, some prefixes), 3 exclusions."""
    topics = []
    for i in range(n):
        terms = []
        for _ in range(20):
            r = rng.random()
            if r < 0.2:
                terms.append(" ".join(rng.sample(vocab, 2)))
            elif r < 0.3:
                terms.append(rng.choice(vocab)[:5] + "*")
            else:
                terms.append(rng.choice(vocab))
        src = terms_query(terms, rng.sample(vocab, 3))
        topics.append(Topic(f"t{i}", compile_query(src, key=f"topics.t{i}.query")))
    return topics


def throughput(items: list[dict], vocab_size: int = 20_000) -> None:
    rng = random.Random(8)
    docs = [(it["title"] or "", it["summary"]) for it in items]
    docs = (docs * (10_000 // len(docs) + 1))[:10_000]
    # Vocabulary: the content words of the dev texts (so topics do hit; words in more than
    # 5% of the items -- the, of, said -- are nobody's watch term) diluted with pseudo-words
    # to 20,000 (--vocab N to vary), so each real word sits in about one topic in 1,000.
    df = Counter(w for t, s in docs[:len(items)] for w in {w for w, _, _ in words(f"{t} {s}")})
    real = sorted(w for w, n in df.items() if n <= len(items) * 0.05)
    fake = ["".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4))
            for _ in range(vocab_size - len(real))]
    vocab = real + fake
    print(f"\nthroughput: {len(docs)} documents, vocabulary {len(real)} real + "
          f"{len(fake)} pseudo-words, 20 terms + 3 exclusions per topic")
    matchers = {n: Matcher(synthetic_topics(n, vocab, rng)) for n in (10, 100, 1000)}
    best = {n: float("inf") for n in matchers}
    matched = dict.fromkeys(matchers, 0)
    # Round-robin, best of 5 per size: the machine is shared, and noise only ever slows a
    # run down, so interleaving keeps one busy moment from skewing a single size.
    for _ in range(5):
        for n, matcher in matchers.items():
            start = time.perf_counter()
            matched[n] = sum(len(matcher.match(title, text)) for title, text in docs)
            best[n] = min(best[n], time.perf_counter() - start)
    rates = {n: len(docs) / best[n] for n in matchers}
    for n in matchers:
        print(f"{n:>5} topics: {rates[n]:>9,.0f} items/s  "
              f"({matched[n] / len(docs):.2f} matching topics per item)")
    print(f"cost ratio 1000 vs 10 topics: {rates[10] / rates[1000]:.2f}x")


def main() -> None:
    if not devdata.available():
        print("../shared/data not found (it lives in the project's workspace only)")
        return
    items = devdata.load()
    accuracy(items, misses="--misses" in sys.argv)
    vocab = int(sys.argv[sys.argv.index("--vocab") + 1]) if "--vocab" in sys.argv else 20_000
    throughput(items, vocab)


if __name__ == "__main__":
    main()
