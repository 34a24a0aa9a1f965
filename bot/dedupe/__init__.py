"""The dedupe stage, pure: `fingerprint()` an article, `same_story()` decides whether two
fingerprints report one story, `strength()` how surely."""

from bot.dedupe.fingerprints import StoryFingerprint, fingerprint
from bot.dedupe.identity import BUSY_WINDOW, MERGE, MERGE_BARS, SAME, merge_bar
from bot.dedupe.story import same_story, strength

__all__ = ["BUSY_WINDOW", "MERGE", "MERGE_BARS", "SAME", "StoryFingerprint", "fingerprint",
           "merge_bar", "same_story", "strength"]
