"""A strict, offline stand-in for the W3C Feed Validation Service.

The test-suite's bar for every feed is "zero warnings in a strict validator".
The W3C service (https://validator.w3.org/feed/, source: w3c/feedvalidator) is
not on PyPI and needs the network, so this module re-implements the checks
that matter to an RSS 2.0 / Atom 1.0 publisher with nothing but lxml,
langcodes, html5lib (the HTML parser feedvalidator itself uses) and the
standard library. ``atom_problems`` and ``rss_problems`` return
human-readable problems, errors and warnings alike: the bar is zero of either,
so an empty list means the feed is valid.

Where the rules come from:

- Atom: RFC 4287, validated against its own RELAX NG schema (Appendix B,
  converted once to ``tests/support/schemas/atom.rng``), plus the schema's Schematron
  rules and the prose the schema cannot express; RFC 3339 dates, RFC 3987
  IRIs, RFC 4151 ``tag:`` URIs, BCP 47 language tags.
- RSS: the RSS 2.0 specification and the RSS Board's RSS Profile
  (https://www.rssboard.org/rss-profile).
- Both: the checks feedvalidator makes beyond those specifications, read from
  its ``src/feedvalidator`` modules ``validators``, ``base``, ``feed``,
  ``entry``, ``link``, ``content``, ``channel`` and ``item``. Each problem ends
  with the name of feedvalidator's message in brackets, e.g.
  ``[DuplicateAtomLink]``, or with the specification it enforces where
  feedvalidator has no such message.
- HTML (an RSS item's ``description`` and ``content:encoded``, Atom
  ``type="html"``): parsed by html5lib as feedvalidator's ``HTMLValidator``
  does, strictly (any parse error is a problem), every element from an
  allowlist. An RSS channel's ``description`` is plain text there
  (``channel.do_description`` is ``nonhtml``), and so it is here.
- XML 1.0 section 2.2 for discouraged characters, and Unicode's bidi algorithm
  (UAX #9) for unbalanced embedding, override and isolate controls, which can
  reverse the text around them in a reader.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.entities import html5, name2codepoint
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import langcodes
from html5lib.constants import E as HTML5_MESSAGES
from html5lib.html5parser import HTMLParser
from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_LANG = f"{{{XML_NS}}}lang"
ATOM_LINK = f"{{{ATOM}}}link"
CONTENT_ENCODED = f"{{{CONTENT}}}encoded"

SCHEMA = Path(__file__).with_name("schemas") / "atom.rng"

TextCheck = Callable[[str], "str | None"]
ElementCheck = Callable[[etree._Element], list[str]]

# Namespaces feedvalidator knows (base.namespaces), with their customary prefix.
# Declaring any other namespace earns its UnknownNamespace warning.
KNOWN_NAMESPACES = {
    ATOM: "atom",
    XHTML: "xhtml",
    DC: "dc",
    DCTERMS: "dcterms",
    CONTENT: "content",
    XML_NS: "xml",
    "http://search.yahoo.com/mrss/": "media",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://www.georss.org/georss": "georss",
    "http://purl.org/syndication/thread/1.0": "thr",
    "http://purl.org/syndication/history/1.0": "fh",
    "http://purl.org/rss/1.0/modules/syndication/": "sy",
    "http://purl.org/rss/1.0/modules/slash/": "slash",
    "http://wellformedweb.org/CommentAPI/": "wfw",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.w3.org/2007/app": "app",
    "http://a9.com/-/spec/opensearch/1.1/": "opensearch",
    "http://www.w3.org/2000/svg": "svg",
    "http://www.w3.org/1998/Math/MathML": "mathml",
    "http://www.w3.org/1999/xlink": "xlink",
}

# ---------------------------------------------------------------------------
# HTML carried in feeds
# ---------------------------------------------------------------------------

# Elements of the HTML standard, current and obsolete: anything else in feed
# HTML is feedvalidator's NotHtml.
HTML_ELEMENTS = frozenset(
    """a abbr acronym address applet area article aside audio b base basefont bdi bdo
    big blink blockquote body br button canvas caption center cite code col colgroup
    data datalist dd del details dfn dialog dir div dl dt em embed fieldset figcaption
    figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html
    i iframe img input ins isindex kbd keygen label legend li link listing main map mark
    marquee menu meta meter nav nobr noembed noframes noscript object ol optgroup option
    output p param picture plaintext pre progress q rb rp rt rtc ruby s samp script search
    section select slot small source span strike strong style sub summary sup table tbody
    td template textarea tfoot th thead time title tr track tt u ul var video wbr
    xmp""".split()
)
# HTML elements that run code, embed other documents, restyle the reader's page
# or belong only to a whole document: feedvalidator's SecurityRisk (they are
# missing from its acceptable_elements). Forms and their controls are added:
# feedvalidator lets them be, but a form in an article can post what a reader
# types anywhere, and no sanitizer a publisher should use lets one through.
UNSAFE_HTML_ELEMENTS = frozenset(
    """applet base basefont body button datalist embed form frame frameset head html
    iframe input isindex keygen link listing meta noembed noframes object optgroup option
    param plaintext script select slot style textarea title xmp""".split()
)
# The allowlist: every element of HTML in feed HTML must be one of these.
SAFE_HTML_ELEMENTS = HTML_ELEMENTS - UNSAFE_HTML_ELEMENTS
# Attributes whose value is a URL that a reader follows or loads.
HTML_URL_ATTRIBUTES = frozenset(
    """action background cite codebase data dynsrc formaction href longdesc lowsrc
    poster src usemap xlink:href""".split()
)
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:text/html")
DANGEROUS_CSS = re.compile(
    r"expression\s*\(|url\s*\(|javascript:|behavior\s*:|-moz-binding|@import"
)
# Text that still contains a tag or an entity reference after one HTML decoding.
ESCAPED_MARKUP = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^<>]*>|&(#\d+|#[xX][0-9A-Fa-f]+|\w+);")

# ---------------------------------------------------------------------------
# Atom vocabulary
# ---------------------------------------------------------------------------

# Link relations feedvalidator accepts without a warning (link.validRelations).
REGISTERED_RELATIONS = frozenset(
    """alternate current describedby edit edit-media enclosure first hub last license
    next next-archive payment prev-archive previous related replies search self service
    up via""".split()
)
# RFC 5005 relations, which describe a feed and not an entry.
FEED_HISTORY_RELATIONS = frozenset(
    "current first last next next-archive prev-archive previous".split()
)
IANA_RELATION_PREFIX = "http://www.iana.org/assignments/relation/"

# ---------------------------------------------------------------------------
# RSS vocabulary (RSS 2.0 specification)
# ---------------------------------------------------------------------------

RSS_CHILDREN: dict[str, frozenset[str]] = {
    "rss": frozenset({"channel"}),
    "channel": frozenset(
        """title link description language copyright managingEditor webMaster pubDate
        lastBuildDate category generator docs cloud ttl image rating textInput
        skipHours skipDays item""".split()
    ),
    "item": frozenset(
        "title link description author category comments enclosure guid pubDate source".split()
    ),
    "image": frozenset("url title link width height description".split()),
    "textInput": frozenset("title description name link".split()),
    "skipHours": frozenset({"hour"}),
    "skipDays": frozenset({"day"}),
}
RSS_SINGLE: dict[str, frozenset[str]] = {
    "channel": RSS_CHILDREN["channel"] - {"category", "item"},
    "item": RSS_CHILDREN["item"] - {"category", "enclosure"},
    "image": RSS_CHILDREN["image"],
    "textInput": RSS_CHILDREN["textInput"],
}
RSS_ATTRIBUTES: dict[str, frozenset[str]] = {
    "rss": frozenset({"version"}),
    "category": frozenset({"domain"}),
    "cloud": frozenset({"domain", "port", "path", "registerProcedure", "protocol"}),
    "enclosure": frozenset({"url", "length", "type"}),
    "guid": frozenset({"isPermaLink"}),
    "source": frozenset({"url"}),
}
RSS_EMPTY = frozenset({"cloud", "enclosure"})
XML_ATTRIBUTES = frozenset(f"{{{XML_NS}}}{name}" for name in ("lang", "base", "space", "id"))
ATOM_LINK_ATTRIBUTES = frozenset({"href", "rel", "type", "hreflang", "title", "length"})
# The fifteen elements of the Dublin Core Metadata Element Set 1.1.
DCMES = frozenset(
    """contributor coverage creator date description format identifier language publisher
    relation rights source subject title type""".split()
)
# Extension elements checked in RSS, by namespace: local name -> allowed parents.
RSS_EXTENSIONS: dict[str, dict[str, frozenset[str]]] = {
    ATOM: {"link": frozenset({"channel", "item"})},
    CONTENT: {"encoded": frozenset({"item"})},
    DC: dict.fromkeys(DCMES, frozenset({"channel", "item"})),
}
# A core element and the extension that says the same (DuplicateSemantics).
RSS_DUPLICATE_SEMANTICS: dict[str, tuple[tuple[str, str], ...]] = {
    "channel": (
        ("managingEditor", f"{{{DC}}}creator"),
        ("webMaster", f"{{{DC}}}publisher"),
        ("category", f"{{{DC}}}subject"),
        ("pubDate", f"{{{DC}}}date"),
        ("language", f"{{{DC}}}language"),
        ("copyright", f"{{{DC}}}rights"),
        ("lastBuildDate", f"{{{DCTERMS}}}modified"),
    ),
    "item": (
        ("author", f"{{{DC}}}creator"),
        ("category", f"{{{DC}}}subject"),
        ("pubDate", f"{{{DC}}}date"),
    ),
}
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAYS = frozenset("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
CLOUD_PROTOCOLS = frozenset({"xml-rpc", "soap", "http-post"})

# ---------------------------------------------------------------------------
# Characters, URIs, dates
# ---------------------------------------------------------------------------

# XML 1.0 section 2.2 discourages DEL, the C1 controls and the noncharacters;
# feedvalidator's BadCharacters adds U+FFFD, the mark of a failed decoding.
DISCOURAGED = re.compile(
    "[\x7f-\x9f\ufdd0-\ufdef\ufffd-\uffff"
    + "".join(
        chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0x10000, 0x110000, 0x10000)
    )
    + "]"
)
# Embedding and override controls close with PDF, isolates with PDI.
BIDI_CLOSERS = dict.fromkeys("\u202a\u202b\u202d\u202e", "\u202c") | dict.fromkeys(
    "\u2066\u2067\u2068", "\u2069"
)
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]")

URI_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# URI schemes accepted without feedvalidator's SchemeNotIANARegistered warning.
IANA_SCHEMES = frozenset(
    """data file ftp geo http https info ldap magnet mailto news nntp sip sips tag tel
    urn ws wss xmpp""".split()
)
DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21"}
TAG_CHARACTER = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})"
TAG_URI = re.compile(
    r"tag:(?:[a-z0-9._-]+@)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
    rf",(?P<date>\d{{4}}(?:-\d{{2}}(?:-\d{{2}})?)?):{TAG_CHARACTER}*(?:#{TAG_CHARACTER}*)?"
)
UUID_URN = re.compile(r"urn:uuid:[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}", re.IGNORECASE)
URN = re.compile(r"urn:[A-Za-z0-9][A-Za-z0-9-]{1,31}:\S+", re.IGNORECASE)
URI_PARTS = re.compile(
    r"(?P<scheme>[^:/?#]+):(?://(?P<authority>[^/?#]*))?(?P<path>[^?#]*)(?P<tail>(?:\?[^#]*)?(?:#.*)?)",
    re.DOTALL,
)
ESCAPE_OR_NON_ASCII = re.compile(r"%[0-9A-Fa-f]{2}|[^\x00-\x7f]")
TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
MEDIA_TYPE = re.compile(rf"""{TOKEN}/{TOKEN}(\s*;\s*{TOKEN}=("(\\"|[^"])*"|{TOKEN}))*""")
EMAIL = re.compile(r"[A-Za-z0-9_\-+.']+@(?:[A-Za-z0-9-]+\.)+[A-Za-z0-9][-A-Za-z0-9]*")

RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
W3CDTF = re.compile(r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?")
RFC822 = re.compile(
    r"(?P<weekday>Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<year>\d+) "
    r"\d{2}:\d{2}(?::\d{2})? (?P<zone>GMT|[+-]\d{4})"
)
XML_DECLARATION = re.compile(
    rb"""<\?xml\s+version\s*=\s*(["'])(?P<version>[^"']*)\1"""
    rb"""(?:\s+encoding\s*=\s*(["'])(?P<encoding>[^"']*)\3)?"""
    rb"""(?:\s+standalone\s*=\s*(["'])(?:yes|no)\5)?\s*\?>"""
)


# ===========================================================================
# Public interface
# ===========================================================================


def atom_problems(document: bytes, *, url: str | None = None) -> list[str]:
    """Every problem a strict validator reports for an Atom 1.0 feed document.

    ``url`` is where the feed is served: the feed's self link must equal it.
    """
    root, problems = _parse(document)
    if root is None:
        return problems
    if root.tag != f"{{{ATOM}}}feed":
        return [*problems, f"/{_name(root)}: the root element must be atom:feed [RFC 4287]"]
    problems += _xml_problems(root, atom=True)
    problems += _schema_problems(root)
    problems += _atom_feed_problems(root, url)
    problems += _atom_element_problems(root)
    return problems


def rss_problems(document: bytes, *, url: str | None = None) -> list[str]:
    """Every problem a strict validator reports for an RSS 2.0 feed document.

    ``url`` is where the feed is served: the channel's self link must equal it.
    """
    root, problems = _parse(document)
    if root is None:
        return problems
    if root.tag != "rss":
        return [*problems, f"/{_name(root)}: the root element must be rss [RSS 2.0]"]
    problems += _xml_problems(root, atom=False)
    problems += _rss_root_problems(root)
    problems += _rss_tree_problems(root)
    for channel in root.findall("channel"):
        problems += _rss_channel_problems(channel, url)
    return problems


# ===========================================================================
# XML level, both formats
# ===========================================================================


def _parse(document: bytes) -> tuple[etree._Element | None, list[str]]:
    """The root element, or None when the bytes are not well-formed XML."""
    problems = _declaration_problems(document)
    parser = etree.XMLParser(recover=False, resolve_entities=False)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError as error:
        return None, [*problems, f"document: not well-formed XML: {error} [SAXError]"]
    if root.getroottree().docinfo.doctype:
        problems.append(
            "document: has a DOCTYPE, which feeds must not rely on [ContainsSystemEntity]"
        )
    return root, problems


def _declaration_problems(document: bytes) -> list[str]:
    """An XML 1.0 declaration, and UTF-8 both declared and actual."""
    match = XML_DECLARATION.match(document.removeprefix(b"\xef\xbb\xbf"))
    if match is None:
        return ["document: does not start with an XML declaration [MissingEncoding]"]
    problems = []
    if match["version"] != b"1.0":
        problems.append(f"document: XML version {match['version']!r}, not 1.0 [BadXmlVersion]")
    encoding = (match["encoding"] or b"utf-8").decode("ascii", "replace")
    if encoding.lower() != "utf-8":
        problems.append(f"document: declares encoding {encoding!r}, not UTF-8 [NotUTF8]")
    try:
        document.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.append(f"document: not UTF-8: {error} [UnicodeError]")
    return problems


def _xml_problems(root: etree._Element, *, atom: bool) -> list[str]:
    """Namespace, character and xml:lang problems anywhere in the document."""
    problems = _namespace_problems(root, atom=atom)
    for owner, label, text in _strings(root):
        problems += [f"{_where(owner)}{label}: {problem}" for problem in _text_problems(text)]
    for element in root.iter(etree.Element):
        problem = XML_LANG in element.attrib and _language_problem(element.get(XML_LANG, ""))
        if problem:
            problems.append(f"{_where(element)}/@xml:lang: {problem}")
    return problems


def _strings(root: etree._Element) -> Iterator[tuple[etree._Element, str, str]]:
    """Every text node and attribute value: (element it is in, label, text)."""
    for node in root.iter():
        is_element = isinstance(node.tag, str)
        if node.text:
            yield (
                (node, "", node.text) if is_element else (node.getparent(), "/comment()", node.text)
            )
        if node.tail and node is not root:
            yield node.getparent(), "", node.tail
        if is_element:
            for name, value in node.attrib.items():
                yield node, f"/@{_attribute_name(node, name)}", value


def _text_problems(text: str) -> list[str]:
    problems = [_discouraged_problem(char) for char in sorted(set(DISCOURAGED.findall(text)))]
    if BIDI_CONTROLS.search(text):
        problems.append(_bidi_problem(text))
    if MOJIBAKE.search(text):
        problems.append(_mojibake_problem(text))
    return [problem for problem in problems if problem]


def _discouraged_problem(char: str) -> str:
    if char == "\ufffd":
        return "U+FFFD REPLACEMENT CHARACTER: the text was mis-decoded somewhere [BadCharacters]"
    return f"U+{ord(char):04X} is a control or noncharacter XML 1.0 discourages [BadCharacters]"


def _bidi_problem(text: str) -> str | None:
    """Every embedding, override and isolate closes, properly nested, in this one string."""
    still_open: list[str] = []
    for char in text:
        if char in BIDI_CLOSERS:
            still_open.append(char)
        elif char in ("\u202c", "\u2069"):
            if not still_open or BIDI_CLOSERS[still_open[-1]] != char:
                return f"unbalanced bidi control: {_char_name(char)} closes nothing [UAX #9]"
            still_open.pop()
    if still_open:
        return f"unbalanced bidi control: {_char_name(still_open[-1])} is never closed [UAX #9]"
    return None


def _mojibake_problem(text: str) -> str | None:
    """feedvalidator's check for UTF-8 that was decoded a second time as Latin-1."""
    try:
        text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None
    return "UTF-8 decoded twice (mojibake such as 'Ã©') [BadCharacters]"


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char)}"


