"""The feed-level set-up that RSS and Atom share, on a feedgen ``FeedGenerator``.

feedgen (the design card's generator) defaults every date to now; here each
is set explicitly from the feed's last change, so unchanged content renders
identical bytes. The fixes that concern one format only live in its module.
"""

from __future__ import annotations

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator

from feeds.formats.base import GENERATOR, FeedDocument


def feed_generator(
    doc: FeedDocument,
    media_type: str,
    extension: str,
    fixes: tuple[type[BaseExtension], type[BaseEntryExtension]],
) -> FeedGenerator:
    """A ``FeedGenerator`` with the feed's metadata and the format's fixes registered.

    The fixes are registered as the extension ``nashra`` (``fg.nashra``,
    ``fe.nashra`` on each entry) for both of feedgen's outputs; each format
    module renders only its own.
    """
    spec = doc.spec
    fg = FeedGenerator()
    fg.register_extension("nashra", *fixes, atom=True, rss=True)
    fg.id(spec.atom_id)
    fg.title(spec.title)
    fg.subtitle(spec.description)  # also the RSS channel description
    fg.language(spec.language)  # RSS <language>, Atom xml:lang on <feed>
    fg.author({"name": spec.site_title, "uri": spec.site_link})  # Atom only: no e-mail
    fg.link(href=spec.url(extension), rel="self", type=media_type)
    fg.link(href=spec.site_link, rel="alternate", type="text/html")
    if spec.hub:
        fg.link(href=spec.hub, rel="hub")  # Atom; the RSS module adds its own
    fg.lastBuildDate(doc.modified)  # also Atom <updated>
    fg.pubDate(doc.modified)
    fg.generator(GENERATOR, version=doc.version)
    return fg
