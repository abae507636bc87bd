"""RSS 2.0 (RSS Board profile), rendered by feedgen with nashra's fixes.

feedgen's RSS output has defects that must not reach a reader, each fixed
here and tested in ``tests/formats``:

- the channel ``link`` becomes whichever link was added last: the feed
  extension sets it to the site's link on the element tree;
- feedgen writes only the first ``rel="self"`` ``atom:link`` into RSS: the
  WebSub hub link is added beside it;
- content set without a description lands in ``description``: content is
  never given to feedgen; the entry extension writes ``content:encoded``
  itself and ``description`` holds only the summary;
- ``summary(text, type="text")`` puts the text into ``description`` as it
  is, though RSS ``description`` is HTML (RSS Profile): a plain summary such
  as ``a < b & c`` or ``<b>x</b>`` would be read as markup. The summary (or
  its stand-in, an excerpt of the body or the title) is plain text, so it is
  HTML-escaped here and given to ``description()``: ``<``, ``>`` and ``&``
  only, nothing else, so Arabic and the right-to-left mark stay characters.

``dc:creator`` and ``dc:language`` are written by the entry extension rather
than through feedgen's dc extension, which costs a seventh of a render.
"""

from __future__ import annotations

import html

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from feeds.formats.base import FeedDocument, FeedFormat
from feeds.formats.feedgen_common import feed_generator
from feeds.formats.media_rss import MEDIA_NS, add_lead_image
from feeds.model.entries import EntryView

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
MEDIA_TYPE = "application/rss+xml"


class _ChannelFixes(BaseExtension):  # type: ignore[misc]  # feedgen is untyped
    alternate = ""
    hub: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"dc": DC_NS, "media": MEDIA_NS}

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        channel = feed[0]
        link, self_link = channel.find("link"), channel.find(f"{{{ATOM_NS}}}link")
        assert link is not None and self_link is not None, "feedgen writes both"
        link.text = self.alternate
        if self.hub:
            self_link.addnext(etree.Element(f"{{{ATOM_NS}}}link", href=self.hub, rel="hub"))
        return feed


class _ItemFixes(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped
    view: EntryView

    def extend_rss(self, item: etree._Element) -> etree._Element:
        if self.view.author:
            etree.SubElement(item, f"{{{DC_NS}}}creator").text = self.view.author
        if self.view.own_language:
            etree.SubElement(item, f"{{{DC_NS}}}language").text = self.view.language
        if self.view.content_html:
            etree.SubElement(item, f"{{{CONTENT_NS}}}encoded").text = self.view.content_html
        if self.view.image:
            add_lead_image(item, self.view.image)
        return item


def render(doc: FeedDocument) -> bytes:
    """The RSS document: UTF-8 bytes with an XML declaration."""
    fg = feed_generator(doc, MEDIA_TYPE, FORMAT.extension, (_ChannelFixes, _ItemFixes))
    fg.nashra.alternate = doc.spec.site_link
    fg.nashra.hub = doc.spec.hub
    fg.ttl(doc.ttl)
    for view in doc.entries:
        fe = fg.add_entry(order="append")
        fe.nashra.view = view
        fe.id(view.id)  # <guid isPermaLink="false">
        fe.title(view.title)
        fe.link(href=view.link, rel="alternate")
        fe.published(view.published)  # <pubDate>
        fe.updated(view.updated)
        for category in view.categories:
            fe.category(term=category.label)
        if view.summary:  # plain text, and <description> is HTML; only RSS is rendered here
            fe.description(html.escape(view.summary, quote=False), isSummary=True)
        if view.image:  # a size unknown is 0, as the RSS Board profile says
            fe.enclosure(view.image.url, str(view.image.length or 0), view.image.type)
    return bytes(fg.rss_str(pretty=False))


FORMAT = FeedFormat(extension="rss", media_type=MEDIA_TYPE, label="RSS 2.0", render=render)
