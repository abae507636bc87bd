"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), written with the standard library.

The same feed as Atom, field for field: the same entries in the same order,
with the same ``tag:`` ids, links, dates (RFC 3339, as Atom writes them),
text and HTML (``content_html`` is the entry's content in its ``dir``/``lang``
wrapper, the only HTML in the document). An entry without HTML content
carries its summary as ``content_text``, because an item must have one of
the two. ``language`` is stated on an item only when it differs from the
feed's, like ``xml:lang`` on an Atom entry. Absent values are left out,
never written as ``null``.

The lead image is written twice, on purpose. As ``image``, the item's main
image: what JSON Feed readers show as the entry's preview. And as the one
``attachments`` member, with ``mime_type`` and, when known, ``size_in_bytes``:
JSON Feed's mapping of RSS maps ``enclosure`` to ``attachments``, and RSS and
Atom carry the image as an enclosure with its type (and its length when
known), which ``image`` (a bare URL) cannot hold. So a reader, or an
aggregator converting between formats, finds the same enclosure in all
three.

Rendering is deterministic: keys are written in a fixed order (``version``
first, as the specification asks), compactly, as UTF-8 (``ensure_ascii``
off: Arabic text stays readable and a third smaller); the same document
gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from feeds.formats.base import FeedDocument, FeedFormat
from feeds.model.entries import EntryView

VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def render(doc: FeedDocument) -> bytes:
    """The JSON Feed document: UTF-8 bytes of one compact JSON object."""
    spec = doc.spec
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": spec.title,
        "home_page_url": spec.site_link,
        "feed_url": spec.url(FORMAT.extension),
    }
    if spec.description:
        feed["description"] = spec.description
    feed["language"] = spec.language
    feed["authors"] = [{"name": spec.site_title, "url": spec.site_link}]
    if spec.hub:
        feed["hubs"] = [{"type": "WebSub", "url": spec.hub}]
    feed["items"] = [_item(view) for view in doc.entries]
    return _encode(feed).encode("utf-8")


def _item(view: EntryView) -> dict[str, Any]:
    item: dict[str, Any] = {"id": view.id, "url": view.link, "title": view.title}
    if view.content_html:
        item["content_html"] = view.content_html
    else:  # an item needs content_html or content_text
        item["content_text"] = view.summary  # never empty: the title stands in
    if view.summary:
        item["summary"] = view.summary
    if view.image:
        item["image"] = view.image.url
    item["date_published"] = view.published.isoformat()
    item["date_modified"] = view.updated.isoformat()
    if view.author:
        item["authors"] = [{"name": view.author}]
    if view.categories:
        item["tags"] = [category.label for category in view.categories]
    if view.own_language:
        item["language"] = view.language
    if view.image:
        attachment: dict[str, object] = {"url": view.image.url, "mime_type": view.image.type}
        if view.image.length:  # optional in JSON Feed: left out when unknown (0 is unknown)
            attachment["size_in_bytes"] = view.image.length
        item["attachments"] = [attachment]
    return item


FORMAT = FeedFormat(extension="json", media_type=MEDIA_TYPE, label="JSON Feed 1.1", render=render)
