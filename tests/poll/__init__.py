"""Tests of bot.poll."""
