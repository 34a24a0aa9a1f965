"""The shipped default topics (config/topics.yaml) against the labelled dev set.

The dev set lives in ../shared/data (the project's workspace only); without it these skip.
A held-out set from other outlets judges the defaults, so this is a floor, not the target.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.match import Matcher, Topic, compile_query, terms_query
from tests.conftest import need_shared

TOPICS = Path(__file__).resolve().parents[2] / "config" / "topics.yaml"


def load_topics() -> list[Topic]:
    """A small local read of the shape the config loader reads: `lists:` and `topics:`."""
    doc = YAML(typ="safe").load(TOPICS.read_text(encoding="utf-8"))
    lists = {name: [str(v) for v in items] for name, items in doc["lists"].items()}
    topics = []
    for name, spec in doc["topics"].items():
        source = spec.get("query") or terms_query(spec["terms"], spec.get("exclude", []))
        topics.append(Topic(name, compile_query(source, lists=lists,
                                                key=f"topics.{name}.query"),
                            spec.get("channel")))
    return topics


def test_defaults_compile_and_cover_both_topics() -> None:
    assert {t.name for t in load_topics()} >= {"summits", "sanctions"}


@pytest.mark.parametrize("name", ["summits", "sanctions"])
def test_default_topic_f1_on_dev_set(name: str) -> None:
    path = need_shared("data", "news-dev.jsonl")
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    matcher = Matcher(load_topics())
    tp = fp = fn = 0
    for item in items:
        hit = any(m.topic == name for m in matcher.match(item["title"] or "", item["summary"]))
        gold = bool(item["labels"][name])
        tp, fp, fn = tp + (hit and gold), fp + (hit and not gold), fn + (gold and not hit)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.90, f"{name}: P={precision:.3f} R={recall:.3f} F1={f1:.3f}"


@pytest.mark.parametrize(("title", "text", "topics"), [
    # Meaning, not keyword: none of these sentences is from the dev set.
    ("", "President Lula will travel to Beijing next week to meet Xi Jinping.", {"summits"}),
    ("", "ASEAN leaders gathered in Jakarta for their annual summit.", {"summits"}),
    ("", "Climbers reached the summit of Everest after a long wait at base camp.", set()),
    ("", "The AI Summit in London drew 5,000 developers and investors.", set()),
    ("", "Foreign ministers of the G7 met in Capri to discuss Ukraine.", set()),
    ("", "Opposition leader met supporters at a rally in the capital.", set()),
    ("", "Washington imposed sanctions on three Iranian oil tankers.", {"sanctions"}),
    ("", "Japan tightened export controls on chipmaking equipment to China.", {"sanctions"}),
    ("", "Several Russian banks were excluded from the SWIFT payment system.", {"sanctions"}),
    ("", "The judge sanctioned the attorneys for citing fake cases.", set()),
    ("", "UEFA sanctioned the club over racist chanting by fans.", set()),
    ("", "The US raised tariffs on Chinese steel to 25 percent.", set()),
    ("", "Ofgem raised the energy price cap by 10 percent from April.", set()),
])
def test_defaults_on_unseen_sentences(title: str, text: str, topics: set[str]) -> None:
    assert {m.topic for m in Matcher(load_topics()).match(title, text)} == topics
