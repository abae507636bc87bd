"""The offline feed validator passes valid feeds and catches each problem it knows.

Two small feeds written by hand are valid; every other case changes one thing
in them and expects the matching problem. The feedgen cases show the validator
catching a real generator's known defect (feedgen issue #135).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from feedgen.feed import FeedGenerator

from tests.support.feed_validator import atom_problems, rss_problems

ATOM_URL = "https://news.example/feeds/all.atom"
RSS_URL = "https://news.example/feeds/all.rss"

VALID_ATOM = """\
<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">
  <title>نشرة الأخبار</title>
  <subtitle>آخر الأخبار من نشرة</subtitle>
  <id>tag:news.example,2024:feeds/all</id>
  <updated>2024-05-01T12:00:00+03:00</updated>
  <link rel="self" type="application/atom+xml" href="https://news.example/feeds/all.atom"/>
  <link rel="alternate" type="text/html" href="https://news.example/"/>
  <author><name>غرفة الأخبار</name><uri>https://news.example/</uri></author>
  <generator uri="https://news.example/about" version="1.0">nashra</generator>
  <entry>
    <title>افتتاح المعرض الدولي للكتاب</title>
    <id>tag:news.example,2024-05-01:articles/1</id>
    <published>2024-05-01T09:00:00+03:00</published>
    <updated>2024-05-01T10:30:00+03:00</updated>
    <link rel="alternate" type="text/html" href="https://news.example/articles/1"/>
    <link rel="enclosure" type="image/jpeg" length="48213" href="https://news.example/media/1.jpg"/>
    <category term="culture" label="ثقافة"/>
    <summary>افتتح المعرض أبوابه صباح اليوم.</summary>
    <content type="html">\
&lt;p&gt;افتتح &lt;a href="https://news.example/fair"&gt;المعرض&lt;/a&gt; أبوابه.&lt;/p&gt;\
</content>
  </entry>
  <entry xml:lang="en">
    <title>Book fair opens</title>
    <id>tag:news.example,2024-05-01:articles/2</id>
    <updated>2024-05-01T11:00:00Z</updated>
    <link href="https://news.example/en/articles/2"/>
    <summary type="xhtml">\
<div xmlns="http://www.w3.org/1999/xhtml"><p>The fair opened.</p></div></summary>
  </entry>
</feed>
""".encode()

VALID_RSS = """\
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" \
xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>نشرة الأخبار</title>
    <link>https://news.example/</link>
    <description>آخر الأخبار من نشرة</description>
    <language>ar</language>
    <lastBuildDate>Wed, 01 May 2024 12:00:00 +0300</lastBuildDate>
    <ttl>30</ttl>
    <atom:link href="https://news.example/feeds/all.rss" rel="self" type="application/rss+xml"/>
    <item>
      <title>افتتاح المعرض الدولي للكتاب</title>
      <link>https://news.example/articles/1</link>
      <description>&lt;p&gt;افتتح المعرض أبوابه صباح اليوم.&lt;/p&gt;</description>
      <content:encoded><![CDATA[<p>افتتح <a href="https://news.example/fair">المعرض</a>.</p>]]></content:encoded>
      <author>desk@news.example (غرفة الأخبار)</author>
      <category>ثقافة</category>
      <guid isPermaLink="false">tag:news.example,2024-05-01:articles/1</guid>
      <pubDate>Wed, 01 May 2024 09:00:00 GMT</pubDate>
      <enclosure url="https://news.example/media/1.jpg" length="48213" type="image/jpeg"/>
    </item>
    <item>
      <title>Book fair opens</title>
      <link>https://news.example/en/articles/2</link>
      <description>The fair opened.</description>
      <dc:creator>Newsroom</dc:creator>
      <dc:language>en</dc:language>
      <guid>https://news.example/en/articles/2</guid>
      <pubDate>Wed, 01 May 2024 08:00:00 GMT</pubDate>
    </item>
  </channel>
