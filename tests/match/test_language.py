"""Which items count as written in another language than English (bot/match/language.py):
those get their topics' meanings consulted whatever their words."""

from __future__ import annotations

import pytest

from bot.match.language import ENGLISH_MARKERS, foreign
from bot.text import FUNCTION_WORDS


@pytest.mark.parametrize(("text", "expected"), [
    # By letters: another script, or accented Latin prose.
    ("Президент провёл переговоры с премьер-министром.", True),
    ("首相は大統領と会談した。", True),
    ("Der Kanzler empfing den Präsidenten zu Gesprächen über die Lage in Europa.", True),
    ("English that names Erdoğan and Zürich once is still English.", False),
    # By words: Latin prose with no letter beyond ASCII.
    ("Presiden Indonesia bertemu Perdana Menteri Malaysia di Jakarta. Kedua pemimpin "
     "membahas perdagangan dan perbatasan.", True),
    ("Rais wa Kenya alikutana na Rais wa Tanzania mjini Arusha. Viongozi hao walijadili "
     "biashara na usalama.", True),
    ("Nagpataw ang Estados Unidos ng mga bagong parusa laban sa mga opisyal ng militar.", True),
    ("Il presidente americano ha incontrato il premier giapponese a Tokyo per parlare di "
     "commercio e difesa.", True),
    ("De premier ontmoette de Amerikaanse president in het Witte Huis om te praten over "
     "handel en veiligheid.", True),
    # English ledes carry their function words; a headline may carry none, so a short text
    # is judged by its letters alone.
    ("The president met his counterpart in the capital on Tuesday, and the two leaders said "
     "they had agreed to keep talking.", False),
    ("Treasury sanctions six Iranian firms over drone parts", False),
    ("Presiden bertemu Perdana Menteri di Jakarta", False),
    ("", False),
])
def test_an_item_is_foreign_by_its_letters_or_its_words(text: str, expected: bool) -> None:
    assert foreign(text) is expected


def test_the_markers_are_english_function_words() -> None:
    assert ENGLISH_MARKERS <= FUNCTION_WORDS
