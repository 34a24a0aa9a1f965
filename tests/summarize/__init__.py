"""Tests of bot.summarize."""
