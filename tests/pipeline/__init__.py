"""Tests of bot.pipeline."""
