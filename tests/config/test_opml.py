"""OPML export and import: the round trip, duplicates skipped, comments kept, and files that
declare a DOCTYPE or entities refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load, opml
from bot.errors import ConfigError
from tests.conftest import ROOT

SUBSCRIPTIONS = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My reader</title></head><body>
  <outline text="World">
    <outline type="rss" text="Globe" title="Globe Wire" xmlUrl="https://globe.example/rss"/>
    <outline type="rss" text="Herald" xmlUrl="https://herald.example/atom.xml"/>
  </outline>
  <outline type="rss" text="Already here" xmlUrl="https://feeds.example/a.xml/"/>
  <outline type="rss" text="Twice" xmlUrl="https://globe.example/rss"/>
  <outline text="A folder with no feed"/>
</body></opml>
"""


def newsbot(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSBOT_CONFIG": str(config)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "newsbot.yaml"
    path.write_text('channel: "@opml_chan"   # where posts go\nfeeds:\n'
                    "  - url: https://feeds.example/a.xml   # the first one\n    name: A\n"
                    "topics:\n  summits:\n    terms: [summit]\n")
    return path


def test_import_adds_new_feeds_once_and_keeps_comments(config: Path, tmp_path: Path) -> None:
    (tmp_path / "subs.opml").write_bytes(SUBSCRIPTIONS)
    result = newsbot("opml", "import", str(tmp_path / "subs.opml"), config=config)
    assert result.returncode == 0, result.stderr
    assert "added 2" in result.stderr
    text = config.read_text()
    assert "# where posts go" in text and "# the first one" in text
    assert [(f.url, f.name) for f in load(config, env={}).feeds] == [
        ("https://feeds.example/a.xml", "A"), ("https://globe.example/rss", "Globe Wire"),
        ("https://herald.example/atom.xml", "Herald")]
    again = newsbot("opml", "import", str(tmp_path / "subs.opml"), config=config)
    assert again.returncode == 0 and "already in" in again.stderr
    assert config.read_text() == text


def test_export_then_import_round_trips(config: Path, tmp_path: Path) -> None:
    result = newsbot("opml", "export", str(tmp_path / "out.opml"), config=config)
    assert result.returncode == 0, result.stderr
    assert opml.read_opml((tmp_path / "out.opml").read_bytes()) == [
        ("https://feeds.example/a.xml", "A")]
    stdout = newsbot("opml", "export", config=config).stdout
    assert stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')


@pytest.mark.parametrize("doc", [
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
    b'<opml version="2.0"><body><outline xmlUrl="https://x.example/&lol2;"/></body></opml>',
    b'<?xml version="1.0"?>\n<!DOCTYPE opml SYSTEM "file:///etc/passwd"><opml/>',
    '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE o [<!ENTITY e "x">]><opml/>'
    .encode("utf-16"),
])
def test_doctype_and_entities_are_refused(doc: bytes) -> None:
    with pytest.raises(ConfigError, match="DOCTYPE or entities") as err:
        opml.read_opml(doc, "subs.opml")
    assert err.value.file == "subs.opml" and err.value.line == 2


def test_not_opml_or_not_xml_is_refused_with_its_line() -> None:
    with pytest.raises(ConfigError, match="not an OPML file"):
        opml.read_opml(b"<rss version='2.0'/>")
    with pytest.raises(ConfigError, match="not valid XML") as err:
        opml.read_opml(b"<opml>\n<body>\n</opml>")
    assert err.value.line == 3


def test_import_takes_http_feeds_only_and_marks_them_from_opml(config: Path,
                                                               tmp_path: Path) -> None:
    # An untrusted list: local files (the token is in /proc/self/environ) are never imported,
    # and what is imported may reach public addresses only, after a reload too.
    (tmp_path / "evil.opml").write_bytes(b"""<?xml version="1.0"?><opml version="2.0"><body>
      <outline type="rss" text="Env" xmlUrl="file:///proc/self/environ"/>
      <outline type="rss" text="Passwd" xmlUrl="file:///etc/passwd"/>
      <outline type="rss" text="Path" xmlUrl="/etc/shadow"/>
      <outline type="rss" text="Gopher" xmlUrl="gopher://127.0.0.1:5432/"/>
      <outline type="rss" text="News" xmlUrl="https://news.example/rss"/>
    </body></opml>""")
    result = newsbot("opml", "import", str(tmp_path / "evil.opml"), config=config)
    assert result.returncode == 0, result.stderr
    text = config.read_text()
    assert "file://" not in text and "/etc/" not in text and "gopher" not in text
    assert "  - url: https://news.example/rss\n    name: News\n    origin: opml\n" in text
    feeds = {f.url: f for f in load(config, env={}).feeds}
    assert feeds["https://news.example/rss"].origin == "opml"
    assert feeds["https://feeds.example/a.xml"].trusted
