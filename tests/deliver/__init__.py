"""Tests of bot.deliver."""
