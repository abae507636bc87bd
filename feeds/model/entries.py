"""How one article looks inside a feed, whatever the format.

Direction is made explicit for readers that ignore the feed's language: the
HTML content is wrapped in one element carrying ``dir`` and ``lang``, and in a
right-to-left entry a title, summary or content whose first strong letter is
Latin starts with U+200F RIGHT-TO-LEFT MARK, because readers that use
``dir="auto"`` (or strip ``dir``, as Miniflux does) take the direction from
that first letter and would show an Arabic headline starting "iPhone 17"
backwards.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from feeds.model.language import direction, first_strong_direction
from feeds.model.spec import FeedSpec
from store.types import Article, Image

RLM = "\u200f"
EXCERPT = 300  # characters of the body that stand in for a missing summary
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")


@dataclass(frozen=True, slots=True)
class Category:
    term: str
    label: str


@dataclass(frozen=True, slots=True)
class EntryView:
    """An article as a feed entry: ids, display text and direction decided."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    categories: tuple[Category, ...]
    language: str
    own_language: bool  # the entry states its language: it differs from the feed's
    author: str | None
    summary: str | None
    content_html: str | None
    image: Image | None


def entry_view(
    spec: FeedSpec,
    article: Article,
    category_titles: Mapping[str, str],
    *,
    rtl_mark: bool,
    image_in_content: bool = False,  # the settings default to True; see feeds.config
) -> EntryView:
    """The entry for ``article`` in the feed ``spec``.

    With ``image_in_content``, the lead image opens the content as a figure,
    for readers that show nothing but the content.
    """
    mark = rtl_mark and direction(article.language) == "rtl"
    figure = _figure(article.image) if image_in_content and article.image else ""
    return EntryView(
        id=spec.entry_id(article.id),
        title=_marked(article.title, mark),
        link=article.link,
        published=article.published,
        updated=article.updated,
        categories=tuple(Category(c, category_titles.get(c, c)) for c in article.categories),
        language=article.language,
        own_language=article.language != spec.language,
        author=article.author,
        summary=_marked(summary, mark) if (summary := _summary(article)) else None,
        content_html=_wrapped(article.content, article.language, mark, figure),
        image=article.image,
    )


def _summary(article: Article) -> str | None:
    """The summary, else the start of the body as plain text.

    Readers show RSS ``description`` as the entry's excerpt, and validators
    want one before ``content:encoded``; an Atom entry with neither content
    nor summary gets its title, so that it has some text.
    """
    if article.summary:
        return article.summary
    if not article.content:
        return article.title
    text = " ".join(_plain(article.content).split())
    if len(text) <= EXCERPT:
        return text or article.title
    cut = text.rfind(" ", 0, EXCERPT)
    return text[: cut if cut > EXCERPT // 2 else EXCERPT] + "…"


def _plain(fragment: str) -> str:
    """The text of a (cleaned) HTML fragment: tags become spaces, references are decoded."""
    return html.unescape(_TAG.sub(" ", fragment))


def _marked(text: str, mark: bool) -> str:
    if mark and first_strong_direction(text) == "ltr":
        return RLM + text
    return text


def _content_direction(content: str) -> str | None:
    """The first strong direction in the text of ``content``, reading only as far as needed."""
    for size in (256, 2048, len(content)):
        head = content[:size]
        if size < len(content):  # a tag or reference cut in two must not be read as text
            cut = max(head.rfind("<"), head.rfind("&"))
            head = head if cut == -1 else head[:cut]
        found = first_strong_direction(_plain(head))
        if found is not None or size >= len(content):
            return found
    return None


def _wrapped(content: str | None, language: str, mark: bool, figure: str = "") -> str | None:
    """``figure`` and ``content`` inside one ``div`` that states their direction and language."""
    if not content and not figure:
        return None
    lead = RLM if content and mark and _content_direction(content) == "ltr" else ""
    body = f"{figure}{lead}{content or ''}"
    return f'<div dir="{direction(language)}" lang="{language}">{body}</div>'


def _figure(image: Image) -> str:
    """The lead image as HTML: every value escaped, the size given when known.

    Without alternative text the image gets ``alt=""``: it illustrates the
    entry whose title comes just before it, and a screen reader then skips
    it rather than read out its file name.
    """
    attributes = [f'src="{html.escape(image.url)}"', f'alt="{html.escape(image.alt or "")}"']
    if image.width and image.height:
        attributes.append(f'width="{image.width}" height="{image.height}"')
    return f"<figure><img {' '.join(attributes)} /></figure>"  # XHTML-compatible, as HTML allows
