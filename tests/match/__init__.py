"""Tests of bot.match."""
