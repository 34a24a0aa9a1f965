"""Posts people expect from a news channel (issue #19): the article's image as a large
preview that the "Also:" edit keeps, a switch to turn it off, and forum topics. A real
`newsbot run --once` process, the feed server and the Bot API stand-in, which checks what
it receives as the real one would (link_preview_options, message_thread_id)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.feedgen import Item, rss
from tests.system.test_end_to_end import CHANNEL, run_once, write_config
from tests.system.test_story_e2e import LEDE

IMAGE = "https://img.example/2026/summit.jpg"
MEDIA = f'<media:content url="{IMAGE}" medium="image" width="1200"/>'
FORUM, TOPIC = -1005550001, 45


def soon(minutes: int) -> datetime:
    """After the feed is first seen: its first poll posts it (no flood on first start)."""
    return datetime.now(UTC) + timedelta(minutes=minutes)


def test_a_post_shows_the_articles_image_large_and_the_also_edit_keeps_it(
        feed_server, telegram_api, tmp_path: Path) -> None:
    wire = feed_server.set_feed("/wire.xml", rss([Item(
        guid="w1", title="Norland and Estmark leaders to hold summit", description=LEDE,
        published=soon(1), link="https://wire.example/1", extra=MEDIA)], title="Wire"))
    extra = "delivery: {edit_interval: 1s}\n"
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    run_once(write_config(tmp_path, [wire], extra=extra), db, telegram_api)
    [send] = telegram_api.calls("sendMessage")
    # The image's own URL: prefer_large_media counts only for an explicitly given url.
    assert send.params["link_preview_options"] == {
        "url": IMAGE, "prefer_large_media": True, "show_above_text": True}
    assert 'href="https://wire.example/1"' in send.params["text"]   # "Read more" stays

    copy = feed_server.set_feed("/copy.xml", rss([Item(
        guid="c1", title="Leaders of Norland, Estmark to hold Geneva summit",
        description=LEDE, published=soon(2), link="https://copy.example/a")], title="Copy"))
    run_once(write_config(tmp_path, [wire, copy], extra=extra), db, telegram_api)
    [edit] = telegram_api.calls("editMessageText")
    assert "Also: <a href=\"https://copy.example/a\">Feed 1</a>" in edit.params["text"]
    assert edit.params["link_preview_options"]["url"] == IMAGE          # the image stays
    assert len(telegram_api.calls("sendMessage")) == 1


def test_images_off_posts_without_a_preview(feed_server, telegram_api, tmp_path: Path) -> None:
    wire = feed_server.set_feed("/wire.xml", rss([Item(
        guid="w1", title="Leaders to hold summit", description=LEDE, published=soon(1),
        link="https://wire.example/1", extra=MEDIA)]))
    run_once(write_config(tmp_path, [wire], extra="delivery: {images: false}\n"),
             f"sqlite:///{tmp_path / 'db.sqlite'}", telegram_api)
    [send] = telegram_api.calls("sendMessage")
    assert send.params["link_preview_options"] == {"is_disabled": True}


def test_a_topic_routed_to_a_forum_topic_posts_and_digests_there(
        feed_server, telegram_api, tmp_path: Path) -> None:
    telegram_api.add_forum(FORUM, topics=(TOPIC,))
    items = [Item(guid=f"s{n}", title=f"New sanctions on exporters, round {n}",
                  description=f"<p>Sanctions round {n}.</p>", published=soon(n),
                  link=f"https://news.example/s{n}") for n in range(1, 5)]
    items.append(Item(guid="m1", title="Leaders to hold summit", description=LEDE,
                      published=soon(5), link="https://news.example/m1"))
    url = feed_server.set_feed("/world.xml", rss(items))
    config = write_config(tmp_path, [url], extra="delivery: {digest_after: 2}\n")
    config.write_text(config.read_text().replace(
        "    terms: [sanctions, embargo]\n",
        f'    terms: [sanctions, embargo]\n    channel: "{FORUM}:{TOPIC}"\n'))
    run_once(config, f"sqlite:///{tmp_path / 'db.sqlite'}", telegram_api)

    to_forum = [c for c in telegram_api.calls("sendMessage")
                if c.params["chat_id"] == str(FORUM)]
    # A burst over digest_after: the oldest folded into one digest, the newest on its own,
    # every message in the forum topic.
    assert len(to_forum) == 2 and "more stories on #sanctions" in to_forum[0].params["text"]
    assert [c.params.get("message_thread_id") for c in to_forum] == [str(TOPIC)] * 2
    assert len(telegram_api.texts(FORUM, thread=TOPIC)) == 2
    [summit] = [c for c in telegram_api.calls("sendMessage")
                if c.params["chat_id"] == CHANNEL]
    assert "message_thread_id" not in summit.params                 # other chats as before


def test_a_forum_topic_that_does_not_exist_holds_that_destination_only(
        feed_server, telegram_api, tmp_path: Path) -> None:
    telegram_api.add_forum(FORUM, topics=(TOPIC,))
    url = feed_server.set_feed("/world.xml", rss([Item(
        guid="s1", title="New sanctions on exporters", description="<p>Sanctions.</p>",
        published=soon(1), link="https://news.example/s1")]))
    url2 = feed_server.set_feed("/more.xml", rss([Item(
        guid="m1", title="Leaders to hold summit", description=LEDE, published=soon(1),
        link="https://news.example/m1")]))
    config = write_config(tmp_path, [url, url2])
    config.write_text(config.read_text().replace(
        "    terms: [sanctions, embargo]\n",
        f'    terms: [sanctions, embargo]\n    channel: "{FORUM}:99"\n'))
    result = run_once(config, f"sqlite:///{tmp_path / 'db.sqlite'}", telegram_api)
    assert telegram_api.texts(FORUM) == []
    log = result.stdout + result.stderr
    assert f"chat {FORUM}:99: Message thread not found" in log
    # The wrong topic is that destination's problem: the other chat still gets its post.
    assert len(telegram_api.texts(CHANNEL)) == 1 and "every chat" not in log
