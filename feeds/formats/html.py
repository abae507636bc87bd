"""The feed as a page for people: at ``/feeds/{key}.html``, and for a browser at a feed URL.

It is a representation of the same feed state as RSS and Atom, served by the
same endpoint with the same cache and validators, but not a syndication
format: nothing subscribes to it, so WebSub topics, the API's ETags, the OPML
list's formats and autodiscovery, which iterate
:data:`~feeds.formats.registry.FORMATS`, never list it as a format (the index
page and the OPML list link each feed's page as a page). The registry makes it
with :func:`page_format`, handing it the formats to link to.

The page is in the feed's language and direction, and each entry in its own
(``lang`` and ``dir`` on its ``<article>``). It shows each entry's title,
date, author, summary (as text), lead image and link; never the content, so
no article text becomes markup at all. Jinja2 escapes every value by default:
a value can become markup only by being marked safe, and only the page's own
style sheet is. The style sheet is inline and its hash is the only one the
page's Content-Security-Policy allows, with no script at all: if escaping
ever failed, the browser would still run nothing.

The lead image carries its alternative text (``image.alt``), and its size
when known, so the page does not jump as images load. Without alt text it
has an empty ``alt``: the entry's title, read right after it, is the only
other text there is, and an ``alt`` repeating it would make screen readers
say it twice.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import jinja2
from markupsafe import Markup

from feeds.formats.base import FeedDocument, FeedFormat
from feeds.model.entries import EntryView
from feeds.model.language import Direction, direction
from store.types import Image

EXTENSION = "html"
MEDIA_TYPE = "text/html"
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Words:
    """The page's own words, in one language."""

    subscribe: str
    formats: str
    empty: str
    lang: str | None = None  # set when they are not in the feed's language
    dir: Direction | None = None


#: By primary language subtag; any other language gets English, marked as such.
WORDS = {
    "ar": Words("للمتابعة، انسخ هذا العنوان إلى قارئ الخلاصات:", "الصيغ:", "لا أخبار بعد."),
    "fa": Words("برای دنبال کردن، این نشانی را در خبرخوان خود وارد کنید:", "قالب‌ها:",
                "هنوز خبری نیست."),
    "ur": Words("فالو کرنے کے لیے یہ پتا اپنے فیڈ ریڈر میں ڈالیں:", "فارمیٹ:",
                "ابھی کوئی خبر نہیں۔"),
    "en": Words("To follow this feed, copy this address into your feed reader:", "Formats:",
                "Nothing here yet."),
    "fr": Words("Pour suivre ce fil, copiez cette adresse dans votre lecteur de flux\u00a0:",
                "Formats\u00a0:", "Rien pour l’instant."),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Link:
    label: str
    media_type: str
    url: str


@dataclass(frozen=True, slots=True)
class _Entry:
    language: str
    dir: Direction
    title: str
    link: str
    datetime: str  # the <time datetime> value: RFC 3339, the publisher's offset
    date: str  # what a person reads: the publisher's local time and its offset
    author: str | None
    summary: str | None
    image: Image | None


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a misspelt name fails the render, never prints ""
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,
)
_TEMPLATE = _ENVIRONMENT.get_template("feed.html")
STYLE = (TEMPLATES / "feed.css").read_text(encoding="utf-8")
#: The only style the page may apply, and no script, frame, form or base URL.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src http: https:; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "base-uri 'none'; form-action 'none'"
)


def page_format(formats: Sequence[FeedFormat], subscribe: FeedFormat) -> FeedFormat:
    """The feed page, linking to each of ``formats`` and showing ``subscribe``'s URL to copy."""

    def render(doc: FeedDocument) -> bytes:
        spec = doc.spec
        links = [_Link(fmt.label, fmt.media_type, spec.url(fmt.extension)) for fmt in formats]
        page = _TEMPLATE.render(
            feed=spec,
            links=links,
            subscribe=spec.url(subscribe.extension),
            words=words(spec.language),
            entries=[_entry(view) for view in doc.entries],
            style=Markup(STYLE),  # ours, not an article's: the one value not escaped
        )
        return page.encode("utf-8")

    return FeedFormat(
        extension=EXTENSION,
        media_type=MEDIA_TYPE,
        label="HTML",
        render=render,
        headers=(("content-security-policy", CONTENT_SECURITY_POLICY),),
    )


def words(language: str) -> Words:
    """The page's words in ``language``, else in English marked with its lang and dir."""
    found = WORDS.get(language.split("-")[0].lower())
    if found is not None:
        return found
    english = WORDS["en"]
    return Words(english.subscribe, english.formats, english.empty, "en", "ltr")


def _entry(view: EntryView) -> _Entry:
    image = view.image
    return _Entry(
        language=view.language,
        dir=direction(view.language),
        title=view.title,
        link=view.link,
        datetime=view.published.isoformat(timespec="seconds"),
        date=local_time(view.published),
        author=view.author,
        summary=view.summary,
        image=image,
    )


def local_time(moment: datetime) -> str:
    """``2026-11-20 21:40 UTC+3``: the time where it was published, and that place's offset."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    zone = f"UTC{sign}{hours}{f':{rest:02d}' if rest else ''}" if minutes else "UTC"
    return f"{moment:%Y-%m-%d %H:%M} {zone}"
