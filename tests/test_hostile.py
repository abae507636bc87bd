"""Hostile article text, end to end: import it, serve the feeds, read them back strictly.

Markup, scripts, characters XML forbids and stray bidi controls go in through
``nashra import``; what comes out of every feed that carries the article must
parse strictly (RSS and Atom: lxml without recovery, and feedparser not bozo;
JSON Feed: strict JSON, and fastfeedparser), hold nothing executable, and
read back as the text the publisher meant.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import fastfeedparser
import feedparser
import html5lib
import lxml.html
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from lxml import etree

from tests.support.builders import BASE, record, rfc3339
from tests.support.commands import ImportRecords
from tests.support.fetch import Fetch

STRICT = etree.XMLParser(recover=False, resolve_entities=False)
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
FORMATS = ("rss", "atom", "json")
RLM, PDF, PDI, RLO, RLI = "\u200f", "\u202c", "\u2069", "\u202e", "\u2067"
DANGEROUS_TAGS = {"script", "style", "iframe", "object", "embed", "bdo", "form", "svg", "math"}
SAFE_SCHEMES = ("http://", "https://", "mailto:")


# --- reading the feeds back -----------------------------------------------------------------------


def strict(document: bytes) -> etree._Element:
    """The feed parsed by lxml without recovery, after feedparser found it well-formed too."""
    result = feedparser.parse(document)
    assert not result.bozo, result.get("bozo_exception")
    return etree.fromstring(document, STRICT)


def html_text(fragment: str) -> str:
    """The text a reader shows for an HTML fragment: parsed as a browser parses it."""
    return "".join(html5lib.parseFragment(fragment, namespaceHTMLElements=False).itertext())


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    assert len({name for name, _ in pairs}) == len(pairs), pairs
    return dict(pairs)


def _no_constant(name: str) -> Any:
    pytest.fail(f"{name} in a JSON Feed")


def strict_json(document: bytes) -> dict[str, Any]:
    """A JSON Feed parsed strictly (UTF-8, unique names, no NaN), after fastfeedparser read it."""
    feed = json.loads(
        document.decode("utf-8"), object_pairs_hook=_unique, parse_constant=_no_constant
    )
    assert len(fastfeedparser.parse(document).entries) == len(feed["items"])
    return feed  # type: ignore[no-any-return]


def guid(article_id: str) -> str:
    return f"tag:news.example,2026:article:{article_id}"


def entry(document: bytes, fmt: str, article_id: str) -> dict[str, str | None]:
    """Title, author, summary and content (HTML) of one article as a reader gets them.

    The summary is text: RSS carries it in ``description``, which is HTML, so it is
    read as HTML; Atom carries it as ``type="text"``, JSON Feed as a plain string.
    """
    if fmt == "json":
        items = [i for i in strict_json(document)["items"] if i["id"] == guid(article_id)]
        assert len(items) == 1, article_id
        found_item = items[0]
        return {
            "title": found_item.get("title"),
            "author": found_item["authors"][0]["name"] if "authors" in found_item else None,
            "summary": found_item.get("summary"),
            "content": found_item.get("content_html"),
        }
    root = strict(document)
    if fmt == "rss":
        found = [i for i in root.iter("item") if i.findtext("guid") == guid(article_id)]
        assert len(found) == 1, article_id
        item = found[0]
        return {
            "title": item.findtext("title"),
            "author": item.findtext("dc:creator", namespaces=NS),
            "summary": html_text(item.findtext("description") or ""),
            "content": item.findtext("content:encoded", namespaces=NS),
        }
    found = [
        e
        for e in root.iterfind("atom:entry", NS)
        if e.findtext("atom:id", namespaces=NS) == guid(article_id)
    ]
    assert len(found) == 1, article_id
    item = found[0]
    content = item.find("atom:content", NS)
    if content is not None:
        assert content.get("type") == "html"
    return {
        "title": item.findtext("atom:title", namespaces=NS),
        "author": item.findtext("atom:author/atom:name", namespaces=NS),
        "summary": item.findtext("atom:summary", namespaces=NS),
        "content": None if content is None else content.text,
    }


def entries(
    fetch: Fetch, article_id: str, feed: str = "all", *, validate: bool = True
) -> Iterator[Any]:
    for fmt in FORMATS:
        response = fetch(f"/feeds/{feed}.{fmt}", validate=validate)
        yield fmt, entry(response.content, fmt, article_id)


def assert_harmless(content_html: str) -> lxml.html.HtmlElement:
    """Parse escaped content as a browser would and check nothing in it is active."""
    tree = lxml.html.fragment_fromstring(content_html, create_parent="body")
    for element in tree.iter():
        if not isinstance(element.tag, str):  # a comment or processing instruction
            pytest.fail(f"non-element node in content: {etree.tostring(element)!r}")
        assert element.tag.lower() not in DANGEROUS_TAGS, element.tag
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert name.lower() != "style", name
            if name.lower() in {"href", "src", "cite", "action", "formaction", "data"}:
                assert value.startswith(SAFE_SCHEMES), (name, value)
    return tree


# --- markup in content and plain-text fields ------------------------------------------------------

ACTIVE_CONTENT = (
    "<p>نص ظاهر<script>alert('s')</script></p>"
    '<p onclick="alert(1)" onmouseover="alert(2)" style="color:red">نقر</p>'
    '<p><a href="javascript:alert(3)">رابط خبيث</a> '
    '<a href="JaVaScRiPt:alert(4)">رابط آخر</a> '
    '<a href="data:text/html,&lt;script&gt;alert(5)&lt;/script&gt;">بيانات</a></p>'
    '<img src="data:image/png;base64,AAAA" onerror="alert(6)" alt="صورة">'
    '<iframe src="https://evil.example/"></iframe>'
    '<object data="https://evil.example/x.swf"><embed src="https://evil.example/x.swf"></object>'
    '<p><bdo dir="ltr">نص معكوس</bdo></p>'
    "<style>p { display: none }</style>"
    '<p style="position:fixed">تراكب</p>'
    '<svg onload="alert(7)"><script>alert(8)</script></svg>'
    '<form action="https://evil.example/"><input name="x"></form>'
    '<p><a href="/related/7/">خبر ذو صلة</a> <img src="pics/a.jpg" alt="صورة نسبية"></p>'
)
VISIBLE = ["نص ظاهر", "نقر", "رابط خبيث", "رابط آخر", "بيانات", "نص معكوس", "تراكب", "خبر ذو صلة"]


def test_active_content_is_removed_and_the_text_survives(
    import_records: ImportRecords, fetch: Fetch
) -> None:
    data = record(1, content=ACTIVE_CONTENT)
    run = import_records([data])
    assert run.code == 0, run.err
    for fmt, found in entries(fetch, data["id"]):
        content = found["content"]
        assert content is not None, fmt
        assert "alert" not in content, fmt
        assert "javascript" not in content.lower(), fmt
        tree = assert_harmless(content)
        wrapper = tree[0]
        assert (wrapper.tag, wrapper.get("dir"), wrapper.get("lang")) == ("div", "rtl", "ar")
        text = tree.text_content()
        for visible in VISIBLE:
            assert visible in text, (fmt, visible)
        links = tree.xpath("//a/@href")
        assert "https://news.example/related/7/" in links
        images = tree.xpath("//img/@src")  # the lead image's figure, then the content's own
        assert images == [data["image"]["url"], data["link"] + "pics/a.jpg"], images


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("title", "<b>عاجل</b>: خبر <img src=x onerror=alert(1)>", "عاجل: خبر"),
        ("title", "<script>alert(1)</script>عنوان <a href='javascript:x'>رابط</a>", "عنوان رابط"),
        ("author", 'سامي حداد <img src="x" onerror="alert(1)">', "سامي حداد"),
        ("author", "<i>ليلى</i> <b>منصور</b>", "ليلى منصور"),
        ("summary", "<p>ملخص <em>الخبر</em></p><style>p{}</style>", "ملخص الخبر"),
        ("summary", "سطر أول<br>و<iframe src=x></iframe>سطر ثان", "سطر أولوسطر ثان"),
    ],
)
def test_plain_text_fields_carry_no_markup(
    import_records: ImportRecords,
    fetch: Fetch,
    field: str,
    value: str,
    expected: str,
) -> None:
    data = record(1, **{field: value})
    assert import_records([data]).code == 0
    for fmt, found in entries(fetch, data["id"]):
        assert found[field] == expected, fmt
        assert "<" not in (found[field] or ""), fmt


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value with its path, member names included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for name, member in value.items():
            yield f"{path}/{name} (name)", name
            yield from _strings(member, f"{path}/{name}")
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from _strings(member, f"{path}/{index}")


def test_json_feed_holds_markup_only_in_its_sanitized_content_html(
    import_records: ImportRecords, fetch: Fetch
) -> None:
    hostile = record(
        1,
        title="<b>عاجل</b>: خبر <img src=x onerror=alert(1)>",
        author='سامي حداد <img src="x" onerror="alert(1)">',
        summary="<p>ملخص <em>الخبر</em></p><style>p{}</style>",
        content=ACTIVE_CONTENT,
    )
    assert import_records([hostile, record(2, summary=None, content=ACTIVE_CONTENT)]).code == 0
    response = fetch("/feeds/all.json")
    assert response.headers["x-content-type-options"] == "nosniff"  # never sniffed as HTML
    feed = strict_json(response.content)
    html = 0
    for path, text in _strings(feed):
        if path.endswith("/content_html"):
            html += 1
            assert_harmless(text)
            assert "alert" not in text and "javascript" not in text.lower(), path
        else:
            assert not re.search(r"<[A-Za-z!/?]", text), (path, text)
            assert "alert" not in text and "javascript" not in text.lower(), (path, text)
    assert html == 2


# --- characters XML forbids -----------------------------------------------------------------------

FORBIDDEN_CHARS = ["\x00", "\x01", "\x1f", "\x85", "\ud800", "\ufffe", "\uffff"]


@pytest.mark.parametrize("char", FORBIDDEN_CHARS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", ["title", "author", "summary", "content"])
def test_a_forbidden_character_is_removed_with_a_warning(
    import_records: ImportRecords, fetch: Fetch, field: str, char: str
) -> None:
    text = f"خبر{char}عاجل"
    value = f"<p>{text}</p>" if field == "content" else text
    data = record(1, **{field: value})
    # ASCII JSON: a lone surrogate travels as the escape \ud800, as a publisher would write it
    run = import_records([json.dumps(data)])
    assert run.code == 0, run.err
    assert run.err.splitlines() == [
        f"warning: line 1 (id t-00001): {field}: removed 1 character not allowed in XML "
        f"(U+{ord(char):04X})"
    ]
    for fmt, found in entries(fetch, data["id"]):
        served = found[field]
        assert served is not None
        assert "خبرعاجل" in served, fmt
        assert char not in served
        assert "\ufffd" not in served


def test_hostile_sample_lines_import_with_warnings(
    import_records: ImportRecords, fetch: Fetch
) -> None:
    records = [
        record(1, content="<p>x</p> ]]> & < > \" ' &amp; &nbsp; &#0; &#x1;"),
        record(2, content='<p style="position:fixed">تراكب</p>'),
        record(3, author='سامي حداد <img src="x" onerror="alert(1)">'),
        record(
            4,
            title="عنوان\x00 مع\x01 محارف\x1f ممنوعة\x85",
            summary="ملخص\ufffe\uffff",
            author="كاتب\ud800",
        ),
    ]
    run = import_records([json.dumps(r) for r in records])
    assert run.code == 0, run.err
    assert run.err.splitlines() == [
        "warning: line 1 (id t-00001): content: removed 2 characters not allowed in XML "
        "(U+0000, U+0001)",
        "warning: line 4 (id t-00004): title: removed 4 characters not allowed in XML "
        "(U+0000, U+0001, U+001F, U+0085)",
        "warning: line 4 (id t-00004): author: removed 1 character not allowed in XML (U+D800)",
        "warning: line 4 (id t-00004): summary: removed 2 characters not allowed in XML "
        "(U+FFFE, U+FFFF)",
    ]
    assert "added 4, updated 0, unchanged 0, stale 0, rejected 0" in run.out
    for fmt in FORMATS:
        document = fetch(f"/feeds/all.{fmt}").content
        strict_json(document) if fmt == "json" else strict(document)
        assert "\ufffd".encode() not in document, fmt
        first = entry(document, fmt, "t-00001")["content"]
        assert first is not None
        tree = assert_harmless(first)
        assert tree.text_content() == f"{RLM}x ]]> & < > \" ' & \xa0  "
        second = entry(document, fmt, "t-00002")["content"]
        assert second is not None
        assert assert_harmless(second).text_content() == "تراكب"
        assert entry(document, fmt, "t-00003")["author"] == "سامي حداد"
        fourth = entry(document, fmt, "t-00004")
        assert fourth["title"] == "عنوان مع محارف ممنوعة"
        assert fourth["summary"] == "ملخص"
        assert fourth["author"] == "كاتب"


# --- bidi controls --------------------------------------------------------------------------------


def test_unbalanced_bidi_controls_are_closed_within_their_field(
    import_records: ImportRecords, fetch: Fetch
) -> None:
    data = record(
        1,
        title=f"عنوان {RLO}معكوس",
        summary=f"ملخص {RLI}معزول",
        author=f"{RLO}{RLI}كاتب",
        content=f"<p>فقرة {RLO}معكوسة</p><p>أخرى</p>",
    )
    assert import_records([data]).code == 0
    for fmt, found in entries(fetch, data["id"]):
        assert found["title"] == f"عنوان {RLO}معكوس{PDF}", fmt
        assert found["summary"] == f"ملخص {RLI}معزول{PDI}", fmt
        assert found["author"] == f"{RLO}{RLI}كاتب{PDI}{PDF}", fmt
        content = found["content"]
        assert content is not None
        tree = assert_harmless(content)
        assert [p.text_content() for p in tree.iter("p")] == [f"فقرة {RLO}معكوسة", "أخرى"]
        # closed within the field: the PDF ends the content, after the last paragraph
        assert tree.text_content() == f"فقرة {RLO}معكوسةأخرى{PDF}", fmt


# --- characters that mean something to XML --------------------------------------------------------


def test_xml_syntax_characters_round_trip_as_text(
    import_records: ImportRecords, fetch: Fetch
) -> None:
    title = "خبر ]]> و & و < و > و \" و ' نهاية"
    data = record(
        1,
        title=title,
        summary="ملخص ]]> &amp; 1 < 2",
        content="<p>فقرة ]]&gt; &amp; &lt;b&gt; نهاية</p><p><![CDATA[ x ]]></p>",
    )
    assert import_records([data]).code == 0
    # text that reads "<b>" is what the validator calls HTML escaped twice [NotHtml]: meant here
    for fmt, found in entries(fetch, data["id"], validate=False):
        assert found["title"] == title, fmt
        assert found["summary"] == "ملخص ]]> & 1 < 2", fmt
        content = found["content"]
        assert content is not None
        paragraphs = [p.text_content() for p in assert_harmless(content).iter("p")]
        assert paragraphs[0] == "فقرة ]]> & <b> نهاية", fmt
    reader = feedparser.parse(fetch("/feeds/all.atom", validate=False).content)
    assert reader.entries[0].title == title


# --- plain text that reads as markup --------------------------------------------------------------

# A summary as the publisher sends it, and the plain text it is once cleaned (markup in a
# plain-text field is stripped and references decoded: a literal "<b>" arrives as "&lt;b&gt;").
# The entries are Arabic, so text that starts with a Latin letter gets a right-to-left mark.
MARKUP_LIKE_SUMMARIES = [
    pytest.param("a < b & c", RLM + "a < b & c", id="a < b & c"),
    pytest.param("&lt;b&gt;x&lt;/b&gt;", RLM + "<b>x</b>", id="<b>x</b>"),
    pytest.param("AT&T", RLM + "AT&T", id="AT&T"),
    pytest.param("1 &amp;lt; 2", RLM + "1 &lt; 2", id="1 &lt; 2"),
    pytest.param("خبر < عاجل & <عاجل", "خبر < عاجل & <عاجل", id="Arabic with <"),
]


def rss_summaries(document: bytes) -> dict[str, tuple[str | None, str]]:
    """Each item's description as lxml reads it, and as feedparser shows it (HTML), by guid."""
    items = strict(document).iter("item")
    raw = {item.findtext("guid"): item.findtext("description") for item in items}
    shown = {}
    for reader_entry in feedparser.parse(document).entries:
        assert reader_entry.summary_detail.type == "text/html"
        shown[reader_entry.id] = reader_entry.summary
    assert raw.keys() == shown.keys()
    return {key: (raw[key], shown[key]) for key in raw}