def _namespace_problems(root: etree._Element, *, atom: bool) -> list[str]:
    """Every namespace declaration, once (UnknownNamespace, ReservedPrefix, ...)."""
    declarations: dict[tuple[str | None, str], None] = {}
    for element in root.iter(etree.Element):
        parent = element.getparent()
        inherited = parent.nsmap if parent is not None else {}
        for prefix, uri in element.nsmap.items():
            if uri and inherited.get(prefix) != uri:
                declarations[prefix, uri] = None
    return [
        f"/{_name(root)}: xmlns{':' + prefix if prefix else ''}={uri!r}: {problem}"
        for prefix, uri in declarations
        for problem in _declaration_problem_list(prefix, uri, atom=atom)
    ]


def _declaration_problem_list(prefix: str | None, uri: str, *, atom: bool) -> list[str]:
    problems = []
    if uri not in KNOWN_NAMESPACES:
        problems.append("unknown namespace [UnknownNamespace]")
    if prefix in KNOWN_NAMESPACES.values() and KNOWN_NAMESPACES.get(uri) != prefix:
        problems.append(f"the prefix {prefix!r} belongs to another namespace [ReservedPrefix]")
    if atom and prefix and uri in (ATOM, XHTML):
        problems.append("make it the default namespace instead of a prefix [AvoidNamespacePrefix]")
    return problems


