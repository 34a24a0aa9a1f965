"""Text helpers every stage shares, pure: HTML to plain text, the one case/accent fold,
the one URL canonicaliser with its one tracking-parameter list, and the one list of English
function words, text in Latin letters with one name per country (`latin`), and one way to
say how long something lasted (`span`)."""

from bot.text.durations import span
from bot.text.english import FUNCTION_WORDS
from bot.text.folding import fold, fold_indexed, strip_accents
from bot.text.html import HIDDEN_ELEMENTS, html_to_text, split_sentences
from bot.text.script import latin, transliterate
from bot.text.urls import TRACKING, canonical_url, is_tracking, safe_url, without_tracking

__all__ = ["FUNCTION_WORDS", "HIDDEN_ELEMENTS", "TRACKING", "canonical_url", "fold", "fold_indexed",
           "html_to_text", "is_tracking", "latin", "safe_url", "span", "split_sentences",
           "strip_accents", "transliterate", "without_tracking"]