@pytest.mark.parametrize(("sent", "plain"), MARKUP_LIKE_SUMMARIES)
def test_plain_text_summaries_read_back_as_the_same_text(
    import_records: ImportRecords, fetch: Fetch, sent: str, plain: str
) -> None:
    """RSS description is HTML: plain text is escaped once, and every reader shows it as is."""
    data = record(1, summary=sent)
    assert import_records([data]).code == 0
    for feed in ("all", "politics"):
        document = fetch(f"/feeds/{feed}.rss").content  # the validator finds nothing
        description, shown = rss_summaries(document)[guid(data["id"])]
        assert description is not None
        assert html.unescape(description) == plain, feed
        assert html_text(description) == plain, feed
        assert html_text(shown) == plain, feed  # after feedparser's sanitizing
        assert description.startswith(RLM) is plain.startswith(RLM), feed  # not a reference
    # Atom's summary is type="text" and carries the text as it is (the validator, like W3C's,
    # warns [ContainsUndeclaredHTML] about text holding "</b>" or "&lt;": the publisher's text)
    atom = strict(fetch("/feeds/all.atom", validate=False).content)
    assert atom.findtext("atom:entry/atom:summary", namespaces=NS) == plain


def test_summaries_made_up_from_the_body_or_the_title_are_escaped_too(
    import_records: ImportRecords, fetch: Fetch
) -> None:
    """Without a summary, RSS description is an excerpt of the body, else the title."""
    excerpt = record(1, summary=None, content="<p>a &lt; b &amp; c و AT&amp;T &gt; 1</p>")
    flash = record(2, summary=None, content=None, image=None, title="عاجل: AT&T < Verizon")
    assert import_records([excerpt, flash]).code == 0
    expected = {
        guid(excerpt["id"]): RLM + "a < b & c و AT&T > 1",
        guid(flash["id"]): "عاجل: AT&T < Verizon",
    }
    document = fetch("/feeds/all.rss").content  # the validator finds nothing
    for key, (description, shown) in rss_summaries(document).items():
        assert description is not None
        assert html.unescape(description) == expected[key]
        assert html_text(description) == expected[key]
        assert html_text(shown) == expected[key]


