"""The format stage, pure: Telegram HTML for posts (`render_post`) and digests, within
Telegram's length limit (`MAX_MESSAGE`)."""

from bot.format.digest import fit_digest, render_digest
from bot.format.markup import MAX_MESSAGE, visible_len
from bot.format.post import render_post

__all__ = ["MAX_MESSAGE", "fit_digest", "render_digest", "render_post", "visible_len"]