def _language_problem(tag: str) -> str | None:
    """A BCP 47 language tag as langcodes knows it, never POSIX-style like ar_SA."""
    if "_" in tag or not langcodes.tag_is_valid(tag):
        return f"{tag!r} is not a valid BCP 47 language tag [InvalidLanguage]"
    return None


# ===========================================================================
# URIs, IRIs and dates
# ===========================================================================


def _iri_problem(value: str) -> str | None:
    """An absolute IRI (RFC 3987); tag: and urn: values must also follow their RFCs."""
    if not value.strip() or any(char.isspace() for char in value):
        return f"{value!r} is empty or contains white space [InvalidIRI]"
    scheme = SCHEME.match(value)
    if scheme is None:
        return f"{value!r} is not an absolute IRI [InvalidIRI]"
    bad = next((char for char in value if not _iri_character(char)), None)
    if bad is not None:
        return f"{value!r} contains {bad!r}, which an IRI cannot [InvalidUriChar]"
    if re.search(r"%(?![0-9A-Fa-f]{2})", value):
        return f"{value!r} has a malformed percent-escape [InvalidIRI]"
    return _scheme_problem(scheme[1].lower(), value)


def _iri_character(char: str) -> bool:
    if char.isascii():
        return char in URI_CHARACTERS
    return unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp")


def _scheme_problem(scheme: str, value: str) -> str | None:
    if scheme in DEFAULT_PORTS and not re.match(r"[A-Za-z]+://[^/?#:@]", value):
        return f"{value!r} has no host [InvalidFullLink]"
    if scheme == "tag":
        return _tag_problem(value)
    if value.lower().startswith("urn:uuid:") and not UUID_URN.fullmatch(value):
        return f"{value!r} is not a valid urn:uuid: URI [InvalidUUID]"
    if scheme == "urn" and not URN.fullmatch(value):
        return f"{value!r} is not a valid URN [InvalidURN]"
    if scheme not in IANA_SCHEMES:
        return f"{value!r}: {scheme!r} is not an IANA-registered scheme [SchemeNotIANARegistered]"
    return None


