"""Atom 1.0 (RFC 4287), rendered by feedgen with nashra's fixes.

feedgen builds every Atom entry ``link`` without its rel, type and length
(upstream issue #135), turning an enclosure into a second alternate link:
the entry extension replaces the entry's links with correct ones, and states
the entry's language (``xml:lang``) when it differs from the feed's. Both
fixes are tested in ``tests/formats``.
"""

from __future__ import annotations

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from feeds.formats.base import FeedDocument, FeedFormat
from feeds.formats.feedgen_common import feed_generator
from feeds.formats.media_rss import MEDIA_NS, add_lead_image
from feeds.model.entries import EntryView

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml"


class _FeedFixes(BaseExtension):  # type: ignore[misc]  # feedgen is untyped
    """The Media RSS namespace, declared once on ``<feed>`` for the entries' images."""

    def extend_ns(self) -> dict[str, str]:
        return {"media": MEDIA_NS}


class _EntryFixes(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped
    view: EntryView

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        # feedgen builds Atom entries without a namespace and lets the <feed>
        # root's literal xmlns attribute apply it on output: do the same.
        for link in entry.findall("link"):
            entry.remove(link)
        etree.SubElement(entry, "link", rel="alternate", type="text/html", href=self.view.link)
        image = self.view.image
        if image and image.length:  # 0 says as little as none
            # RFC 4287 §4.2.7.2: an enclosure SHOULD state its length; without it the
            # image still comes as Media RSS and in the content
            etree.SubElement(
                entry,
                "link",
                rel="enclosure",
                type=image.type,
                length=str(image.length),
                href=image.url,
            )
        if image:
            add_lead_image(entry, image)
        if self.view.own_language:
            entry.set(XML_LANG, self.view.language)
        return entry


def render(doc: FeedDocument) -> bytes:
    """The Atom document: UTF-8 bytes with an XML declaration."""
    fg = feed_generator(doc, MEDIA_TYPE, FORMAT.extension, (_FeedFixes, _EntryFixes))
    for view in doc.entries:
        fe = fg.add_entry(order="append")
        fe.nashra.view = view
        fe.id(view.id)
        fe.title(view.title)
        fe.link(href=view.link, rel="alternate")  # rebuilt by _EntryFixes
        fe.published(view.published)
        fe.updated(view.updated)
        for category in view.categories:
            fe.category(term=category.term, label=category.label)
        if view.author:
            fe.author(name=view.author)
        if view.summary:
            fe.summary(view.summary, type="text")
        if view.content_html:
            fe.content(view.content_html, type="html")
    return bytes(fg.atom_str(pretty=False))


FORMAT = FeedFormat(extension="atom", media_type=MEDIA_TYPE, label="Atom 1.0", render=render)
