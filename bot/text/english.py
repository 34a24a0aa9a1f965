"""English function words: the one list of them (`FUNCTION_WORDS`).

Words that carry grammar, not a subject ("the", "with", "between", "said", "today"). Written
for newsbot, not derived from any evaluation data. Their users:

- bot.dedupe.terms drops them (with generic news words) from a report's salient terms;
- bot.match.query leaves them out of a topic's cues: a query may use "with" beside "summit"
  in a NEAR, but an article containing "with" has not mentioned the topic;
- bot.match.language counts the ones that no other Latin-script language spells alike.
"""

from __future__ import annotations

__all__ = ["FUNCTION_WORDS"]

_FUNCTION_WORDS = """
a about above across after again against ago all almost along already also although always am
among amid an and another any are around as at away back be because been before being below
between both but by can could did do does doing done down during each early either else even
ever every few for from further get gets got had has have having he her here hers him his how
however i if in including into is it its itself just last late later latest least less like
made make makes many may me might more most much must my near nearly new next no nor not now of
off on once one only onto or other others our out over own per perhaps put rather same say says
said saying she should since so some still such take taken takes than that the their theirs
them then there these they this those though three through thus to today told tomorrow too
took toward towards two under until up upon us very via was we well were what when where
whether which while who whom whose why will with within without would yesterday yet you your
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