# --- direction marks ------------------------------------------------------------------------------


def test_rtl_entries_that_start_in_latin_get_a_right_to_left_mark(
    import_records: ImportRecords, fetch: Fetch
) -> None:
    # without lead images: the marks are about the text (a figure would open the content)
    arabic = record(
        1, title="iPhone 17 يصل إلى الأسواق", content="<p>iPhone 17 يصل اليوم</p>", image=None
    )
    arabic_first = record(2, title="وصول iPhone 17", content="<p>وصل iPhone 17</p>", image=None)
    english = record(
        3, "en", title="iPhone 17 arrives", content="<p>iPhone 17 arrives</p>", image=None
    )
    assert import_records([arabic, arabic_first, english]).code == 0
    for fmt, found in entries(fetch, "t-00001"):
        assert found["title"] == RLM + arabic["title"], fmt
        assert found["content"] == f'<div dir="rtl" lang="ar">{RLM}<p>iPhone 17 يصل اليوم</p></div>'
    for fmt, found in entries(fetch, "t-00002"):
        assert found["title"] == arabic_first["title"], fmt
        assert found["content"] == '<div dir="rtl" lang="ar"><p>وصل iPhone 17</p></div>'
    for fmt, found in entries(fetch, "t-00003"):
        assert found["title"] == "iPhone 17 arrives", fmt
        assert found["content"] == '<div dir="ltr" lang="en"><p>iPhone 17 arrives</p></div>'
    reader = feedparser.parse(fetch("/feeds/politics.rss").content)
    assert {e.title for e in reader.entries} == {RLM + arabic["title"], arabic_first["title"]}


