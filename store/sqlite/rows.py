"""Conversion between :class:`~store.types.Article` and database rows."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
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
    fields = (
        article.id, article.title, article.link, article.published.isoformat(),
        article.updated.isoformat(), "\x1e".join(article.categories), article.language,
        article.author, article.summary, article.content, str(article.breaking),
        _image_digest(article.image),
        article.breaking_until.isoformat() if article.breaking_until else None,
    )  # fmt: skip
    joined = "\x00".join("\x01" if f is None else f"{len(f)}:{f}" for f in fields)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def _image_digest(image: Image | None) -> str | None:
    if image is None:
        return None
    joined = f"{image.url}\x1e{image.type}\x1e{image.length}"
    details = (image.alt, image.width, image.height)
    if details == (None, None, None):
        return joined
    return joined + "".join(f"\x1e{'' if d is None else f'{len(str(d))}:{d}'}" for d in details)


def article_row(article: Article, article_digest: str) -> tuple[object, ...]:
    """Values for the columns of :data:`ARTICLE_COLUMNS`, in that order."""
    image = article.image
    return (
        article.id,
        article.title,
        article.link,
        article.published.isoformat(),
        article.updated.isoformat(),
        to_us(article.updated),
        json.dumps(article.categories, ensure_ascii=False),
        article.language,
        article.author,
        article.summary,
        article.content,
        int(article.breaking),
        article.breaking_until.isoformat() if article.breaking_until else None,
        image.url if image else None,
        image.type if image else None,
        image.length if image else None,
        json.dumps(sorted(article.feed_keys())),
        article_digest,
        image.alt if image else None,
        image.width if image else None,
        image.height if image else None,
    )


def prepare(article: Article) -> Prepared:
    """What :func:`store.sqlite.articles.put_prepared` needs to write ``article``.

    The store's ``preparer``: module-level, so ``nashra import`` can run it in
    worker processes. Its ``row`` holds the values of :data:`ARTICLE_COLUMNS`.
    """
    article_digest = digest(article)
    feeds = article.feed_keys()
    published_us = to_us(article.published)
    until = to_us(article.breaking_until) if article.breaking_until else None
    entries = tuple(
        (feed, published_us, until if feed == BREAKING_FEED else None) for feed in sorted(feeds)
    )
    return Prepared(
        article.id,
        article_digest,
        to_us(article.updated),
        feeds,
        entries,
        article_row(article, article_digest),
    )


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