def _tag_problem(value: str) -> str | None:
    """RFC 4151: tag:authority,YYYY[-MM[-DD]]:specific, lower-case authority, real date."""
    match = TAG_URI.fullmatch(value)
    if match is not None and _is_calendar_date(match["date"]):
        return None
    return f"{value!r} is not an RFC 4151 tag: URI, tag:authority,YYYY[-MM[-DD]]:id [InvalidTAG]"


def _is_calendar_date(date: str) -> bool:
    year, month, day = [*map(int, date.split("-")), 1, 1][:3]
    try:
        datetime(year, month, day)
    except ValueError:
        return False
    return True


def _http_url_problem(value: str) -> str | None:
    """An absolute http or https URL (feedvalidator's httpURL)."""
    problem = _iri_problem(value)
    if problem is None and not value.lower().startswith(("http://", "https://")):
        problem = f"{value!r} is not an http(s) URL [InvalidURLAttribute]"
    return problem


def _canonical_uri(uri: str) -> str:
    """RFC 3986 syntax-based normal form, after feedvalidator's uri.canonicalForm."""
    match = URI_PARTS.fullmatch(unicodedata.normalize("NFC", uri))
    if match is None:
        return uri
    scheme = match["scheme"].lower()
    canonical = f"{scheme}:"
    path = match["path"]
    if match["authority"] is not None:
        canonical += "//" + _canonical_authority(scheme, match["authority"])
        path = _remove_dot_segments(path) or "/"
    return canonical + ESCAPE_OR_NON_ASCII.sub(_canonical_escape, path + match["tail"])


def _canonical_authority(scheme: str, authority: str) -> str:
    userinfo, at, host = authority.rpartition("@")
    host = host.lower()
    port = re.search(r":(\d*)$", host)
    if port and port[1] in ("", DEFAULT_PORTS.get(scheme)):
        host = host[: port.start()]
    return f"{userinfo}{at}{host}"


def _remove_dot_segments(path: str) -> str:
    output: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(output) > 1:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if path.endswith(("/.", "/..")):
        output.append("")
    return "/".join(output)


def _canonical_escape(match: re.Match[str]) -> str:
    """Upper-case escapes, unescaped unreserved characters, escaped non-ASCII."""
    token = match.group()
    if not token.startswith("%"):
        return quote(token, safe="")
    char = chr(int(token[1:], 16))
    return char if char in UNRESERVED else token.upper()


def _rfc3339_problem(value: str) -> str | None:
    """An RFC 3339 date-time with an explicit offset, that exists and is plausible."""
    if not RFC3339.fullmatch(value):
        return (
            f"{value!r} is not an RFC 3339 date-time with a time-zone offset [InvalidRFC3339Date]"
        )
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        return f"{value!r} is not a real date-time: {error} [InvalidRFC3339Date]"
    return _implausible_date_problem(value, moment)


def _rfc822_problem(value: str) -> str | None:
    """The RSS Profile's RFC 822 form: 'Wed, 02 Oct 2002 13:00:00 GMT' or with '+0300'."""
    match = RFC822.fullmatch(value)
    if match is None:
        return (
            f"{value!r} is not an RFC 822 date like 'Wed, 02 Oct 2002 13:00:00 GMT' "
            "(with day name, and GMT or a numeric zone) [InvalidRFC2822Date]"
        )
    if len(match["year"]) != 4:
        return f"{value!r}: the year must have four digits [InvalidRFC2822Date]"
    zone = match["zone"]
    if zone != "GMT" and (int(zone[1:3]) > 23 or int(zone[3:]) > 59):
        return f"{value!r}: {zone} is not a time-zone offset [InvalidRFC2822Date]"
    try:
        moment = parsedate_to_datetime(value)
    except ValueError as error:
        return f"{value!r} is not a real date: {error} [InvalidRFC2822Date]"
    if WEEKDAY_NAMES[moment.weekday()] != match["weekday"]:
        return f"{value!r}: that day is a {WEEKDAY_NAMES[moment.weekday()]} [IncorrectDOW]"
    return _implausible_date_problem(value, moment.replace(tzinfo=moment.tzinfo or UTC))


def _implausible_date_problem(value: str, moment: datetime) -> str | None:
    """feedvalidator's ImplausibleDate: before 1990, or more than ten minutes ahead."""
    if moment.year < 1990 or moment > datetime.now(UTC) + timedelta(minutes=10):
        return f"{value!r} is implausible: before 1990 or in the future [ImplausibleDate]"
    return None


def _w3cdtf_problem(value: str) -> str | None:
    return (
        None if W3CDTF.fullmatch(value) else f"{value!r} is not a W3C-DTF date [InvalidW3CDTFDate]"
    )


def _media_type_problem(value: str) -> str | None:
    return (
        None if MEDIA_TYPE.fullmatch(value) else f"{value!r} is not a media type [InvalidMIMEType]"
    )


def _length_problem(value: str) -> str | None:
    if re.fullmatch(r"\d+", value):
        return None
    if value == "-1":
        return "use 0, not -1, for an unknown length [UseZeroForUnknown]"
    return f"{value!r} is not a non-negative integer [InvalidNonNegativeInteger]"


def _blank_problem(value: str) -> str | None:
    return None if value.strip() else "must not be blank [NotBlank]"


# ===========================================================================
# HTML carried in feeds
# ===========================================================================


def _html_problems(html: str, *, absolute_links: bool, escaped_twice: bool = True) -> list[str]:
    """Problems in an HTML fragment, read as feedvalidator's HTMLValidator reads it.

    The fragment is parsed by html5lib, the parser feedvalidator uses in strict
    mode: any parse error is a problem, so plain text put where HTML belongs
    without being escaped (``a < b``, ``AT&T``) is caught, and every element
    must be in the allowlist. ``absolute_links`` requires absolute a@href and
    img@src; ``escaped_twice`` looks for text that still reads as markup after
    one decoding (off where that text is the publisher's plain text, escaped once).
    """
    parser = HTMLParser(namespaceHTMLElements=False)
    fragment = parser.parseFragment(html)
    problems = [_html_syntax_problem(parser.errors)] if parser.errors else []
    if "<?import" in html.lower():
        problems.append("<?import> processing instruction [SecurityRisk]")
    for element in fragment.iter():
        if element is fragment or not isinstance(element.tag, str):  # the root, or a comment
            continue
        attrs = [(_html_name(name), value) for name, value in element.attrib.items()]
        problems += _html_element_problems(
            _html_name(element.tag), attrs, absolute_links=absolute_links
        )
    if escaped_twice:
        problems += [
            f"HTML escaped twice: {escaped!r} shows as text [NotHtml]"
            for text in _html_text(fragment)
            if (escaped := _escaped_markup(text))
        ]
    return problems


def _html_syntax_problem(errors: list[tuple[tuple[int, int], str, dict[str, object]]]) -> str:
    """The first parse error (where feedvalidator's strict parser stops), and how many there are."""
    (line, column), code, details = errors[0]
    message = HTML5_MESSAGES.get(code, code) % details
    more = f"; {len(errors)} errors in all" if len(errors) > 1 else ""
    return f"invalid HTML at {line}:{column}: {message} ({code}{more}) [NotHtml]"


def _html_name(name: str) -> str:
    """An element or attribute name as written: svg, math and xlink lose their namespace URI."""
    namespace, _, local = name.rpartition("}")
    return f"xlink:{local}" if namespace.endswith("/xlink") else local


