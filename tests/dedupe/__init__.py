"""Tests of bot.dedupe."""
