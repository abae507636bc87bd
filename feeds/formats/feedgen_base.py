"""The one place that drives feedgen, and the fixes for what it gets wrong.

feedgen (the design card's generator) has defects that must not reach a
reader, each fixed here explicitly and tested in ``tests/test_generator.py``:

- it defaults an entry's ``updated`` and the feed's ``lastBuildDate`` to now:
  every date is set explicitly, so unchanged content renders identical bytes;
- the RSS channel ``link`` becomes whichever link was added last: the feed
  extension sets it to the alternate link on the element tree;
- content set without a description lands in RSS ``description``: content is
  never given to feedgen for RSS; the entry extension writes
  ``content:encoded`` itself and ``description`` holds only the summary;
- in Atom every entry ``link`` loses its rel, type and length (upstream issue
  #135), turning an enclosure into a second alternate link: the entry
  extension replaces the entry's links with correct ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.model.entries import EntryView
from feeds.model.spec import FeedSpec, Format

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPES: dict[Format, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
}
GENERATOR = "nashra"


class FeedFixes(BaseExtension):
    """Feed-level fixes and additions on feedgen's element tree."""

    alternate = ""
    hub: str | None = None
    namespaces: dict[str, str] = {}  # noqa: RUF012 - set per feed before rendering

    def extend_ns(self) -> dict[str, str]:
        return self.namespaces

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        channel = feed[0]
        channel.find("link").text = self.alternate
        if self.hub:  # feedgen writes only the first rel="self" atom:link into RSS
            self_link = channel.find(f"{{{ATOM_NS}}}link")
            hub = etree.Element(f"{{{ATOM_NS}}}link", href=self.hub, rel="hub")
            self_link.addnext(hub)
        return feed


class EntryFixes(BaseEntryExtension):
    """Entry-level fixes and additions on feedgen's element tree."""

    view: EntryView

    def extend_rss(self, item: etree._Element) -> etree._Element:
        # dc:creator and dc:language are written here rather than through
        # feedgen's dc extension, which costs a seventh of a feed's render.
        if self.view.author:
            etree.SubElement(item, f"{{{DC_NS}}}creator").text = self.view.author
        if self.view.own_language:
            etree.SubElement(item, f"{{{DC_NS}}}language").text = self.view.language
        if self.view.content_html:
            etree.SubElement(item, f"{{{CONTENT_NS}}}encoded").text = self.view.content_html
        return item

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        # feedgen builds Atom entries without a namespace and lets the <feed>
        # root's literal xmlns attribute apply it on output: do the same.
        for link in entry.findall("link"):
            entry.remove(link)
        etree.SubElement(entry, "link", rel="alternate", type="text/html", href=self.view.link)
        image = self.view.image
        if image:
            etree.SubElement(
                entry,
                "link",
                rel="enclosure",
                type=image.type,
                length=str(image.length),
                href=image.url,
            )
        if self.view.own_language:
            entry.set(XML_LANG, self.view.language)
        return entry


def render(
    spec: FeedSpec,
    fmt: Format,
    entries: Iterable[EntryView],
    modified: datetime,
    *,
    ttl: int,
    version: str,
) -> bytes:
    """The feed document for ``spec`` in ``fmt``, UTF-8 bytes with an XML declaration."""
    fg = _feed(spec, fmt, modified, ttl=ttl, version=version)
    for view in entries:
        _add_entry(fg, fmt, view)
    if fmt == "rss":
        return fg.rss_str(pretty=False)
    return fg.atom_str(pretty=False)


def _feed(
    spec: FeedSpec, fmt: Format, modified: datetime, *, ttl: int, version: str
) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("nashra", FeedFixes, EntryFixes, atom=True, rss=True)
    fg.nashra.alternate = spec.site_link
    fg.nashra.namespaces = {"dc": DC_NS} if fmt == "rss" else {}
    fg.nashra.hub = spec.hub
    fg.id(spec.atom_id)
    fg.title(spec.title)
    fg.subtitle(spec.description)  # also the RSS channel description
    fg.language(spec.language)  # RSS <language>, Atom xml:lang on <feed>
    fg.author({"name": spec.site_title, "uri": spec.site_link})  # Atom only: no e-mail
    fg.link(href=spec.url(fmt), rel="self", type=MEDIA_TYPES[fmt])
    fg.link(href=spec.site_link, rel="alternate", type="text/html")
    if spec.hub:
        fg.link(href=spec.hub, rel="hub")  # Atom; RSS gets it from FeedFixes
    fg.lastBuildDate(modified)  # also Atom <updated>
    fg.pubDate(modified)
    fg.generator(GENERATOR, version=version)
    if fmt == "rss":
        fg.ttl(ttl)
    return fg


def _add_entry(fg: FeedGenerator, fmt: Format, view: EntryView) -> None:
    fe = fg.add_entry(order="append")
    fe.nashra.view = view
    fe.id(view.id)  # Atom <id> and RSS <guid isPermaLink="false">
    fe.title(view.title)
    fe.link(href=view.link, rel="alternate")  # RSS <link>; Atom links are rebuilt by EntryFixes
    fe.published(view.published)  # also RSS <pubDate>
    fe.updated(view.updated)
    for category in view.categories:
        if fmt == "rss":
            fe.category(term=category.label)
        else:
            fe.category(term=category.term, label=category.label)
    if view.author:
        fe.author(name=view.author)  # Atom only: RSS <author> must be an e-mail address
    if view.summary:
        fe.summary(view.summary, type="text")  # also RSS <description>
    if fmt == "atom" and view.content_html:
        fe.content(view.content_html, type="html")
    if fmt == "rss" and view.image:
        fe.enclosure(view.image.url, str(view.image.length), view.image.type)