# --- any text at all ------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "\x01",
    "\x1f",
    "\x7f",
    "\x85",
    "\x9f",
    "\ud800",
    "\udfff",
    "\ufdd0",
    "\ufffe",
    "\uffff",
    "\U0001ffff",
    "\ufffd",
    "\r\n",
    RLO,
    RLI,
    PDF,
    PDI,
    "\u202a",
    "\u2066",
    RLM,
    "]]>",
    "<![CDATA[",
    "&",
    "&amp;",
    "&#0;",
    "&#x1;",
    "&#xD800;",
    "&#1114112;",
    "&#x80;",
    "&#150;",
    "&#",
    "&nbsp",
    "<",
    ">",
    '"',
    "'",
    "<b>",
    "</b>",
    "<p>",
    "<script>alert(1)</script>",
    "<script>",
    "<style>",
    "<!--",
    "-->",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">',
    '<a href="/relative">',
    "<iframe>",
    "<bdo dir=ltr>",
    "<svg><p>",
    "<math>",
    "<pre>\n",
    "<table><tr><td>",
    "<?xml?>",
    "<!DOCTYPE x>",
    "iPhone",
    "خبر",
]
TEXT = st.lists(
    st.one_of(
        st.sampled_from(NASTY),
        st.text(alphabet=st.characters(codec=None), max_size=8),
        st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=8),
    ),
    max_size=8,
).map("".join)


