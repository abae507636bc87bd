"""Media RSS (https://www.rssboard.org/media-rss) for the lead image, in RSS and Atom alike.

Many readers and aggregators show an entry's picture only from
``media:content`` or ``media:thumbnail`` (Feedly, Inoreader, Flipboard,
Outlook…), others only from the enclosure or the content: nashra gives all
three, so the same article shows with its photo in every app. The image's
alternative text goes in ``media:description`` (plain text) inside
``media:content``, where readers look for a caption.
"""

from __future__ import annotations

from lxml import etree

from store.types import Image

MEDIA_NS = "http://search.yahoo.com/mrss/"


def add_lead_image(parent: etree._Element, image: Image) -> None:
    """``media:content`` (with the alt text) and ``media:thumbnail`` for ``image``."""
    size: dict[str, str] = {}
    if image.width and image.height:
        size = {"width": str(image.width), "height": str(image.height)}
    attributes = {"url": image.url, "type": image.type, "medium": "image"}
    if image.length:  # Media RSS wants a positive integer: 0 is left out, as unknown
        attributes["fileSize"] = str(image.length)
    attributes.update(size)
    content = etree.SubElement(parent, f"{{{MEDIA_NS}}}content", attributes)
    if image.alt:
        description = etree.SubElement(content, f"{{{MEDIA_NS}}}description", type="plain")
        description.text = image.alt
    thumbnail = {"url": image.url}
    thumbnail.update(size)
    etree.SubElement(parent, f"{{{MEDIA_NS}}}thumbnail", thumbnail)
