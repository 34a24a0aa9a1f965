"""newsbot: RSS/Atom feeds -> watched topics -> one clean Telegram post per story."""

__version__ = "0.1.0"