@hypothesis_settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=TEXT, author=TEXT, summary=TEXT, content=TEXT, language=st.sampled_from(["ar", "en"]))
def test_any_text_imports_and_every_feed_stays_well_formed(
    import_records: ImportRecords,
    fetch: Fetch,
    title: str,
    author: str,
    summary: str,
    content: str,
    language: str,
) -> None:
    # the store and client live across examples: each example is a new article, published
    # a minute after the last, so it is at the top of its feeds
    index = next(_EXAMPLES)
    published = rfc3339(BASE + timedelta(minutes=index), "+03:00")
    data = record(
        index,
        language,
        id=f"h-{index}",
        title=title,
        author=author,
        summary=summary,
        content=content,
        published=published,
        updated=published,
    )
    line = json.dumps(data)  # ASCII: lone surrogates travel as escapes
    run = import_records([line])
    if run.code == 1:
        # the only way such a record fails: nothing is left of its title
        assert run.err.splitlines() == [
            f"line 1 (id h-{index}): title: is empty once markup and forbidden characters "
            "are removed"
        ]
        return
    assert run.code == 0, run.err
    warning = re.compile(
        rf"warning: line 1 \(id h-{index}\): (title|author|summary|content): removed \d+ "
        r"characters? not allowed in XML \(.+\)"
    )
    for problem in run.err.splitlines():
        assert warning.fullmatch(problem), problem
    assert run.out.startswith("added 1, updated 0, unchanged 0, stale 0, rejected 0, ")
    again = import_records([line])  # cleaning is deterministic: the same file changes nothing
    assert again.out.startswith("added 0, updated 0, unchanged 1, stale 0, rejected 0, ")
    for feed in (data["categories"][0], "all"):
        for fmt in FORMATS:
            # any text may hold what the validator warns about (U+FFFD, say): not validated
            response = fetch(f"/feeds/{feed}.{fmt}", validate=False)
            served = entry(response.content, fmt, f"h-{index}")
            assert served["title"]
            if "\ufffd" not in title + author + summary + content:  # none made up
                assert all("\ufffd" not in (text or "") for text in served.values()), served
            if served["content"] is not None:
                assert_harmless(served["content"])


_EXAMPLES = itertools.count(1)
