"""Tests of bot.format."""
