"""Tests of bot.parse."""
