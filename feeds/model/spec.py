"""What each feed is: a small spec per feed, in the manner of Django's ``Feed``.

A :class:`FeedSpec` says which articles a feed holds (its store key), what it
is called, its language, and where it lives. The three kinds (a category, the
site-wide ``all`` and ``breaking``) differ only in those values, so one
dataclass serves all three and :func:`feed_specs` builds them from settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from feeds.config.settings import Settings
from feeds.model.language import Direction, direction
from store.types import ALL_FEED, BREAKING_FEED

#: The breaking feed's name in the site's language (English otherwise).
BREAKING_TITLES = {
    "ar": "عاجل",
    "fa": "فوری",
    "ur": "تازہ ترین",
    "he": "מבזקים",
    "en": "Breaking news",
    "fr": "Dernière minute",
    "de": "Eilmeldungen",
    "es": "Última hora",
    "tr": "Son dakika",
}
ALL_TITLES = {
    "ar": "كل الأخبار",
    "fa": "همه اخبار",
    "ur": "تمام خبریں",
    "en": "All news",
    "fr": "Toutes les nouvelles",
}


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One feed: its store key, its words, its language and its addresses."""

    key: str
    title: str
    description: str
    language: str
    site_title: str
    site_link: str
    max_age: int
    tag_prefix: str
    hub: str | None = None  # the WebSub hub, announced with rel="hub"

    @property
    def direction(self) -> Direction:
        return direction(self.language)

    def url(self, extension: str) -> str:
        """The absolute URL the feed is served at in a format: its self link there."""
        return f"{self.site_link}feeds/{self.key}.{extension}"

    @property
    def atom_id(self) -> str:
        """The feed's Atom id: a tag URI that never changes with format or content."""
        return f"{self.tag_prefix}feed:{quote(self.key, safe='')}"

    def entry_id(self, article_id: str) -> str:
        """An article's id and guid, the same in every feed, so readers can de-duplicate."""
        return article_tag(self.tag_prefix, article_id)


def tag_prefix(site_link: str, tag_date: str) -> str:
    """``tag:host,date:path/`` for the site (RFC 4151), the stem of every id nashra emits."""
    parts = urlsplit(site_link)
    path = parts.path.strip("/")
    return f"tag:{(parts.hostname or '').lower()},{tag_date}:{quote(path) + '/' if path else ''}"


def article_tag(prefix: str, article_id: str) -> str:
    return f"{prefix}article:{quote(article_id, safe='-._~!$&()*+,;=:@/')}"


def feed_specs(settings: Settings) -> dict[str, FeedSpec]:
    """Every feed nashra serves, by key: each category, then ``all`` and ``breaking``."""
    site = settings.site
    prefix = tag_prefix(site.link, site.tag_date)
    primary = site.language.split("-")[0]

    def spec(key: str, title: str, description: str, language: str, max_age: int) -> FeedSpec:
        return FeedSpec(
            key, title, description, language, site.title, site.link, max_age, prefix,
            settings.websub.hub,
        )  # fmt: skip

    specs = {
        c.slug: spec(
            c.slug,
            f"{site.title} — {c.title}",
            c.description or c.title,
            c.language,
            settings.feeds.max_age,
        )
        for c in settings.categories
    }
    specs[ALL_FEED] = spec(
        ALL_FEED,
        site.title,
        site.description or ALL_TITLES.get(primary, ALL_TITLES["en"]),
        site.language,
        settings.feeds.max_age,
    )
    breaking = BREAKING_TITLES.get(primary, BREAKING_TITLES["en"])
    specs[BREAKING_FEED] = spec(
        BREAKING_FEED,
        f"{site.title} — {breaking}",
        breaking,
        site.language,
        settings.feeds.breaking_max_age,
    )
    return specs
