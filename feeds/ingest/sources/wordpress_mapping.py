"""A WordPress post as an import record: the one mapping of ``nashra sync wordpress``
and ``nashra import --format wxr``.

Both read a post into a :class:`WordPressPost` (from the REST API's JSON, or
from an export's XML), and :func:`post_record` turns it into a record of
the import format, which then goes through the same validation and
cleaning as every other way in (:func:`feeds.ingest.records.validate_record`).
So a title arrives as WordPress holds it (the REST API's ``title.rendered``
is texturized HTML: ``&#8220;``, ``&#038;``), and the import's cleaning of
plain-text fields decodes it, once, to text.

What maps to what (README "From WordPress"):

* id ``wp-{post id}``: one WordPress site per store;
* ``date_gmt`` / ``modified_gmt`` (UTC without an offset) → published / updated;
* categories: each configured category takes the WordPress category slugs
  in its ``wordpress`` list (default: its own slug), percent-decoded;
* ``[wordpress] breaking`` slugs among the post's categories or tags mark it
  breaking until ``breaking_hours`` after its date; a breaking post needs no
  configured category (it is in ``all`` and ``breaking``); any other post
  without one is skipped;
* a password-protected post is skipped (its title is public, its text is not);
* a multilingual plugin's ``lang`` wins, else the language of the text
  (:mod:`feeds.ingest.language_id`), else the first category's.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from feeds.config.settings import Settings
from feeds.ingest.language_id import with_language

ID_PREFIX = "wp-"
NO_CATEGORY = "in no configured category"
PASSWORD_PROTECTED = "password-protected"


@dataclass(frozen=True, slots=True)
class WordPressImage:
    """A post's featured image, as far as WordPress describes it."""

    url: str
    type: str | None = None
    length: int | None = None
    alt: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class WordPressPost:
    """A published post, read from the REST API or an export; text as WordPress gives it."""

    id: int
    link: str | None
    title: str
    content: str
    excerpt: str
    date_gmt: str | None  # "2026-11-28T09:00:00" or "2026-11-28 09:00:00", UTC, no offset
    modified_gmt: str | None
    author: str | None = None
    categories: tuple[str, ...] = ()  # slugs, percent-decoded, lowercase
    tags: tuple[str, ...] = ()
    image: WordPressImage | None = None
    language: str | None = None  # a multilingual plugin's, where there is one
    protected: bool = False  # behind a password: not for feeds


def article_id(post_id: int) -> str:
    return f"{ID_PREFIX}{post_id}"


def utc(wordpress_gmt: str | None) -> datetime | None:
    """A WordPress ``*_gmt`` date as an aware UTC datetime; None for none or ``0000-00-00``."""
    if not wordpress_gmt or wordpress_gmt.startswith("0000"):
        return None
    try:
        return datetime.fromisoformat(wordpress_gmt.replace(" ", "T")).replace(tzinfo=UTC)
    except ValueError:
        return None


def categories_of(post: WordPressPost, settings: Settings) -> list[str]:
    """The configured categories the post's WordPress categories map to, in config order."""
    found = set(post.categories)
    return [c.slug for c in settings.categories if found.intersection(c.wordpress_slugs)]


def is_breaking(post: WordPressPost, settings: Settings) -> bool:
    marks = set(settings.wordpress.breaking)
    return bool(marks.intersection(post.categories) or marks.intersection(post.tags))


def skip_reason(post: WordPressPost, settings: Settings) -> str | None:
    """Why the post becomes no article (None: it does)."""
    if post.protected:
        return PASSWORD_PROTECTED
    if not categories_of(post, settings) and not is_breaking(post, settings):
        return NO_CATEGORY
    return None


def post_record(post: WordPressPost, settings: Settings) -> dict[str, Any]:
    """The import record of ``post`` (see the module docstring); validation comes after."""
    record: dict[str, Any] = {
        "id": article_id(post.id),
        "title": post.title,
        "link": post.link,
        "categories": categories_of(post, settings),
    }
    published, updated = utc(post.date_gmt), utc(post.modified_gmt)
    if published is not None:
        record["published"] = published.isoformat().replace("+00:00", "Z")
    if updated is not None and published is not None and updated >= published:
        record["updated"] = updated.isoformat().replace("+00:00", "Z")
    if post.author:
        record["author"] = post.author
    if post.excerpt.strip():
        record["summary"] = post.excerpt
    if post.content.strip():
        record["content"] = post.content
    if is_breaking(post, settings):
        record["breaking"] = True
        if published is not None:
            until = published + timedelta(hours=settings.wordpress.breaking_hours)
            record["breaking_until"] = until.isoformat().replace("+00:00", "Z")
    if post.image is not None:
        record["image"] = _image(post.image)
    if post.language:
        record["language"] = post.language
    identified = with_language(record, settings)
    assert isinstance(identified, dict)
    return identified


def _image(image: WordPressImage) -> dict[str, Any]:
    fields = {
        "url": image.url,
        "type": image.type or mimetypes.guess_type(image.url)[0],  # WXR does not say
        "length": image.length,
        "alt": image.alt or None,
        "width": image.width,
        "height": image.height,
    }
    if (image.width is None) != (image.height is None):
        fields["width"] = fields["height"] = None
    return {name: value for name, value in fields.items() if value is not None}
