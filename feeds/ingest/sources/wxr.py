"""WordPress's own export (Tools → Export: WXR, RSS 2.0 with ``wp:`` elements), streamed.

The file is read twice with lxml's ``iterparse``, each element cleared
once read, so memory does not grow with the file: the first pass keeps,
of each attachment, what a featured image needs (its URL, type, size and
alt text: a few hundred bytes each), the second reads the posts and
resolves each one's ``_thumbnail_id`` against them. Two passes because an
export lists items by id, and an image uploaded after its post comes after
it. Only published posts are read (``wp:post_type`` post, ``wp:status``
publish, no password); each becomes a record through the same mapping as
``nashra sync wordpress`` (:mod:`.wordpress_mapping`).

WXR holds posts as stored, where the REST API sends them as displayed: the
title and content are not texturized (straight quotes stay straight) and
the content keeps its block comments (cleaning drops them) but gets no
``wpautop`` paragraphs; a post without an excerpt has no summary (the REST
API makes one from the content).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import IO, Any

from lxml import etree

from feeds.config.loader import decode_slug
from feeds.config.settings import Settings
from feeds.ingest.source import Chunk
from feeds.ingest.sources.wordpress_mapping import (
    WordPressImage,
    WordPressPost,
    post_record,
    skip_reason,
    utc,
)
from store.errors import NashraError

CHUNK_POSTS = 200

_WP = "{http://wordpress.org/export/1.2/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_EXCERPT = "{http://wordpress.org/export/1.2/excerpt/}encoded"
_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_WXR_VERSIONS = ("1.0", "1.1", "1.2")
_SERIALIZED_INT = re.compile(r's:\d+:"(width|height|filesize)";i:(\d+);')


class WxrError(NashraError):
    """The file is not a WordPress export nashra can read."""


class WxrSource:
    """The published posts of a WXR file; positions are post ids.

    ``skipped`` counts, by reason, the published posts that make no article
    (no configured category, password-protected), once :meth:`chunks` ran.
    """

    unit = "post"

    def __init__(self, stream: IO[bytes], settings: Settings, size: int | None = None) -> None:
        self.stream = stream
        self.settings = settings
        self.size = size
        self.skipped: Counter[str] = Counter()
        self._offset: timedelta | None = None  # the site's UTC offset, as the posts show it

    @property
    def decoder(self) -> Callable[[WordPressPost], object]:
        return functools.partial(_record, self.settings)

    def chunks(self) -> Iterator[Chunk[WordPressPost]]:
        images = self._images()
        self.stream.seek(0)
        authors: dict[str, str] = {}
        items: list[tuple[int, WordPressPost]] = []
        read = 0
        for element in _elements(self.stream, (f"{_WP}author", "item")):
            if element.tag == f"{_WP}author":
                login, name = (
                    _text(element, f"{_WP}author_login"),
                    _text(element, f"{_WP}author_display_name"),
                )
                if login and name:
                    authors[login] = name
                continue
            post = self._post(element, images, authors)
            if post is not None:
                items.append((post.id, post))
            if len(items) >= CHUNK_POSTS:
                position = self.stream.tell()
                yield Chunk(items, position - read)
                items, read = [], position
        position = self.stream.tell()
        if items or position > read:
            yield Chunk(items, position - read)

    def _images(self) -> dict[str, WordPressImage]:
        """Pass one: every attachment that could be a featured image, by id."""
        images: dict[str, WordPressImage] = {}
        for item in _elements(self.stream, ("item",)):
            if _text(item, f"{_WP}post_type") != "attachment":
                continue
            url = _text(item, f"{_WP}attachment_url")
            if not url:
                continue
            meta = _meta(item)
            sizes = _dimensions(meta.get("_wp_attachment_metadata", ""))
            images[_text(item, f"{_WP}post_id")] = WordPressImage(
                url=url,
                type=_text(item, f"{_WP}post_mime_type") or None,
                length=sizes.get("filesize"),
                alt=meta.get("_wp_attachment_image_alt") or None,
                width=sizes.get("width"),
                height=sizes.get("height"),
            )
        return images

    def _date_gmt(self, item: Any) -> str | None:
        """``wp:post_date_gmt``; for a draft published without an edit, which WordPress leaves
        at ``0000-00-00 00:00:00``, the local date less the offset of the last post with both
        (a WXR file does not name the site's time zone; the REST API uses it)."""
        local, gmt = utc(_text(item, f"{_WP}post_date")), utc(_text(item, f"{_WP}post_date_gmt"))
        if local is not None and gmt is not None:
            self._offset = local - gmt
        elif local is not None and self._offset is not None:
            gmt = local - self._offset
        return gmt.strftime("%Y-%m-%d %H:%M:%S") if gmt is not None else None

    def _post(
        self, item: Any, images: dict[str, WordPressImage], authors: dict[str, str]
    ) -> WordPressPost | None:
        if _text(item, f"{_WP}post_type") != "post" or _text(item, f"{_WP}status") != "publish":
            return None
        post_id = _text(item, f"{_WP}post_id")
        if not post_id.isdigit():
            raise WxrError(f"post at line {item.sourceline}: wp:post_id {post_id!r} is no id")
        terms = item.findall("category")
        creator = _text(item, _CREATOR)
        meta = _meta(item)
        post = WordPressPost(
            id=int(post_id),
            link=_text(item, "link") or None,
            title=_text(item, "title"),
            content=_text(item, _CONTENT),
            excerpt=_text(item, _EXCERPT),
            date_gmt=self._date_gmt(item),
            modified_gmt=_text(item, f"{_WP}post_modified_gmt") or None,
            author=authors.get(creator, creator) or None,
            categories=_slugs(terms, "category"),
            tags=_slugs(terms, "post_tag"),
            image=images.get(meta.get("_thumbnail_id", "")),
            protected=bool(_text(item, f"{_WP}post_password")),
        )
        if reason := skip_reason(post, self.settings):
            self.skipped[reason] += 1
            return None
        return post


def _record(settings: Settings, post: WordPressPost) -> object:
    return post_record(post, settings)


def _elements(stream: IO[bytes], tags: tuple[str, ...]) -> Iterator[Any]:
    """Each element of ``tags`` once read whole; cleared, with what came before, after use."""
    stream.seek(0)
    parser = etree.iterparse(
        stream,
        events=("end",),
        tag=tags,
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
    )
    try:
        for _, element in parser:
            yield element
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as error:
        raise WxrError(f"not a well-formed WordPress export: {error}") from None


def _text(element: Any, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _meta(item: Any) -> dict[str, str]:
    return {
        _text(meta, f"{_WP}meta_key"): _text(meta, f"{_WP}meta_value")
        for meta in item.iterfind(f"{_WP}postmeta")
    }


def _slugs(terms: list[Any], domain: str) -> tuple[str, ...]:
    return tuple(
        decode_slug(term.get("nicename", ""))
        for term in terms
        if term.get("domain") == domain and term.get("nicename")
    )


def _dimensions(serialized: str) -> dict[str, int]:
    """Width, height and file size from PHP-serialized attachment metadata (the image's own,
    which come before its ``sizes``); never unserialized, only read."""
    own = serialized.split('s:5:"sizes"', 1)[0]
    found: dict[str, int] = {}
    for name, value in _SERIALIZED_INT.findall(own):
        if int(value) > 0:
            found.setdefault(name, int(value))
    return found