def _html_text(fragment: ElementTree.Element) -> Iterator[str]:
    """Every text node of a parsed fragment, decoded (comments' text is not text)."""
    if fragment.text:
        yield fragment.text
    for element in fragment.iter():
        if element is not fragment:
            if element.text and isinstance(element.tag, str):
                yield element.text
            if element.tail:
                yield element.tail


def _escaped_markup(text: str) -> str | None:
    """A tag or an entity reference in text that was already HTML-decoded once."""
    for match in ESCAPED_MARKUP.finditer(text):
        tag, entity = match.groups()
        if (tag and tag.lower() in HTML_ELEMENTS) or (entity and _is_entity(entity)):
            return match.group()
    return None


def _is_entity(name: str) -> bool:
    return name.startswith("#") or f"{name};" in html5


def _html_element_problems(
    tag: str, attrs: Iterable[tuple[str, str | None]], *, absolute_links: bool
) -> list[str]:
    if tag not in HTML_ELEMENTS:
        return [f"<{tag}> is not an HTML element [NotHtml]"]
    problems = [] if tag in SAFE_HTML_ELEMENTS else [f"<{tag}> is a security risk [SecurityRisk]"]
    for name, value in attrs:
        problem = _html_attribute_problem(tag, name, value or "", absolute_links=absolute_links)
        if problem:
            problems.append(problem)
    return problems


def _html_attribute_problem(tag: str, name: str, value: str, *, absolute_links: bool) -> str | None:
    if name.startswith("on"):
        return f"<{tag} {name}>: event-handler attribute [SecurityRiskAttr]"
    if name == "style" and DANGEROUS_CSS.search(value.lower()):
        return f"<{tag} style={value!r}>: dangerous CSS [DangerousStyleAttr]"
    if name not in HTML_URL_ATTRIBUTES:
        return None
    if re.sub(r"[\x00-\x20]", "", value).lower().startswith(SCRIPT_SCHEMES):
        return f"<{tag} {name}={value!r}>: script URL [SecurityRisk]"
    if (
        absolute_links
        and (tag, name) in {("a", "href"), ("img", "src")}
        and not SCHEME.match(value)
    ):
        return f"<{tag} {name}={value!r}>: relative URL [ContainsRelRef]"
    return None


def _markup_in_text_problem(text: str, *, rss: bool) -> str | None:
    """feedvalidator's ContainsHTML (and the RSS Profile's CharacterData) for plain text."""
    end_tag = next((t for t in re.findall(r"</(\w+)>", text) if t.lower() in HTML_ELEMENTS), None)
    if end_tag:
        return f"plain text contains the HTML end tag </{end_tag}> [ContainsHTML]"
    for entity in re.findall(r"&(#?\w+)", text):
        if entity in name2codepoint or entity == "apos" or not entity.isalpha():
            return f"plain text contains the entity reference &{entity}; [ContainsHTML]"
    if rss and re.search(r"&#[x0-9]|<[/a-zA-Z]", text):
        return "plain text contains something that looks like markup [CharacterData]"
    return None


# ===========================================================================
# Atom
# ===========================================================================


@functools.cache
def _atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def _schema_problems(root: etree._Element) -> list[str]:
    schema = _atom_schema()
    if schema.validate(root):
        return []
    return [f"line {error.line}: {error.message} [RFC 4287 schema]" for error in schema.error_log]


