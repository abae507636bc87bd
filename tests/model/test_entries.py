"""Feed entries as rendered: the right-to-left mark before a title that starts in Latin."""

from __future__ import annotations

from lxml import etree
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.config.loader import load_settings
from tests.support.builders import record
from tests.support.commands import ImportRecords
from tests.support.config import MakeConfig


def test_the_rtl_mark_can_be_switched_off(
    make_config: MakeConfig, import_records: ImportRecords
) -> None:
    latin_first = record(1, "ar", title="iPhone 17 يصل", content="<p>NASA تطلق</p>")
    assert import_records([latin_first]).code == 0
    without_mark = load_settings(make_config(feeds={"rtl_mark": False}))
    with TestClient(create_app(without_mark)) as client:
        document = client.get("/feeds/politics.rss").content
    item = etree.fromstring(document).find("channel/item")
    assert item.findtext("title") == "iPhone 17 يصل"
    assert "\u200f" not in document.decode()
