"""The lead image where every kind of reader looks: enclosure, Media RSS, content."""

from __future__ import annotations

import feedparser
import lxml.html
from lxml import etree

from tests.support.builders import record
from tests.support.commands import ImportRecords
from tests.support.fetch import Fetch

MEDIA = "http://search.yahoo.com/mrss/"
IMAGE = {
    "url": "https://news.example/media/cup.jpg",
    "type": "image/jpeg",
    "alt": "المنتخب يرفع الكأس",
    "width": 1200,
    "height": 675,
}  # no length: its size in bytes is unknown


def test_readers_find_the_image_alt_text_and_size_in_rss_and_atom(
    import_records: ImportRecords, fetch: Fetch
) -> None:
    assert import_records([record(1, image=IMAGE)]).code == 0
    for fmt in ("rss", "atom"):
        document = fetch(f"/feeds/politics.{fmt}").content  # and the validator finds nothing
        (entry,) = feedparser.parse(document).entries
        (content,) = entry.media_content
        assert content["url"] == IMAGE["url"], fmt
        assert (content["medium"], content["width"], content["height"]) == ("image", "1200", "675")
        assert entry.media_thumbnail[0]["url"] == IMAGE["url"], fmt
        root = etree.fromstring(document)
        description = root.find(f".//{{{MEDIA}}}content/{{{MEDIA}}}description")
        assert description is not None and description.text == IMAGE["alt"], fmt
        assert description.get("type") == "plain"
        # readers that show only the content see it too, first thing in the content
        wrapper = lxml.html.fragment_fromstring(entry.content[0]["value"])
        img = wrapper[0].find("img")
        assert (wrapper[0].tag, img.get("src"), img.get("alt")) == (
            "figure",
            IMAGE["url"],
            IMAGE["alt"],
        )
        assert (img.get("width"), img.get("height")) == ("1200", "675")
    (item,) = fetch("/feeds/politics.json").json()["items"]  # and the JSON checker finds nothing
    assert item["image"] == IMAGE["url"]
    assert item["attachments"] == [{"url": IMAGE["url"], "mime_type": "image/jpeg"}]
    rss_enclosure = etree.fromstring(fetch("/feeds/politics.rss").content).find(".//enclosure")
    assert rss_enclosure is not None and rss_enclosure.get("length") == "0"  # unknown: 0
    atom = etree.fromstring(fetch("/feeds/politics.atom").content)
    # an Atom enclosure SHOULD state its length (RFC 4287): none, rather than a made-up one
    assert atom.find(".//{http://www.w3.org/2005/Atom}link[@rel='enclosure']") is None


def test_an_image_without_details_still_reaches_every_reader(
    import_records: ImportRecords, fetch: Fetch
) -> None:
    image = {"url": "https://news.example/media/a.jpg", "type": "image/jpeg", "length": 4096}
    assert import_records([record(1, image=image)]).code == 0
    entry = feedparser.parse(fetch("/feeds/politics.rss").content).entries[0]
    assert entry.media_content[0]["filesize"] == "4096"
    assert "width" not in entry.media_content[0]
    assert 'alt=""' in entry.content[0]["value"]  # empty, not the file name


def test_a_size_of_zero_bytes_is_treated_as_unknown(
    import_records: ImportRecords, fetch: Fetch
) -> None:
    """Media RSS wants a positive fileSize and Atom a real length: 0 says nothing, as none."""
    image = {"url": "https://news.example/media/z.jpg", "type": "image/png", "length": 0}
    assert import_records([record(1, image=image)]).code == 0
    rss = etree.fromstring(fetch("/feeds/politics.rss").content)
    assert rss.find(f".//{{{MEDIA}}}content").get("fileSize") is None
    assert rss.find(".//enclosure").get("length") == "0"  # the RSS Board's word for unknown
    atom = etree.fromstring(fetch("/feeds/politics.atom").content)
    assert atom.find(".//{http://www.w3.org/2005/Atom}link[@rel='enclosure']") is None
    (item,) = fetch("/feeds/politics.json").json()["items"]
    assert "size_in_bytes" not in item["attachments"][0]