def _atom(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _atom_feed_problems(feed: etree._Element, url: str | None) -> list[str]:
    """The rules that need more than one element: links, authors, duplicates."""
    entries = feed.findall(_atom("entry"))
    problems = _self_link_problems(feed, "application/atom+xml", url, type_required=False)
    problems += _atom_author_problems(feed, entries)
    problems += _atom_link_problems(feed, in_entry=False)
    problems += _duplicate_text_problems(feed, entries, _atom("id"), "DuplicateEntries")
    problems += _duplicate_text_problems(feed, entries, _atom("updated"), "DuplicateUpdated")
    for entry in entries:
        problems += _atom_entry_problems(entry)
        problems += _atom_link_problems(entry, in_entry=True)
    for source in feed.iter(_atom("source")):
        problems += _atom_link_problems(source, in_entry=False)
    return problems


def _atom_author_problems(feed: etree._Element, entries: list[etree._Element]) -> list[str]:
    """RFC 4287 4.1.1: the feed has an author, or else every entry has one."""
    if feed.find(_atom("author")) is not None:
        return []
    return [
        f"{_where(entry)}: no atom:author here nor on the feed [MissingElement]"
        for entry in entries
        if entry.find(_atom("author")) is None
        and entry.find(f"{_atom('source')}/{_atom('author')}") is None
    ]


def _atom_entry_problems(entry: etree._Element) -> list[str]:
    """Content, or else a summary and an alternate link; non-text content needs a summary."""
    content = entry.find(_atom("content"))
    has_summary = entry.find(_atom("summary")) is not None
    where = _where(entry)
    if content is not None:
        if has_summary or (content.get("src") is None and _textual(content.get("type", "text"))):
            return []
        return [f"{where}: non-text content needs a summary [MissingSummary]"]
    problems = []
    if not has_summary:
        problems.append(f"{where}: no content and no summary [MissingTextualContent]")
    if not any(_rel(link) == "alternate" for link in entry.findall(_atom("link"))):
        problems.append(f"{where}: no content and no alternate link [MissingContentOrAlternate]")
    return problems


def _textual(media_type: str) -> bool:
    media_type = media_type.split(";")[0].strip().lower()
    return (
        media_type in ("text", "html", "xhtml")
        or media_type.startswith("text/")
        or media_type.endswith(("/xml", "+xml"))
    )


def _rel(link: etree._Element) -> str:
    """The link's relation; absent means alternate (RFC 4287 4.2.7.2)."""
    return link.get("rel", "alternate").removeprefix(IANA_RELATION_PREFIX)


def _atom_link_problems(owner: etree._Element, *, in_entry: bool) -> list[str]:
    """Each link, and at most one alternate per (type, hreflang) (DuplicateAtomLink)."""
    links = owner.findall(_atom("link"))
    problems = [problem for link in links for problem in _link_problems(link, in_entry=in_entry)]
    alternates = Counter(
        (link.get("type"), link.get("hreflang")) for link in links if _rel(link) == "alternate"
    )
    problems += [
        f"{_where(owner)}: {count} alternate links with type={media_type!r} "
        f"hreflang={hreflang!r} [DuplicateAtomLink]"
        for (media_type, hreflang), count in alternates.items()
        if count > 1
    ]
    return problems


def _link_problems(link: etree._Element, *, in_entry: bool) -> list[str]:
    """One atom:link, in Atom or in RSS (feedvalidator's link.validate)."""
    where = _where(link)
    rel = _rel(link)
    checks: dict[str, TextCheck] = {
        "href": _iri_problem,
        "rel": _relation_problem,
        "type": _media_type_problem,
        "hreflang": _language_problem,
        "length": _length_problem,
        "title": _blank_problem,
    }
    problems = [
        f"{where}/@{name}: {problem}"
        for name, check in checks.items()
        if name in link.attrib and (problem := check(rel if name == "rel" else link.get(name, "")))
    ]
    if "href" not in link.attrib:
        problems.append(f"{where}: missing href [MissingHref]")
    if rel == "enclosure" and "length" not in link.attrib:
        problems.append(f"{where}: an enclosure link needs a length [MissingAttribute]")
    if in_entry and rel in FEED_HISTORY_RELATIONS:
        problems.append(f"{where}: rel={rel!r} belongs on the feed [FeedHistoryRelInEntry]")
    if (link.text or "").strip() or len(link):
        problems.append(f"{where}: the link element has content [AtomLinkNotEmpty]")
    return problems


def _relation_problem(rel: str) -> str | None:
    if rel in REGISTERED_RELATIONS or (SCHEME.match(rel) and not _iri_problem(rel)):
        return None
    return f"{rel!r} is not a registered link relation [UnregisteredAtomLinkRel]"


def _self_link_problems(
    owner: etree._Element, media_type: str, url: str | None, *, type_required: bool
) -> list[str]:
    """Exactly one self link, of the feed's media type, at the URL the feed is served from."""
    links = [link for link in owner.findall(ATOM_LINK) if _rel(link) == "self"]
    where = _where(owner)
    if not links:
        return [f'{where}: no self link (atom:link rel="self") [MissingSelf]']
    problems = [f"{where}: {len(links)} self links [DuplicateAtomLink]"] if len(links) > 1 else []
    for link in links:
        if link.get("type", None if type_required else media_type) != media_type:
            problems.append(f"{_where(link)}: a self link needs type={media_type!r} [SelfNotAtom]")
        if url is not None and link.get("href") != url:
            problems.append(
                f"{_where(link)}: href {link.get('href')!r} is not the feed's URL {url!r} "
                "[SelfDoesntMatchLocation]"
            )
    return problems


def _duplicate_text_problems(
    parent: etree._Element, owners: list[etree._Element], tag: str, message: str
) -> list[str]:
    """The text of ``tag`` in each owner is unique among the owners."""
    counts = Counter(
        (owner.findtext(tag) or "").strip() for owner in owners if owner.find(tag) is not None
    )
    return [
        f"{_where(parent)}: {_name_of(tag)} {value!r} appears {count} times [{message}]"
        for value, count in counts.items()
        if count > 1
    ]


def _atom_element_problems(root: etree._Element) -> list[str]:
    """Checks of single Atom elements, wherever they are; no dir attribute anywhere."""
    problems = []
    for element in root.iter(f"{{{ATOM}}}*"):
        check = ATOM_ELEMENT_CHECKS.get(etree.QName(element).localname)
        if check is not None:
            problems += [f"{_where(element)}{problem}" for problem in check(element)]
        if "dir" in element.attrib:
            problems.append(
                f"{_where(element)}/@dir: not an Atom attribute; Atom uses xml:lang [RFC 4287]"
            )
    return problems


def _atom_id(element: etree._Element) -> list[str]:
    value = element.text or ""
    problem = _iri_problem(value)
    if problem:
        return [f": {problem}"]
    canonical = _canonical_uri(value)
    if canonical != value:
        return [f": {value!r} is not in canonical form {canonical!r} [NonCanonicalURI]"]
    return []


def _atom_date(element: etree._Element) -> list[str]:
    problem = _rfc3339_problem(element.text or "")
    return [f": {problem}"] if problem else []


def _atom_iri(element: etree._Element) -> list[str]:
    """icon and logo may not have white space around (nows); atom:uri is stripped."""
    value = element.text or ""
    problem = _iri_problem(value.strip() if element.tag == _atom("uri") else value)
    return [f": {problem}"] if problem else []


def _atom_iri_attribute(name: str) -> ElementCheck:
    def check(element: etree._Element) -> list[str]:
        problem = name in element.attrib and _iri_problem(element.get(name, ""))
        return [f"/@{name}: {problem}"] if problem else []

    return check


def _atom_person(element: etree._Element) -> list[str]:
    problems = []
    if not (element.findtext(_atom("name")) or "x").strip():
        problems.append("/name: must not be blank [NotBlank]")
    email = element.findtext(_atom("email"))
    if email is not None and not EMAIL.fullmatch(email.strip()):
        problems.append(f"/email: {email!r} is not an e-mail address [InvalidAddrSpec]")
    return problems


def _atom_category(element: etree._Element) -> list[str]:
    problems = _atom_iri_attribute("scheme")(element)
    if not element.get("term", "x").strip():
        problems.append("/@term: must not be blank [NotBlank]")
    return problems


def _atom_text_construct(element: etree._Element) -> list[str]:
    """title, subtitle, rights, summary, content (feedvalidator's textConstruct)."""
    if element.get("src") is not None:
        problems = _atom_iri_attribute("src")(element)
        if element.get("type") is None:
            problems.append(": out-of-line content needs a type [MissingTypeAttr]")
        return problems
    kind = element.get("type", "text").split(";")[0].strip().lower()
    if kind == "xhtml":
        return [f": {problem}" for problem in _xhtml_problems(element)]
    value = element.text or ""
    if not value.strip() and not len(element):
        return [": must not be blank [NotBlank]"]
    if kind in ("html", "text/html"):
        return [f": {problem}" for problem in _html_problems(value, absolute_links=False)]
    problem = kind == "text" and _markup_in_text_problem(value, rss=False)
    return [f": {problem.replace('[ContainsHTML]', '[ContainsUndeclaredHTML]')}"] if problem else []


def _xhtml_problems(construct: etree._Element) -> list[str]:
    """The same element and attribute rules as HTML, on the XHTML div's descendants."""
    problems = []
    for div in construct.findall(f"{{{XHTML}}}div"):
        for element in div.iterdescendants(etree.Element):
            qname = etree.QName(element)
            if qname.namespace != XHTML:
                problems.append(f"<{_name(element)}> is not XHTML [NotHtml]")
                continue
            attrs = [
                (_attribute_name(element, name), value) for name, value in element.attrib.items()
            ]
            problems += _html_element_problems(qname.localname, attrs, absolute_links=False)
    return problems


ATOM_ELEMENT_CHECKS: dict[str, ElementCheck] = {
    "id": _atom_id,
    "updated": _atom_date,
    "published": _atom_date,
    "icon": _atom_iri,
    "logo": _atom_iri,
    "uri": _atom_iri,
    "generator": _atom_iri_attribute("uri"),
    "author": _atom_person,
    "contributor": _atom_person,
    "category": _atom_category,
    "title": _atom_text_construct,
    "subtitle": _atom_text_construct,
    "rights": _atom_text_construct,
    "summary": _atom_text_construct,
    "content": _atom_text_construct,
}


# ===========================================================================
# RSS 2.0
# ===========================================================================


def _rss_root_problems(rss: etree._Element) -> list[str]:
    problems = []
    if rss.get("version") != "2.0":
        problems.append(f"/rss/@version: {rss.get('version')!r}, not '2.0' [InvalidRSSVersion]")
    channels = len(rss.findall("channel"))
    if channels != 1:
        problems.append(f"/rss: {channels} channel elements, not exactly one [MissingElement]")
    return problems


def _rss_tree_problems(root: etree._Element) -> list[str]:
    """Vocabulary, placement, attributes and stray text of every element; no dir anywhere."""
    problems = []
    for element in root.iter(etree.Element):
        if element is not root and _in_rss_core(element.getparent()):
            problems += _rss_placement_problems(element)
        if _in_rss_core(element):
            problems += _unexpected_attribute_problems(
                element, RSS_ATTRIBUTES.get(element.tag, frozenset())
            )
            problems += _rss_stray_text_problems(element)
        elif element.tag == ATOM_LINK:
            problems += _unexpected_attribute_problems(element, ATOM_LINK_ATTRIBUTES)
        if "dir" in element.attrib:
            problems.append(f"{_where(element)}/@dir: not an RSS attribute [UnexpectedAttribute]")
    return problems


def _in_rss_core(element: etree._Element) -> bool:
    """The element and its ancestors are in no namespace: RSS's own vocabulary."""
    return all("}" not in node.tag for node in (element, *element.iterancestors()))


def _rss_placement_problems(element: etree._Element) -> list[str]:
    """An element RSS 2.0 (or a checked extension) defines in this parent (UndefinedElement)."""
    parent = element.getparent().tag
    qname = etree.QName(element)
    if qname.namespace is None:
        allowed = element.tag in RSS_CHILDREN.get(parent, ())
    elif qname.namespace in RSS_EXTENSIONS:
        allowed = parent in RSS_EXTENSIONS[qname.namespace].get(qname.localname, ())
    else:
        allowed = parent in ("channel", "item")
    if allowed:
        return []
    return [f"{_where(element)}: {_name(element)} is not defined in {parent} [UndefinedElement]"]


def _unexpected_attribute_problems(element: etree._Element, allowed: frozenset[str]) -> list[str]:
    return [
        f"{_where(element)}/@{_attribute_name(element, name)}: not allowed [UnexpectedAttribute]"
        for name in element.attrib
        if name not in allowed and name not in XML_ATTRIBUTES and name != "dir"
    ]


def _rss_stray_text_problems(element: etree._Element) -> list[str]:
    """Containers and empty elements hold no text (UnexpectedText)."""
    if element.tag not in RSS_CHILDREN and element.tag not in RSS_EMPTY:
        return []
    texts = [element.text, *(child.tail for child in element)]
    if any(text and text.strip() for text in texts):
        return [f"{_where(element)}: text directly in {element.tag} [UnexpectedText]"]
    return []


def _rss_channel_problems(channel: etree._Element, url: str | None) -> list[str]:
    problems = _rss_cardinality_problems(channel, ("title", "link", "description"))
    problems += _rss_text_problems(channel, CHANNEL_TEXT_CHECKS)
    problems += _self_link_problems(channel, "application/rss+xml", url, type_required=True)
    for link in channel.findall(ATOM_LINK):
        problems += _link_problems(link, in_entry=False)
    problems += _misplaced_item_problems(channel)
    problems += _duplicate_text_problems(channel, channel.findall("item"), "guid", "DuplicateValue")
    for image in channel.findall("image"):
        problems += _rss_image_problems(image, channel)
    for cloud in channel.findall("cloud"):
        problems += _rss_cloud_problems(cloud)
    problems += [
        f"{_where(text_input)}: avoid textInput [AvoidTextInput]"
        for text_input in channel.findall("textInput")
    ]
    problems += _rss_skip_problems(channel)
    for item in channel.findall("item"):
        problems += _rss_item_problems(item)
    return problems


def _rss_cardinality_problems(element: etree._Element, required: Iterable[str]) -> list[str]:
    """Required children, children allowed once, and DuplicateSemantics."""
    counts = Counter(child.tag for child in element.iterchildren(etree.Element))
    where = _where(element)
    problems = [
        f"{where}: missing {name} [MissingElement]" for name in required if not counts[name]
    ]
    problems += [
        f"{where}: {counts[name]} {name} elements, at most one allowed [DuplicateElement]"
        for name in sorted(RSS_SINGLE.get(element.tag, ()))
        if counts[name] > 1
    ]
    problems += [
        f"{where}: both {core} and {_name_of(extension)}, which mean the same [DuplicateSemantics]"
        for core, extension in RSS_DUPLICATE_SEMANTICS.get(element.tag, ())
        if counts[core] and counts[extension]
    ]
    return problems


def _rss_text_problems(
    owner: etree._Element, checks: Mapping[str, tuple[TextCheck, ...]]
) -> list[str]:
    """Run the checks on each child's text, stripped as feedvalidator strips it."""
    return [
        f"{_where(element)}: {problem}"
        for element in owner.iterchildren(*checks)
        for check in checks[element.tag]
        if (problem := check((element.text or "").strip()))
    ]


def _rss_plain_text(value: str) -> str | None:
    return _markup_in_text_problem(value, rss=True)


def _rss_html(value: str) -> str | None:
    return "; ".join(_html_problems(value, absolute_links=True)) or None


def _rss_description(value: str) -> str | None:
    """An item's description: HTML, though not looked at for markup escaped twice.

    A description is often plain text escaped once (nashra's always is), and plain
    text may well read as markup once decoded (the text ``<b>``): that is what the
    publisher wrote, not an escape done twice.
    """
    return "; ".join(_html_problems(value, absolute_links=True, escaped_twice=False)) or None


def _ttl_problem(value: str) -> str | None:
    """feedvalidator checks ttl as a positive integer (channel.do_ttl)."""
    if re.fullmatch(r"\d+", value) and int(value) > 0:
        return None
    return f"{value!r} is not a positive integer of minutes [InvalidPositiveInteger]"


def _contact_problem(value: str) -> str | None:
    """RSS 2.0: an e-mail address; the RSS Profile: written 'address (Real Name)'."""
    match = EMAIL.search(value)
    if match is None:
        return f"{value!r} contains no e-mail address [InvalidContact]"
    if not re.fullmatch(rf"{re.escape(match.group())} \([^()]*\S[^()]*\)", value):
        return f"{value!r} is not written 'address (Real Name)' [MissingRealName]"
    return None


DC_TEXT_CHECKS: dict[str, tuple[TextCheck, ...]] = {
    f"{{{DC}}}language": (_language_problem,),
    f"{{{DC}}}creator": (_blank_problem,),
    f"{{{DC}}}date": (_w3cdtf_problem,),
}
CHANNEL_TEXT_CHECKS: dict[str, tuple[TextCheck, ...]] = DC_TEXT_CHECKS | {
    "title": (_blank_problem, _rss_plain_text),
    "link": (_http_url_problem,),
    "description": (_blank_problem, _rss_plain_text),
    "language": (_language_problem,),
    "copyright": (_rss_plain_text,),
    "category": (_blank_problem, _rss_plain_text),
    "pubDate": (_rfc822_problem,),
    "lastBuildDate": (_rfc822_problem,),
    "ttl": (_ttl_problem,),
    "docs": (_iri_problem,),
    "managingEditor": (_contact_problem,),
    "webMaster": (_contact_problem,),
}
ITEM_TEXT_CHECKS: dict[str, tuple[TextCheck, ...]] = DC_TEXT_CHECKS | {
    "title": (_blank_problem, _rss_plain_text),
    "link": (_iri_problem,),
    "description": (_rss_description,),
    CONTENT_ENCODED: (_rss_html,),
    "author": (_contact_problem,),
    "category": (_blank_problem, _rss_plain_text),
    "comments": (_iri_problem,),
    "pubDate": (_rfc822_problem,),
    "source": (_rss_plain_text,),
}


def _misplaced_item_problems(channel: etree._Element) -> list[str]:
    """The RSS Profile puts every channel element before the first item (MisplacedItem)."""
    first = channel.find("item")
    if first is None:
        return []
    return [
        f"{_where(element)}: channel element after the first item [MisplacedItem]"
        for element in first.itersiblings(etree.Element)
        if element.tag != "item" and (_in_rss_core(element) or element.tag == ATOM_LINK)
    ]


def _rss_image_problems(image: etree._Element, channel: etree._Element) -> list[str]:
    problems = _rss_cardinality_problems(image, ("url", "title", "link"))
    problems += _rss_text_problems(
        image,
        {"url": (_http_url_problem,), "link": (_http_url_problem,), "title": (_rss_plain_text,)},
    )
    for name, message in (("link", "ImageLinkDoesntMatch"), ("title", "ImageTitleDoesntMatch")):
        if image.findtext(name) not in (None, channel.findtext(name)):
            problems.append(
                f"{_where(image)}/{name}: differs from the channel's {name} [{message}]"
            )
    for name, limit in (("width", 144), ("height", 400)):
        value = image.findtext(name)
        if value is not None and not (value.isdigit() and 0 < int(value) <= limit):
            problems.append(
                f"{_where(image)}/{name}: {value!r} is not an integer 1..{limit} [InvalidInteger]"
            )
    return problems


def _rss_cloud_problems(cloud: etree._Element) -> list[str]:
    where = _where(cloud)
    problems = [
        f"{where}: missing {name} attribute [MissingAttribute]"
        for name in sorted(RSS_ATTRIBUTES["cloud"])
        if cloud.get(name) is None
    ]
    port = cloud.get("port", "1")
    if not (port.isdigit() and int(port) > 0):
        problems.append(
            f"{where}/@port: {port!r} is not a positive integer [InvalidIntegerAttribute]"
        )
    if cloud.get("protocol", "soap") not in CLOUD_PROTOCOLS:
        problems.append(f"{where}/@protocol: not xml-rpc, soap or http-post [InvalidValue]")
    return problems


def _rss_skip_problems(channel: etree._Element) -> list[str]:
    """skipHours hours 0..23 and skipDays day names, each listed once."""
    problems = []
    for path, check in (("skipHours/hour", _hour_problem), ("skipDays/day", _day_problem)):
        values = [element.text or "" for element in channel.findall(path)]
        problems += [
            f"{_where(channel)}/{path}: {problem}" for value in values if (problem := check(value))
        ]
        problems += [
            f"{_where(channel)}/{path}: {value!r} appears {count} times [DuplicateValue]"
            for value, count in Counter(values).items()
            if count > 1
        ]
    return problems


def _hour_problem(value: str) -> str | None:
    if value == "24":
        return "use 0 for midnight, not 24 [UseZeroForMidnight]"
    return (
        None
        if value.isdigit() and int(value) <= 23
        else f"{value!r} is not an hour 0..23 [InvalidHour]"
    )


def _day_problem(value: str) -> str | None:
    return None if value in DAYS else f"{value!r} is not a day name such as 'Monday' [InvalidDay]"


def _rss_item_problems(item: etree._Element) -> list[str]:
    where = _where(item)
    problems = _rss_cardinality_problems(item, ())
    if item.find("title") is None and item.find("description") is None:
        problems.append(
            f"{where}: needs a title or a description [ItemMustContainTitleOrDescription]"
        )
    problems += _rss_text_problems(item, ITEM_TEXT_CHECKS)
    problems += _rss_guid_problems(item)
    enclosures = item.findall("enclosure")
    if len(enclosures) > 1:
        problems.append(
            f"{where}: {len(enclosures)} enclosures; readers take one [DuplicateEnclosure]"
        )
    for enclosure in enclosures:
        problems += _rss_enclosure_problems(enclosure)
    for source in item.findall("source"):
        problems += _rss_source_problems(source)
    for encoded in item.findall(CONTENT_ENCODED):
        if not any(
            sibling.tag == "description" for sibling in encoded.itersiblings(preceding=True)
        ):
            problems.append(
                f"{_where(encoded)}: needs a description before it [NeedDescriptionBeforeContent]"
            )
    for link in item.findall(ATOM_LINK):
        problems += _link_problems(link, in_entry=True)
    return problems


def _rss_guid_problems(item: etree._Element) -> list[str]:
    """A guid; a permalink one (the default) is an absolute URL."""
    guid = item.find("guid")
    if guid is None:
        return [f"{_where(item)}: no guid [MissingGuid]"]
    where = _where(guid)
    value = (guid.text or "").strip()
    permalink = guid.get("isPermaLink", "true")
    problem = None
    if permalink not in ("true", "false"):
        return [
            f"{where}/@isPermaLink: {permalink!r}, not 'true' or 'false' [InvalidBooleanAttribute]"
        ]
    if permalink == "false":
        problem = _blank_problem(value)
        if re.fullmatch(r"\d{1,8}", value):
            problem = f"{value!r} is not unique enough [NotSufficientlyUnique]"
    elif _http_url_problem(value):
        problem = f'{value!r} is not an http(s) URL: say isPermaLink="false" [InvalidHttpGUID]'
    return [f"{where}: {problem}"] if problem else []


def _rss_enclosure_problems(enclosure: etree._Element) -> list[str]:
    """url (http), length (non-negative integer) and type (media type), all required."""
    where = _where(enclosure)
    checks: dict[str, TextCheck] = {
        "url": _http_url_problem,
        "length": _length_problem,
        "type": _media_type_problem,
    }
    problems = []
    for name, check in checks.items():
        value = enclosure.get(name)
        problem = "missing [MissingAttribute]" if value is None else check(value)
        if problem:
            problems.append(f"{where}/@{name}: {problem}")
    return problems


def _rss_source_problems(source: etree._Element) -> list[str]:
    url = source.get("url")
    problem = "missing [MissingAttribute]" if url is None else _iri_problem(url)
    return [f"{_where(source)}/@url: {problem}"] if problem else []


# ===========================================================================
# Locations in messages
# ===========================================================================


def _name(element: etree._Element) -> str:
    local = etree.QName(element).localname
    return f"{element.prefix}:{local}" if element.prefix else local


def _name_of(tag: str) -> str:
    qname = etree.QName(tag)
    prefix = KNOWN_NAMESPACES.get(qname.namespace or "")
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def _attribute_name(element: etree._Element, name: str) -> str:
    qname = etree.QName(name)
    if qname.namespace is None:
        return name
    prefix = next((p for p, uri in element.nsmap.items() if p and uri == qname.namespace), None)
    return f"{prefix or KNOWN_NAMESPACES.get(qname.namespace, qname.namespace)}:{qname.localname}"


def _where(element: etree._Element) -> str:
    """An XPath-like location such as /feed/entry[2]/link[1]."""
    steps = []
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        step = _name(node)
        if parent is not None:
            twins = [sibling for sibling in parent if sibling.tag == node.tag]
            if len(twins) > 1:
                step += f"[{twins.index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps))
