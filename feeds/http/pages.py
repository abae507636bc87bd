"""``GET /``: the human page listing every feed, with autodiscovery links.

The page speaks the site's language: its own words (headings, the line
saying what the page is, the OPML link) come from :data:`WORDS`, keyed by
the primary subtag of ``site.language``. A site in a language the table
lacks gets the English words, marked ``lang="en"`` so that browsers and
screen readers treat them as English.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from feeds.config.settings import Settings
from feeds.formats.registry import FORMATS, HTML_VIEW
from feeds.http import opml
from feeds.model.language import direction
from feeds.model.spec import FeedSpec


@dataclass(frozen=True, slots=True)
class PageWords:
    """The index page's own words in one language (``tag``, a BCP 47 tag)."""

    tag: str
    about: str  # one line: what this page is and what to do with it
    feed: str  # the column headings
    language: str
    formats: str
    opml: str  # the OPML link's text, also its autodiscovery title


#: By primary language subtag. The Persian words hold ZERO WIDTH NON-JOINERs
#: (U+200C) where Persian writes them; the French ones no-break spaces before ":".
WORDS = {
    "ar": PageWords(
        "ar",
        about="خلاصات الأخبار في هذا الموقع: اشترك في أيٍّ منها عبر قارئ الخلاصات، "
        "أو استوردها جميعًا دفعة واحدة بملف OPML.",
        feed="الخلاصة",
        language="اللغة",
        formats="الصيغ",
        opml="كل الخلاصات في ملف OPML",
    ),
    "fa": PageWords(
        "fa",
        about="خوراک‌های خبری این سایت: در خوراک‌خوان خود مشترک هر کدام که می‌خواهید شوید، "
        "یا همه را یک‌جا با پروندهٔ OPML وارد کنید.",
        feed="خوراک",
        language="زبان",
        formats="قالب‌ها",
        opml="همهٔ خوراک‌ها در یک پروندهٔ OPML",
    ),
    "ur": PageWords(
        "ur",
        about="اس سائٹ کی خبروں کی فیڈز: اپنے فیڈ ریڈر میں جس فیڈ کو چاہیں سبسکرائب کریں، "
        "یا OPML فائل سے سب ایک ساتھ درآمد کریں۔",
        feed="فیڈ",
        language="زبان",
        formats="فارمیٹ",
        opml="تمام فیڈز ایک OPML فائل میں",
    ),
    "en": PageWords(
        "en",
        about="The news feeds of this site: subscribe to any of them in a feed reader, "
        "or import them all at once with the OPML file.",
        feed="Feed",
        language="Language",
        formats="Formats",
        opml="All feeds in one OPML file",
    ),
    "fr": PageWords(
        "fr",
        about="Les flux d’actualité de ce site : abonnez-vous à celui de votre choix "
        "dans un lecteur de flux, ou importez-les tous d’un coup avec le fichier OPML.",
        feed="Flux",
        language="Langue",
        formats="Formats",
        opml="Tous les flux dans un fichier OPML",
    ),
}
FALLBACK = "en"


def page_words(language: str) -> PageWords:
    """The words for a site in ``language``: by its primary subtag, else English."""
    return WORDS.get(language.split("-")[0].lower(), WORDS[FALLBACK])


def index_html(settings: Settings, specs: Iterable[FeedSpec]) -> bytes:
    """The page: the site's lang and dir, one row per feed, one link per format, the OPML list."""
    site = settings.site
    specs = list(specs)
    words = page_words(site.language)
    # Words standing in for a language the table lacks say which language they are in.
    own = words.tag == site.language.split("-")[0].lower()
    marked = "" if own else f' lang="{words.tag}" dir="{direction(words.tag)}"'
    opml_url = escape(opml.url(site.link))
    discovery = "\n".join(_discovery(spec) for spec in specs)
    rows = "\n".join(_row(spec) for spec in specs)
    headings = (
        f"<th{marked}>{escape(words.feed)}</th><th{marked}>{escape(words.language)}</th>"
        f'<th colspan="{len(FORMATS)}"{marked}>{escape(words.formats)}</th>'
    )
    opml_type = f'type="{opml.MEDIA_TYPE}"'
    description = f"<p>{escape(site.description)}</p>\n" if site.description else ""
    page = f"""<!DOCTYPE html>
<html lang="{escape(site.language)}" dir="{direction(site.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(site.title)}</title>
{discovery}
<link rel="alternate" {opml_type}{marked} title="{escape(words.opml)}" href="{opml_url}">
<style>
body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}
td,th{{padding:.4rem;border-bottom:1px solid #ddd;text-align:start}}
</style>
</head>
<body>
<h1>{escape(site.title)}</h1>
{description}<p{marked}>{escape(words.about)}</p>
<p{marked}><a href="{opml_url}" {opml_type}>{escape(words.opml)}</a></p>
<table>
<thead><tr>{headings}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""
    return page.encode("utf-8")


def _discovery(spec: FeedSpec) -> str:
    """Autodiscovery: a ``<link rel="alternate">`` per format of the feed."""
    return "\n".join(
        f'<link rel="alternate" type="{escape(fmt.media_type)}" '
        f'title="{escape(f"{spec.title} ({fmt.label})")}" href="{escape(spec.url(fmt.extension))}">'
        for fmt in FORMATS
    )


def _row(spec: FeedSpec) -> str:
    """The feed's row: its title in its own language and direction, then a link per format."""
    links = "".join(
        f'<td><a href="{escape(spec.url(fmt.extension))}" type="{escape(fmt.media_type)}">'
        f"{escape(fmt.label)}</a></td>"
        for fmt in FORMATS
    )
    return (
        f'<tr><td lang="{escape(spec.language)}" dir="{spec.direction}">'
        f'<a href="{escape(spec.url(HTML_VIEW.extension))}" type="{HTML_VIEW.media_type}">'
        f"{escape(spec.title)}</a></td>"
        f"<td><code>{escape(spec.language)}</code></td>{links}</tr>"
    )
