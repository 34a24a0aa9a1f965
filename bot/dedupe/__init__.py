"""The dedupe stage, pure: `fingerprint()` an article, `same_story()` decides whether two
fingerprints report one story."""

from bot.dedupe.story import StoryFingerprint, fingerprint, same_story

__all__ = ["StoryFingerprint", "fingerprint", "same_story"]