</rss>
""".encode()

DC = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'
ITEM_2_TEXT = (
    "<title>Book fair opens</title>\n      <link>https://news.example/en/articles/2</link>\n"
    "      <description>The fair opened.</description>"
)


def mutated(document: bytes, old: str, new: str) -> bytes:
    """``document`` with its one occurrence of ``old`` replaced by ``new``."""
    text = document.decode()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new).encode()


def assert_found(problems: list[str], expected: str) -> None:
    assert any(expected in problem for problem in problems), problems


# ---------------------------------------------------------------------------
# Valid feeds
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [None, ATOM_URL])
def test_valid_atom_has_no_problems(url: str | None) -> None:
    assert atom_problems(VALID_ATOM, url=url) == []


@pytest.mark.parametrize("url", [None, RSS_URL])
def test_valid_rss_has_no_problems(url: str | None) -> None:
    assert rss_problems(VALID_RSS, url=url) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(
            "<title>Book fair opens</title>",
            f'<title xml:lang="en-GB">Book fair opens</title><dc:creator {DC}>Desk</dc:creator>',
            id="xml:lang on a title and a simple extension element",
        ),
        pytest.param(
            "<generator",
            f'<dc:rights {DC} xml:lang="ar"><dc:x>مقيد</dc:x></dc:rights><generator',
            id="structured extension element on the feed",
        ),
        pytest.param(
            'length="48213"',
            f'length="48213" {DC} dc:title="صورة"',
            id="foreign attribute on a link",
        ),
        pytest.param(
            '<link href="https://news.example/en/articles/2"/>',
            '<link href="https://news.example/en/articles/2" hreflang="en"/>'
            '<link href="https://news.example/articles/2" hreflang="ar"/>',
            id="alternates differing only in hreflang",
        ),
    ],
)
def test_atom_allows_what_rfc_4287_allows(old: str, new: str) -> None:
    assert atom_problems(mutated(VALID_ATOM, old, new), url=ATOM_URL) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(
            "<title>Book fair", '<title xml:lang="en">Book fair', id="xml:lang on a title"
        ),
        pytest.param(
            "<dc:creator>Newsroom</dc:creator>",
            '<media:credit xmlns:media="http://search.yahoo.com/mrss/">News</media:credit>',
            id="element of another known namespace",
        ),
        pytest.param(
            "<link>https://news.example/</link>",
            "<link>\n      https://news.example/\n    </link>",
            id="white space around a value",
        ),
        pytest.param(
            "<description>The fair opened.</description>",
            "<description>a &amp;lt; b &amp;amp; c, AT&amp;amp;T &amp;gt; 2</description>",
            id="plain text escaped once in an item description",
        ),
        pytest.param(
            "<description>The fair opened.</description>",
            "<description>&amp;lt;b&amp;gt;x&amp;lt;/b&amp;gt; 1 &amp;amp;lt; 2</description>",
            id="plain text that reads as markup, escaped once",
        ),
        pytest.param(
            "<description>&lt;p&gt;افتتح المعرض أبوابه صباح اليوم.&lt;/p&gt;</description>",
            "<description>\u200fiPhone &amp;lt; خبر &amp;amp; عاجل</description>",
            id="escaped Arabic text after a right-to-left mark",
        ),
        pytest.param(
            "<description>آخر الأخبار من نشرة</description>",
            "<description>AT&amp;T &amp; a &lt; b</description>",
            id="channel description is plain text, not HTML",
        ),
    ],
)
def test_rss_allows_what_rss_allows(old: str, new: str) -> None:
    assert rss_problems(mutated(VALID_RSS, old, new), url=RSS_URL) == []


# ---------------------------------------------------------------------------
# XML level, both formats
# ---------------------------------------------------------------------------

XML_CASES = [
    pytest.param(
        '<?xml version="1.0" encoding="UTF-8"?>\n', "", "[MissingEncoding]", id="no XML declaration"
    ),
    pytest.param('encoding="UTF-8"', 'encoding="ISO-8859-1"', "[NotUTF8]", id="not UTF-8"),
    pytest.param('version="1.0"', 'version="1.1"', "[BadXmlVersion]", id="XML 1.1"),
    pytest.param("</channel>", "</chanel>", "[SAXError]", id="not well-formed"),
    pytest.param(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE rss>\n',
        "[ContainsSystemEntity]",
        id="DOCTYPE",
    ),
    pytest.param("للكتاب</title>", "للكتاب\u0085</title>", "U+0085", id="C1 control"),
    pytest.param("للكتاب</title>", "للكتاب\u007f</title>", "U+007F", id="DEL"),
    pytest.param("للكتاب</title>", "للكتاب\ufdd0</title>", "U+FDD0", id="noncharacter"),
    pytest.param(
        "للكتاب</title>", "للكتاب\U0001fffe</title>", "U+1FFFE", id="plane-1 noncharacter"
    ),
    pytest.param("للكتاب</title>", "للكتاب\ufffd</title>", "U+FFFD", id="replacement character"),
    pytest.param("Newsroom", "CafÃ© Newsroom", "mojibake", id="UTF-8 decoded twice"),
    pytest.param(
        "المعرض الدولي", "\u202eالمعرض\u202c الدولي\u202e", "never closed", id="unclosed RLO"
    ),
    pytest.param("المعرض الدولي", "المعرض\u202c الدولي", "closes nothing", id="stray PDF"),
    pytest.param(
        "المعرض الدولي", "\u2067المعرض\u202c الدولي", "closes nothing", id="isolate closed by PDF"
    ),
    pytest.param("المعرض الدولي", "\u2067المعرض الدولي", "never closed", id="unclosed RLI"),
    pytest.param(
        "<category>ثقافة</category>",
        '<category domain="\u202bقسم">ثقافة</category>',
        "@domain: unbalanced bidi control",
        id="unbalanced RLE in an attribute",
    ),
    pytest.param(
        "<channel>",
        '<channel xmlns:x="https://unknown.example/ns">',
        "[UnknownNamespace]",
        id="unknown namespace",
    ),
    pytest.param(
        DC, 'xmlns:dc="http://purl.org/dc/terms/"', "[ReservedPrefix]", id="dc prefix misused"
    ),
    pytest.param(
        "<language>ar</language>",
        '<language xml:lang="ar_SA">ar</language>',
        "[InvalidLanguage]",
        id="bad xml:lang",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), XML_CASES)
def test_rss_xml_level_problems(old: str, new: str, expected: str) -> None:
    assert_found(rss_problems(mutated(VALID_RSS, old, new), url=RSS_URL), expected)


def test_problems_are_reported_not_raised() -> None:
    assert_found(rss_problems(b""), "[SAXError]")
    assert_found(atom_problems(b"<feed"), "[SAXError]")
    assert_found(atom_problems(VALID_RSS), "root element must be atom:feed")
    assert_found(rss_problems(VALID_ATOM), "root element must be rss")


def test_bidi_controls_balanced_within_one_text_node_are_fine() -> None:
    title = "<title>افتتاح المعرض الدولي للكتاب</title>"
    balanced = "<title>افتتاح \u2066ICC\u2069 \u202bالدولي\u202c</title>"
    assert rss_problems(mutated(VALID_RSS, title, balanced), url=RSS_URL) == []


# ---------------------------------------------------------------------------
# Atom
# ---------------------------------------------------------------------------

SELF = (
    '  <link rel="self" type="application/atom+xml" href="https://news.example/feeds/all.atom"/>\n'
)
HTML_CONTENT = "&lt;p&gt;افتتح &lt;a href="
ENTRY_1_ID = "<id>tag:news.example,2024-05-01:articles/1</id>"
ENTRY_2_ID = "<id>tag:news.example,2024-05-01:articles/2</id>"
ENTRY_2_LINK = '<link href="https://news.example/en/articles/2"/>'
ENTRY_2_SUMMARY = '<summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>'
FEED_AUTHOR = "  <author><name>غرفة الأخبار</name><uri>https://news.example/</uri></author>\n"

ATOM_CASES = [
    # self link
    pytest.param(SELF, "", "[MissingSelf]", id="no self link"),
    pytest.param(SELF, SELF + SELF, "2 self links", id="two self links"),
    pytest.param(
        'type="application/atom+xml"', 'type="application/rss+xml"', "[SelfNotAtom]", id="self type"
    ),
    pytest.param(
        "feeds/all.atom", "feeds/other.atom", "[SelfDoesntMatchLocation]", id="self link elsewhere"
    ),
    pytest.param(
        'href="https://news.example/feeds/all.atom"',
        'href="/feeds/all.atom"',
        "[InvalidIRI]",
        id="relative self",
    ),
    # links
    pytest.param(' length="48213"', "", "needs a length", id="enclosure without length"),
    pytest.param(
        'length="48213"', 'length="48 KB"', "[InvalidNonNegativeInteger]", id="enclosure length"
    ),
    pytest.param('length="48213"', 'length="-1"', "[UseZeroForUnknown]", id="length -1"),
    pytest.param('type="image/jpeg"', 'type="jpeg"', "[InvalidMIMEType]", id="link type"),
    pytest.param(
        'rel="enclosure"', 'rel="picture"', "[UnregisteredAtomLinkRel]", id="unregistered rel"
    ),
    pytest.param(
        'rel="enclosure"', 'rel="next"', "[FeedHistoryRelInEntry]", id="feed-history rel in entry"
    ),
    pytest.param(
        ENTRY_2_LINK,
        ENTRY_2_LINK + ENTRY_2_LINK.replace("/2", "/3"),
        "[DuplicateAtomLink]",
        id="two alternates",
    ),
    pytest.param(
        'type="text/html" href="https://news.example/"/>',
        'type="text/html" href="https://news.example/"/>\n<link href="https://news.example/ar"'
        ' type="text/html"/>',
        "[DuplicateAtomLink]",
        id="two feed alternates",
    ),
    pytest.param(
        ENTRY_2_LINK,
        ENTRY_2_LINK.replace("/>", ' hreflang="en_GB"/>'),
        "[InvalidLanguage]",
        id="hreflang",
    ),
    pytest.param(
        ENTRY_2_LINK,
        ENTRY_2_LINK.replace("/>", ">هنا</link>"),
        "[AtomLinkNotEmpty]",
        id="link with text",
    ),
    pytest.param(
        'href="https://news.example/articles/1"',
        'href="/articles/1"',
        "[InvalidIRI]",
        id="relative href",
    ),
    pytest.param(
        'href="https://news.example/articles/1"',
        'href="https://news.example/a b"',
        "white space",
        id="href with a space",
    ),
    pytest.param(
        'href="https://news.example/articles/1"',
        'href="https:///articles/1"',
        "no host",
        id="no host",
    ),
    pytest.param(
        'href="https://news.example/articles/1"',
        'href="web+x:articles/1"',
        "[SchemeNotIANARegistered]",
        id="scheme",
    ),
    # ids
    pytest.param(ENTRY_1_ID, ENTRY_2_ID, "[DuplicateEntries]", id="duplicate ids"),
    pytest.param(ENTRY_1_ID, "<id>articles/1</id>", "[InvalidIRI]", id="relative id"),
    pytest.param(
        ENTRY_1_ID,
        "<id> tag:news.example,2024-05-01:articles/1</id>",
        "white space",
        id="id whitespace",
    ),
    pytest.param(
        ENTRY_1_ID, "<id>tag:news.example:articles/1</id>", "[InvalidTAG]", id="tag without date"
    ),
    pytest.param(
        ENTRY_1_ID,
        "<id>tag:news.example,2024-13:articles/1</id>",
        "[InvalidTAG]",
        id="tag month 13",
    ),
    pytest.param(
        ENTRY_1_ID, "<id>tag:news.example,24:articles/1</id>", "[InvalidTAG]", id="tag 2-digit year"
    ),
    pytest.param(
        ENTRY_1_ID, "<id>tag:News.Example,2024:articles/1</id>", "[InvalidTAG]", id="tag upper case"
    ),
    pytest.param(
        ENTRY_1_ID, "<id>tag:news.example,2024:مقال</id>", "[InvalidTAG]", id="tag non-ASCII"
    ),
    pytest.param(ENTRY_1_ID, "<id>urn:uuid:1234</id>", "[InvalidUUID]", id="bad uuid"),
    pytest.param(
        ENTRY_1_ID,
        "<id>HTTPS://News.Example:443/a</id>",
        "[NonCanonicalURI]",
        id="non-canonical id",
    ),
    pytest.param(
        ENTRY_1_ID,
        "<id>https://news.example/a/../b</id>",
        "[NonCanonicalURI]",
        id="dot segments in id",
    ),
    # dates
    pytest.param(
        "2024-05-01T10:30:00+03:00",
        "2024-05-01T10:30:00",
        "[InvalidRFC3339Date]",
        id="date without offset",
    ),
    pytest.param(
        "2024-05-01T10:30:00+03:00",
        "2024-05-01 10:30:00+03:00",
        "[InvalidRFC3339Date]",
        id="date with space",
    ),
    pytest.param(
        "2024-05-01T10:30:00+03:00",
        "2024-02-30T10:30:00+03:00",
        "not a real date",
        id="30 February",
    ),
    pytest.param(
        "2024-05-01T10:30:00+03:00",
        "Wed, 01 May 2024 10:30:00 GMT",
        "[InvalidRFC3339Date]",
        id="RFC 822 date",
    ),
    pytest.param(
        "2024-05-01T10:30:00+03:00",
        "2999-05-01T10:30:00+03:00",
        "[ImplausibleDate]",
        id="future date",
    ),
    pytest.param(
        "2024-05-01T11:00:00Z", "2024-05-01T10:30:00+03:00", "[DuplicateUpdated]", id="same updated"
    ),
    # authors
    pytest.param(FEED_AUTHOR, "", "[MissingElement]", id="no author anywhere"),
    pytest.param(
        "<uri>https://news.example/</uri>",
        "<email>desk@news</email>",
        "[InvalidAddrSpec]",
        id="bad e-mail",
    ),
    # entries and text constructs
    pytest.param(
        ENTRY_2_LINK,
        ENTRY_2_LINK.replace("<link", '<link rel="related"'),
        "[MissingContentOrAlternate]",
        id="no alternate",
    ),
    pytest.param(
        ENTRY_2_SUMMARY + "The fair opened.</p></div></summary>",
        "",
        "[MissingTextualContent]",
        id="no summary",
    ),
    pytest.param(
        ENTRY_2_LINK,
        ENTRY_2_LINK + '<content src="https://news.example/en/articles/2.html"/>',
        "[MissingTypeAttr]",
        id="out-of-line content without type",
    ),
    pytest.param(
        ENTRY_2_SUMMARY + "The fair opened.</p></div></summary>",
        '<content type="image/png" src="https://news.example/media/2.png"/>',
        "[MissingSummary]",
        id="image content without summary",
    ),
    pytest.param(
        ENTRY_2_LINK,
        ENTRY_2_LINK + '<content type="text/html" src="/en/articles/2.html"/>',
        "@src: '/en/articles/2.html' is not an absolute IRI",
        id="relative content src",
    ),
    pytest.param(
        "<title>Book fair opens</title>", "<title></title>", "[NotBlank]", id="empty title"
    ),
    pytest.param(
        "<title>Book fair opens</title>",
        "<title>Fish &amp;amp; chips</title>",
        "[ContainsUndeclaredHTML]",
        id="escaped entity in text",
    ),
    pytest.param(
        "<title>Book fair opens</title>",
        "<title>Book &lt;b&gt;fair&lt;/b&gt;</title>",
        "[ContainsUndeclaredHTML]",
        id="HTML in text",
    ),
    pytest.param(
        HTML_CONTENT,
        "&lt;script&gt;alert(1)&lt;/script&gt;" + HTML_CONTENT,
        "<script> is a security risk",
        id="script",
    ),
    pytest.param(
        HTML_CONTENT,
        "&lt;style&gt;p{}&lt;/style&gt;" + HTML_CONTENT,
        "<style> is a security risk",
        id="style",
    ),
    pytest.param(
        HTML_CONTENT,
        '&lt;iframe src="https://x.example/"&gt;&lt;/iframe&gt;' + HTML_CONTENT,
        "<iframe>",
        id="iframe",
    ),
    pytest.param(
        HTML_CONTENT,
        '&lt;object data="x.swf"&gt;&lt;/object&gt;' + HTML_CONTENT,
        "<object>",
        id="object",
    ),
    pytest.param(HTML_CONTENT, '&lt;embed src="x.swf"&gt;' + HTML_CONTENT, "<embed>", id="embed"),
    pytest.param(
        HTML_CONTENT,
        '&lt;p onclick="steal()"&gt;' + HTML_CONTENT,
        "[SecurityRiskAttr]",
        id="onclick",
    ),
    pytest.param(
        'href="https://news.example/fair"',
        'href=" JavaScript:alert(1)"',
        "script URL",
        id="javascript URL",
    ),
    pytest.param(
        HTML_CONTENT,
        '&lt;p style="background: url(x)"&gt;' + HTML_CONTENT,
        "[DangerousStyleAttr]",
        id="CSS url()",
    ),
    pytest.param(HTML_CONTENT, "&lt;blink2&gt;" + HTML_CONTENT, "[NotHtml]", id="not HTML"),
    pytest.param(
        HTML_CONTENT, "a &lt; b " + HTML_CONTENT, "invalid HTML at 1:3", id="unescaped < in HTML"
    ),
    pytest.param(
        HTML_CONTENT,
        "&amp;lt;p&amp;gt;" + HTML_CONTENT,
        "HTML escaped twice",
        id="double-escaped tag",
    ),
    pytest.param(
        "أبوابه.&lt;/p&gt;",
        "أبوابه &amp;amp;amp; أكثر.&lt;/p&gt;",
        "HTML escaped twice",
        id="double-escaped entity",
    ),
    pytest.param(
        "<p>The fair opened.</p>",
        "<p>The fair <script>x()</script></p>",
        "[SecurityRisk]",
        id="xhtml script",
    ),
    pytest.param(
        "<p>The fair opened.</p>",
        '<p onmouseover="x()">The fair</p>',
        "[SecurityRiskAttr]",
        id="xhtml onmouseover",
    ),
    pytest.param(
        "<p>The fair opened.</p>",
        "<p>The fair <x:b xmlns:x='https://x.example/'>!</x:b></p>",
        "is not XHTML",
        id="not XHTML",
    ),
    pytest.param(
        "<summary>افتتح المعرض أبوابه صباح اليوم.</summary>",
        "<summary> </summary>",
        "[NotBlank]",
        id="blank summary",
    ),
    # attributes and vocabulary
    pytest.param(
        "<title>نشرة الأخبار</title>",
        '<title dir="rtl">نشرة الأخبار</title>',
        "@dir",
        id="dir on title",
    ),
    pytest.param("<entry>", '<entry dir="rtl">', "@dir", id="dir on entry"),
    pytest.param(
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar" dir="rtl">',
        "@dir",
        id="dir on feed",
    ),
    pytest.param('xml:lang="ar"', 'xml:lang="ar_SA"', "[InvalidLanguage]", id="ar_SA"),
    pytest.param('xml:lang="ar"', 'xml:lang="AR_sa"', "[InvalidLanguage]", id="AR_sa"),
    pytest.param('xml:lang="en"', 'xml:lang="xx"', "[InvalidLanguage]", id="unknown language"),
    pytest.param(
        "<category", "<rank>1</rank><category", "[RFC 4287 schema]", id="undefined Atom element"
    ),
    pytest.param('<category term="culture"', '<category term=" "', "[NotBlank]", id="blank term"),
    pytest.param(
        '<feed xmlns="http://www.w3.org/2005/Atom"',
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:atom="http://www.w3.org/2005/Atom"',
        "[AvoidNamespacePrefix]",
        id="atom prefix",
    ),
    pytest.param(
        "<entry>",
        '<entry xmlns:x="https://unknown.example/ns"><x:y>1</x:y>',
        "[UnknownNamespace]",
        id="unknown namespace",
    ),
    # the XML-level checks shared with RSS
    pytest.param(
        '<?xml version="1.0" encoding="utf-8"?>\n', "", "[MissingEncoding]", id="no XML declaration"
    ),
    pytest.param('encoding="utf-8"', 'encoding="windows-1256"', "[NotUTF8]", id="not UTF-8"),
    pytest.param("Book fair opens", "Book fair\u0085 opens", "U+0085", id="C1 control in title"),
    pytest.param(
        "Book fair opens", "Book \u202efair opens", "never closed", id="unbalanced RLO in title"
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), ATOM_CASES)
def test_atom_problems(old: str, new: str, expected: str) -> None:
    assert_found(atom_problems(mutated(VALID_ATOM, old, new), url=ATOM_URL), expected)


def test_self_link_must_be_the_url_the_feed_is_served_at() -> None:
    elsewhere = "https://news.example/feeds/politics.atom"
    assert_found(atom_problems(VALID_ATOM, url=elsewhere), "[SelfDoesntMatchLocation]")
    assert_found(rss_problems(VALID_RSS, url=elsewhere), "[SelfDoesntMatchLocation]")


# ---------------------------------------------------------------------------
# RSS
# ---------------------------------------------------------------------------

RSS_SELF = (
    '    <atom:link href="https://news.example/feeds/all.rss" rel="self"'
    ' type="application/rss+xml"/>\n'
)
LAST_BUILD = "<lastBuildDate>Wed, 01 May 2024 12:00:00 +0300</lastBuildDate>"
ITEM_1_GUID = '<guid isPermaLink="false">tag:news.example,2024-05-01:articles/1</guid>'
ITEM_2_GUID = "<guid>https://news.example/en/articles/2</guid>"
AUTHOR = "<author>desk@news.example (غرفة الأخبار)</author>"
ENCLOSURE_RSS = (
    '<enclosure url="https://news.example/media/1.jpg" length="48213" type="image/jpeg"/>'
)
DESCRIPTION_1 = "<description>&lt;p&gt;افتتح المعرض أبوابه صباح اليوم.&lt;/p&gt;</description>"
ENCODED = '<content:encoded><![CDATA[<p>افتتح <a href="https://news.example/fair">'

RSS_CASES = [
    # root and channel
    pytest.param('version="2.0"', 'version="0.92"', "[InvalidRSSVersion]", id="version"),
    pytest.param(
        "  </channel>\n", "  </channel>\n  <channel/>\n", "2 channel elements", id="two channels"
    ),
    pytest.param("    <title>نشرة الأخبار</title>\n", "", "missing title", id="no channel title"),
    pytest.param(
        "    <link>https://news.example/</link>\n", "", "missing link", id="no channel link"
    ),
    pytest.param(
        "    <description>آخر الأخبار من نشرة</description>\n",
        "",
        "missing description",
        id="no description",
    ),
    pytest.param(
        "<description>آخر الأخبار من نشرة</description>",
        "<description> </description>",
        "[NotBlank]",
        id="blank description",
    ),
    pytest.param(
        "<title>نشرة الأخبار</title>",
        "<title>نشرة</title><title>الأخبار</title>",
        "[DuplicateElement]",
        id="two titles",
    ),
    pytest.param(
        "<link>https://news.example/</link>",
        "<link>/</link>",
        "[InvalidIRI]",
        id="relative channel link",
    ),
    pytest.param(
        "<link>https://news.example/</link>",
        "<link>ftp://news.example/</link>",
        "[InvalidURLAttribute]",
        id="channel link not http",
    ),
    pytest.param(
        "<language>ar</language>", "<language>ar_SA</language>", "[InvalidLanguage]", id="ar_SA"
    ),
    pytest.param(
        "<language>ar</language>", "<language>AR_sa</language>", "[InvalidLanguage]", id="AR_sa"
    ),
    pytest.param(
        "<language>ar</language>",
        "<language>arabic</language>",
        "[InvalidLanguage]",
        id="unknown language",
    ),
    pytest.param(
        "<ttl>30</ttl>",
        "<ttl>half an hour</ttl>",
        "[InvalidPositiveInteger]",
        id="ttl not a number",
    ),
    pytest.param("<ttl>30</ttl>", "<ttl>-5</ttl>", "[InvalidPositiveInteger]", id="negative ttl"),
    pytest.param(
        "<ttl>30</ttl>", "<ttl>30</ttl><docs>rss-spec</docs>", "[InvalidIRI]", id="relative docs"
    ),
    pytest.param(
        "<ttl>30</ttl>",
        "<ttl>30</ttl><managingEditor>desk</managingEditor>",
        "[InvalidContact]",
        id="editor without e-mail",
    ),
    pytest.param("<ttl>30</ttl>", "<ttl>30</ttl><textInput/>", "[AvoidTextInput]", id="textInput"),
    pytest.param(
        "<ttl>30</ttl>",
        "<ttl>30</ttl><skipHours><hour>24</hour></skipHours>",
        "[UseZeroForMidnight]",
        id="hour 24",
    ),
    pytest.param(
        "<ttl>30</ttl>",
        "<ttl>30</ttl><skipDays><day>Fri</day></skipDays>",
        "[InvalidDay]",
        id="day abbreviation",
    ),
    pytest.param(
        "<ttl>30</ttl>",
        '<ttl>30</ttl><cloud domain="news.example" port="80"/>',
        "missing path",
        id="cloud attributes",
    ),
    pytest.param(
        "<ttl>30</ttl>",
        "<ttl>30</ttl><image><url>https://news.example/logo.png</url><title>نشرة</title>"
        "<link>https://news.example/</link></image>",
        "[ImageTitleDoesntMatch]",
        id="image title",
    ),
    pytest.param(
        "<ttl>30</ttl>",
        "<ttl>30</ttl><image><url>https://news.example/logo.png</url><title>نشرة الأخبار</title>"
        "<link>https://news.example/</link><width>600</width></image>",
        "[InvalidInteger]",
        id="image too wide",
    ),
    # self link
    pytest.param(RSS_SELF, "", "[MissingSelf]", id="no self link"),
    pytest.param(' type="application/rss+xml"', "", "[SelfNotAtom]", id="self link without type"),
    pytest.param(
        'type="application/rss+xml"', 'type="application/atom+xml"', "[SelfNotAtom]", id="self type"
    ),
    pytest.param(
        "feeds/all.rss", "feeds/all.xml", "[SelfDoesntMatchLocation]", id="self link elsewhere"
    ),
    # dates
    pytest.param(
        LAST_BUILD,
        "<lastBuildDate>2024-05-01T12:00:00+03:00</lastBuildDate>",
        "[InvalidRFC2822Date]",
        id="ISO date",
    ),
    pytest.param(
        LAST_BUILD,
        "<lastBuildDate>Wed, 01 May 24 12:00:00 +0300</lastBuildDate>",
        "four digits",
        id="two-digit year",
    ),
    pytest.param(
        LAST_BUILD,
        "<lastBuildDate>Thu, 01 May 2024 12:00:00 +0300</lastBuildDate>",
        "[IncorrectDOW]",
        id="wrong weekday",
    ),
    pytest.param(
        LAST_BUILD,
        "<lastBuildDate>01 May 2024 12:00:00 +0300</lastBuildDate>",
        "[InvalidRFC2822Date]",
        id="no weekday",
    ),
    pytest.param(
        LAST_BUILD,
        "<lastBuildDate>Wed, 01 May 2024 12:00:00 EST</lastBuildDate>",
        "[InvalidRFC2822Date]",
        id="zone name",
    ),
    pytest.param(
        LAST_BUILD,
        "<lastBuildDate>Wed, 01 May 2024 12:00:00 +3000</lastBuildDate>",
        "not a time-zone",
        id="zone +3000",
    ),
    pytest.param(
        LAST_BUILD,
        "<lastBuildDate>Fri, 31 May 2999 12:00:00 GMT</lastBuildDate>",
        "[ImplausibleDate]",
        id="future",
    ),
    pytest.param(
        "Wed, 01 May 2024 09:00:00 GMT",
        "Wed, 31 Apr 2024 09:00:00 GMT",
        "not a real date",
        id="31 April",
    ),
    pytest.param(
        "Wed, 01 May 2024 09:00:00 GMT",
        "wed, 01 may 2024 09:00:00 gmt",
        "[InvalidRFC2822Date]",
        id="lower case",
    ),
    # items
    pytest.param(
        ITEM_2_TEXT,
        "<link>https://news.example/en/articles/2</link>",
        "[ItemMustContainTitleOrDescription]",
        id="item without title",
    ),
    pytest.param(
        "<title>Book fair opens</title>", "<title></title>", "[NotBlank]", id="empty item title"
    ),
    pytest.param(
        "<title>Book fair opens</title>",
        "<title>&lt;b&gt;Book&lt;/b&gt; fair</title>",
        "[ContainsHTML]",
        id="HTML in title",
    ),
    pytest.param(
        "<title>Book fair opens</title>",
        "<title>Book fair&amp;nbsp;opens</title>",
        "[ContainsHTML]",
        id="entity in title",
    ),
    pytest.param(
        "<title>Book fair opens</title>",
        "<title>Book &lt;fair</title>",
        "[CharacterData]",
        id="markup-like title",
    ),
    pytest.param(
        "<link>https://news.example/articles/1</link>",
        "<link>https://news.example/articles/1</link><link>https://news.example/1</link>",
        "[DuplicateElement]",
        id="two links",
    ),
    pytest.param(
        "<link>https://news.example/articles/1</link>",
        "<link>articles/1</link>",
        "[InvalidIRI]",
        id="relative item link",
    ),
    pytest.param(
        AUTHOR, "<author>غرفة الأخبار</author>", "[InvalidContact]", id="author without e-mail"
    ),
    pytest.param(
        AUTHOR, "<author>desk@news.example</author>", "[MissingRealName]", id="author without name"
    ),
    pytest.param(
        AUTHOR,
        "<author>غرفة الأخبار &lt;desk@news.example&gt;</author>",
        "[MissingRealName]",
        id="author name first",
    ),
    pytest.param(
        "<category>ثقافة</category>", "<category></category>", "[NotBlank]", id="empty category"
    ),
    pytest.param(
        "<category>ثقافة</category>",
        "<comments>/comments/1</comments>",
        "[InvalidIRI]",
        id="relative comments",
    ),
    pytest.param(
        "<category>ثقافة</category>",
        "<source>وكالة</source>",
        "url: missing",
        id="source without url",
    ),
    # guids
    pytest.param(
        ITEM_2_GUID, "<guid>articles-2</guid>", "[InvalidHttpGUID]", id="permalink guid not a URL"
    ),
    pytest.param(
        ITEM_2_GUID,
        '<guid isPermaLink="true">tag:news.example,2024:2</guid>',
        "[InvalidHttpGUID]",
        id="tag permalink",
    ),
    pytest.param(
        ITEM_2_GUID,
        '<guid isPermaLink="yes">https://news.example/2</guid>',
        "[InvalidBooleanAttribute]",
        id="isPermaLink yes",
    ),
    pytest.param(
        ITEM_2_GUID, '<guid isPermaLink="false">2</guid>', "[NotSufficientlyUnique]", id="guid 2"
    ),
    pytest.param(ITEM_2_GUID, "", "[MissingGuid]", id="no guid"),
    pytest.param(ITEM_2_GUID, ITEM_1_GUID, "[DuplicateValue]", id="duplicate guids"),
    # enclosures
    pytest.param(' length="48213"', "", "length: missing", id="enclosure without length"),
    pytest.param('length="48213"', 'length="-1"', "[UseZeroForUnknown]", id="enclosure length -1"),
    pytest.param(
        'length="48213"', 'length="48 KB"', "[InvalidNonNegativeInteger]", id="enclosure length"
    ),
    pytest.param(
        'url="https://news.example/media/1.jpg"',
        'url="/media/1.jpg"',
        "[InvalidIRI]",
        id="relative url",
    ),
    pytest.param('type="image/jpeg"', 'type="jpeg"', "[InvalidMIMEType]", id="enclosure type"),
    pytest.param(ENCLOSURE_RSS, ENCLOSURE_RSS * 2, "[DuplicateEnclosure]", id="two enclosures"),
    # HTML
    pytest.param(
        DESCRIPTION_1,
        "<description>&lt;script&gt;x()&lt;/script&gt;</description>",
        "<script>",
        id="script",
    ),
    pytest.param(
        ENCODED,
        ENCODED.replace("<p>", "<p><iframe src='https://x.example/'></iframe>"),
        "<iframe>",
        id="iframe",
    ),
    pytest.param(ENCODED, ENCODED.replace("<p>", "<style>p{}</style><p>"), "<style>", id="style"),
    pytest.param(
        ENCODED, ENCODED.replace("<p>", "<p onload='x()'>"), "[SecurityRiskAttr]", id="onload"
    ),
    pytest.param(
        'href="https://news.example/fair"',
        'href="javascript:x()"',
        "script URL",
        id="javascript URL",
    ),
    pytest.param(
        'href="https://news.example/fair"', 'href="/fair"', "[ContainsRelRef]", id="relative link"
    ),
    pytest.param(
        ENCODED,
        ENCODED.replace("<p>", "<p>&lt;p&gt;"),
        "HTML escaped twice",
        id="double-escaped",
    ),
    pytest.param(
        "<description>The fair opened.</description>",
        "<description>a &lt; b &amp; c</description>",
        "invalid HTML at 1:3: Expected tag name",
        id="plain text with < unescaped in description",
    ),
    pytest.param(
        "<description>The fair opened.</description>",
        "<description>AT&amp;T</description>",
        "invalid HTML at 1:4: Named entity expected",
        id="plain text with & unescaped in description",
    ),
    pytest.param(
        DESCRIPTION_1,
        "<description>\u200fخبر &lt;عاجل</description>",
        "[NotHtml]",
        id="Arabic text with < unescaped in description",
    ),
    pytest.param(
        "<description>The fair opened.</description>",
        "<description>&lt;b&gt;x&lt;/p&gt;</description>",
        "[NotHtml]",
        id="stray end tag in description",
    ),
    pytest.param(
        ENCODED,
        ENCODED.replace("<p>", "<p><script>x()</script>"),
        "<script> is a security risk",
        id="script in content:encoded",
    ),
    pytest.param(
        ENCODED,
        ENCODED.replace("<p>", "<form action='https://x.example/'><input name='q'></form><p>"),
        "<form> is a security risk",
        id="form in content:encoded",
    ),
    pytest.param(
        ENCODED,
        ENCODED.replace("<p>", "</div><p>"),
        "invalid HTML",
        id="stray end tag in content:encoded",
    ),
    pytest.param(
        ENCODED,
        ENCODED.replace("<p>", "<p>a < b "),
        "invalid HTML",
        id="unescaped < in content:encoded",
    ),
    pytest.param(
        DESCRIPTION_1 + "\n", "", "[NeedDescriptionBeforeContent]", id="content without description"
    ),
    # vocabulary and attributes
    pytest.param(
        "<category>ثقافة</category>",
        "<category>ثقافة</category><rank>1</rank>",
        "[UndefinedElement]",
        id="undefined item element",
    ),
    pytest.param(
        "<ttl>30</ttl>",
        "<ttl>30</ttl><guid>x</guid>",
        "[UndefinedElement]",
        id="item element in channel",
    ),
    pytest.param(
        "<dc:creator>Newsroom</dc:creator>",
        "<dc:author>Newsroom</dc:author>",
        "[UndefinedElement]",
        id="dc:author",
    ),
    pytest.param(
        "<dc:creator>Newsroom</dc:creator>",
        "<content:text>x</content:text>",
        "[UndefinedElement]",
        id="content:text",
    ),
    pytest.param(
        "<ttl>30</ttl>",
        "<ttl>30</ttl><atom:title>x</atom:title>",
        "[UndefinedElement]",
        id="atom:title in RSS",
    ),
    pytest.param(
        "<ttl>30</ttl>",
        "<ttl>30</ttl><content:encoded>x</content:encoded>",
        "[UndefinedElement]",
        id="content:encoded in channel",
    ),
    pytest.param(
        "<category>ثقافة</category>",
        "<category><b>ثقافة</b></category>",
        "[UndefinedElement]",
        id="element in text",
    ),
    pytest.param(
        "<dc:creator>Newsroom</dc:creator>",
        "<dc:creator> </dc:creator>",
        "[NotBlank]",
        id="blank dc:creator",
    ),
    pytest.param(
        "<dc:language>en</dc:language>",
        "<dc:language>en_US</dc:language>",
        "[InvalidLanguage]",
        id="dc:language",
    ),
    pytest.param(
        "<ttl>30</ttl>",
        "<ttl>30</ttl><dc:date>01/05/2024</dc:date>",
        "[InvalidW3CDTFDate]",
        id="dc:date",
    ),
    pytest.param(
        AUTHOR,
        AUTHOR + "<dc:creator>Desk</dc:creator>",
        "[DuplicateSemantics]",
        id="author and dc:creator",
    ),
    pytest.param(
        "<language>ar</language>",
        "<language>ar</language><dc:language>ar</dc:language>",
        "[DuplicateSemantics]",
        id="language twice",
    ),
    pytest.param("<channel>", '<channel dir="rtl">', "@dir", id="dir on channel"),
    pytest.param(
        "<title>Book fair opens</title>",
        '<title dir="ltr">Book fair opens</title>',
        "@dir",
        id="dir on title",
    ),
    pytest.param("<dc:creator>", '<dc:creator dir="ltr">', "@dir", id="dir on extension"),
    pytest.param(
        "<item>\n      <title>Book",
        '<item id="2">\n      <title>Book',
        "[UnexpectedAttribute]",
        id="attribute on item",
    ),
    pytest.param(
        'rel="self"', 'rel="self" media="all"', "[UnexpectedAttribute]", id="attribute on atom:link"
    ),
    pytest.param("<channel>", "<channel>نص", "[UnexpectedText]", id="text in channel"),
    pytest.param(
        "  </channel>",
        "    <copyright>نشرة</copyright>\n  </channel>",
        "[MisplacedItem]",
        id="metadata after items",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), RSS_CASES)
def test_rss_problems(old: str, new: str, expected: str) -> None:
    assert_found(rss_problems(mutated(VALID_RSS, old, new), url=RSS_URL), expected)


# ---------------------------------------------------------------------------
# feedgen, used the naive way
# ---------------------------------------------------------------------------


def naive_feedgen() -> FeedGenerator:
    """A feed built the way feedgen's documentation shows, with an image enclosure."""
    moment = datetime(2024, 5, 1, 9, tzinfo=UTC)
    fg = FeedGenerator()
    fg.id("tag:news.example,2024:feeds/all")
    fg.title("نشرة الأخبار")
    fg.subtitle("آخر الأخبار من نشرة")
    fg.author({"name": "غرفة الأخبار", "email": "desk@news.example"})
    fg.link(href=ATOM_URL, rel="self", type="application/atom+xml")
    fg.link(href="https://news.example/", rel="alternate", type="text/html")
    fg.language("ar")
    fg.updated(moment)
    fg.lastBuildDate(moment)
    fe = fg.add_entry()
    fe.id("tag:news.example,2024-05-01:articles/1")
    fe.title("افتتاح المعرض الدولي للكتاب")
    fe.link(href="https://news.example/articles/1", rel="alternate", type="text/html")
    fe.link(href="https://news.example/media/1.jpg", rel="enclosure", type="image/jpeg", length="1")
    fe.summary("افتتح المعرض أبوابه صباح اليوم.")
    fe.updated(moment)
    fe.published(moment)
    return fg


def test_feedgen_atom_enclosure_becomes_a_second_alternate() -> None:
    """feedgen issue #135: entry links lose rel, type and length in Atom."""
    document = naive_feedgen().atom_str()
    assert b'<link href="https://news.example/media/1.jpg"/>' in document
    assert_found(atom_problems(document, url=ATOM_URL), "2 alternate links")


def test_feedgen_rss_reuses_the_atom_self_link() -> None:
    """The RSS rendering of the same generator keeps the Atom self link, untyped."""
    problems = rss_problems(naive_feedgen().rss_str(), url=RSS_URL)
    assert_found(problems, "[SelfNotAtom]")
    assert_found(problems, "[SelfDoesntMatchLocation]")
