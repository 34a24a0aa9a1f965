"""Tests of bot.fetch."""
