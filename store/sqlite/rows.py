"""Conversion between :class:`~store.types.Article` and database rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

from store.types import BREAKING_FEED, Article, Image, Prepared, to_us

#: A row as sqlite3 hands it out. Its values' types are the columns', which
#: the schema knows and Python does not: each reader converts what it reads.
Row = tuple[Any, ...]

#: Column order shared by the writes and the reads of ``articles``.
ARTICLE_COLUMNS = (
    "id, title, link, published, updated, updated_us, categories, language, author, "
    "summary, content, breaking, breaking_until, image_url, image_type, image_length, feeds, "
    "digest, image_alt, image_width, image_height"
)


def digest(article: Article) -> str:
    """A hash of every field, so an identical re-import is recognized as unchanged.

    Fields are joined with a separator that cleaned text cannot hold (U+0000),
    each prefixed by its length, so no two different articles join alike. An
    image's details (alternative text, pixels) join only when given, so the
    articles stored before they existed keep their digest.
    """
    return _digest(article, article.published.isoformat(), article.updated.isoformat())


def _digest(article: Article, published: str, updated: str) -> str:
    """:func:`digest`, given the article's dates as written (each is computed once).

    Written out field by field, one string built at once: a loop over the
    fields cost about as much as hashing the result.
    """
    a = article
    categories = "\x1e".join(a.categories)
    breaking = "True" if a.breaking else "False"  # str(bool)
    joined = (
        f"{len(a.id)}:{a.id}\0{len(a.title)}:{a.title}\0{len(a.link)}:{a.link}\0"
        f"{len(published)}:{published}\0{len(updated)}:{updated}\0"
        f"{len(categories)}:{categories}\0{len(a.language)}:{a.language}\0"
        f"{_field(a.author)}\0{_field(a.summary)}\0{_field(a.content)}\0"
        f"{len(breaking)}:{breaking}\0{_field(_image_digest(a.image))}\0"
        f"{_field(a.breaking_until.isoformat() if a.breaking_until else None)}"
    )
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def _field(value: str | None) -> str:
    """An optional field as the digest joins it: its length and itself, or U+0001 for none."""
    return "\x01" if value is None else f"{len(value)}:{value}"


def _image_digest(image: Image | None) -> str | None:
    if image is None:
        return None
    joined = f"{image.url}\x1e{image.type}\x1e{image.length}"
    details = (image.alt, image.width, image.height)
    if details == (None, None, None):
        return joined
    return joined + "".join(f"\x1e{'' if d is None else f'{len(str(d))}:{d}'}" for d in details)


def json_strings(items: Iterable[str]) -> str:
    """``json.dumps(list(items), ensure_ascii=False)``, without building an encoder per call."""
    return "[" + ", ".join(map(encode_basestring, items)) + "]"


def json_strings_ascii(items: Iterable[str]) -> str:
    """``json.dumps(list(items))``: non-ASCII characters escaped, as its default does."""
    return "[" + ", ".join(map(encode_basestring_ascii, items)) + "]"


def json_entries(entries: Iterable[tuple[str, int, int | None]]) -> str:
    """``json.dumps(entries)`` of :attr:`Prepared.entries`: the same text, a few times faster."""
    return (
        "["
        + ", ".join(
            f"[{encode_basestring_ascii(feed)}, {published_us}, "
            f"{'null' if expires_us is None else expires_us}]"
            for feed, published_us, expires_us in entries
        )
        + "]"
    )


def prepare(article: Article) -> Prepared:
    """What :func:`store.sqlite.articles.put_prepared` needs to write ``article``.

    The store's ``preparer``: module-level, so ``nashra import`` can run it in
    worker processes. Its ``row`` holds the values of :data:`ARTICLE_COLUMNS`.
    Every value is computed once: this runs for every imported record.
    """
    published, updated = article.published.isoformat(), article.updated.isoformat()
    article_digest = _digest(article, published, updated)
    feeds = article.feed_keys()
    sorted_feeds = sorted(feeds)
    updated_us = to_us(article.updated)
    published_us = to_us(article.published)
    until = article.breaking_until
    until_us = to_us(until) if until else None
    entries = tuple(
        (feed, published_us, until_us if feed == BREAKING_FEED else None) for feed in sorted_feeds
    )
    image = article.image
    row = (
        article.id,
        article.title,
        article.link,
        published,
        updated,
        updated_us,
        json_strings(article.categories),
        article.language,
        article.author,
        article.summary,
        article.content,
        int(article.breaking),
        until.isoformat() if until else None,
        image.url if image else None,
        image.type if image else None,
        image.length if image else None,
        json_strings_ascii(sorted_feeds),
        article_digest,
        image.alt if image else None,
        image.width if image else None,
        image.height if image else None,
    )
    return Prepared(article.id, article_digest, updated_us, feeds, entries, row)


def article_from_row(row: Row) -> Article:
    """The :class:`Article` of a row selected with :data:`ARTICLE_COLUMNS`."""
    (
        id_, title, link, published, updated, _updated_us, categories, language, author,
        summary, content, breaking, breaking_until, image_url, image_type, image_length, _feeds,
        _digest, image_alt, image_width, image_height,
    ) = row  # fmt: skip
    image = (
        Image(
            url=str(image_url),
            type=str(image_type),
            length=_int_or_none(image_length),
            alt=None if image_alt is None else str(image_alt),
            width=_int_or_none(image_width),
            height=_int_or_none(image_height),
        )
        if image_url is not None
        else None
    )
    return Article(
        id=str(id_),
        title=str(title),
        link=str(link),
        published=datetime.fromisoformat(str(published)),
        updated=datetime.fromisoformat(str(updated)),
        categories=tuple(json.loads(str(categories))),
        language=str(language),
        author=None if author is None else str(author),
        summary=None if summary is None else str(summary),
        content=None if content is None else str(content),
        breaking=bool(breaking),
        image=image,
        breaking_until=datetime.fromisoformat(str(breaking_until)) if breaking_until else None,
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
