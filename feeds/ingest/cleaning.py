"""Make untrusted article text safe, once, at the edge.

Publishers' exports are untrusted: titles carry stray markup, bodies carry
scripts and ``javascript:`` links, and anything may carry characters XML 1.0
cannot represent or bidi controls that reverse the text around them in a
reader. Every field is cleaned exactly once, when it is imported, and stored
clean. Everything downstream (the store, the RSS and Atom writers, the HTTP
layer) can then treat stored text as safe: no second sanitizer that could
disagree with this one, no double escaping, no per-request cost, and a
problem is reported once, against the record that caused it, as a
:class:`CleaningWarning`.

What clean means:

* Only characters an XML 1.0 serializer accepts and strict feed validators do
  not flag: C0 and C1 controls (except TAB and LF), DEL, lone surrogates and
  Unicode noncharacters are removed, also when written as character
  references, and CR / CRLF become LF.
* Bidi embeddings, overrides and isolates are closed within their field, so
  no field can reverse the text around it.
* Plain-text fields carry no markup at all; HTML fields carry only an
  allowlist of article markup, with absolute http(s)/mailto URLs.

Cleaning is deterministic and HTML cleaning is idempotent, so re-importing
stored data changes nothing. Plain text is idempotent too unless its output
contains text that reads as markup (``&lt;b&gt;`` is cleaned to the text
``<b>``, which is a tag the next time round): plain-text input is HTML-ish,
its output is text.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from urllib.parse import urljoin, urlsplit

import nh3


@dataclass(frozen=True, slots=True)
class CleaningWarning:
    """Something cleaning removed from a field; the caller adds the record it belongs to."""

    field: str
    message: str


# --- Characters XML 1.0 forbids (and validators flag) ------------------------------------------

#: Planes 1-16 less their last two code points, which are noncharacters.
_ASTRAL_PLANES = "".join(
    f"\\U{plane << 16:08X}-\\U{plane << 16 | 0xFFFD:08X}" for plane in range(1, 17)
)
#: Anything but XML 1.0's Char production less DEL, the C1 controls and the noncharacters:
#: C0 controls except TAB, LF, CR; DEL and C1 controls; surrogates; U+FDD0-U+FDEF; U+xxFFFE-F.
_FORBIDDEN_CHAR = re.compile(
    rf"[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd{_ASTRAL_PLANES}]"
)
#: A numeric character reference as HTML reads it (the semicolon is optional).
_CHAR_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
#: References in 128-159 that HTML decodes to Windows-1252 characters (``&#150;`` is an en dash).
_CP1252_REFERENCES = frozenset(range(0x80, 0xA0)) - {0x81, 0x8D, 0x8F, 0x90, 0x9D}
#: Stands for a reference beyond U+10FFFF, however large.
_BEYOND_UNICODE = 0x110000
#: A noncharacter, so never in text that got past the first step, left where a forbidden
#: reference was and deleted after sanitizing. Deleting the reference outright could glue its
#: neighbours into a new one (``&#&#0;0;``); a browser reads them apart, and so does nh3.
_REMOVED = "\ufdd0"
#: How many distinct code points a warning names.
_MAX_NAMED = 10


def _remove_forbidden(value: str, field: str, warnings: list[CleaningWarning]) -> str:
    """``value`` without forbidden characters and with forbidden references marked ``_REMOVED``."""
    if value.isprintable() and "&#" not in value:
        return value  # the common case, quickly: no control, surrogate, noncharacter or CR
    removed: Counter[int] = Counter()
    text = value
    if _FORBIDDEN_CHAR.search(value) is not None:
        removed.update(map(ord, _FORBIDDEN_CHAR.findall(value)))
        text = _FORBIDDEN_CHAR.sub("", value)
    if "&#" in text:
        text = _CHAR_REFERENCE.sub(partial(_mark_forbidden_reference, removed), text)
    if removed:
        warnings.append(CleaningWarning(field, _describe_removed(removed)))
    return _normalize_newlines(text)


def _mark_forbidden_reference(removed: Counter[int], match: re.Match[str]) -> str:
    hex_digits, decimal_digits = match.groups()
    digits, base = (hex_digits, 16) if hex_digits is not None else (decimal_digits, 10)
    code_point = _code_point(digits, base)
    if not _reference_is_forbidden(code_point):
        return match[0]
    removed[code_point] += 1
    return _REMOVED


def _reference_is_forbidden(code_point: int) -> bool:
    if code_point in _CP1252_REFERENCES:
        return False
    return code_point == _BEYOND_UNICODE or _FORBIDDEN_CHAR.match(chr(code_point)) is not None


def _code_point(digits: str, base: int) -> int:
    """The referenced code point, or ``_BEYOND_UNICODE`` (without parsing a million digits)."""
    significant = digits.lstrip("0")
    if len(significant) > 7:
        return _BEYOND_UNICODE
    return min(int(significant or "0", base), _BEYOND_UNICODE)


def _describe_removed(removed: Counter[int]) -> str:
    count = sum(removed.values())
    names = [
        "a reference beyond U+10FFFF" if code_point == _BEYOND_UNICODE else f"U+{code_point:04X}"
        for code_point in sorted(removed)
    ]
    if len(names) > _MAX_NAMED:
        names[_MAX_NAMED:] = [f"and {len(names) - _MAX_NAMED} more"]
    noun = "character" if count == 1 else "characters"
    return f"removed {count} {noun} not allowed in XML ({', '.join(names)})"


def _normalize_newlines(text: str) -> str:
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- Bidi controls ------------------------------------------------------------------------------

_PDF = "\u202c"  # POP DIRECTIONAL FORMATTING closes an embedding or override
_PDI = "\u2069"  # POP DIRECTIONAL ISOLATE closes an isolate
_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")  # LRE, RLE, LRO, RLO
_ISOLATES = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _balance_bidi(text: str) -> str:
    """``text`` with every embedding, override and isolate closed (UAX #9 matching).

    An unmatched PDF or PDI is dropped; a PDI also closes the embeddings opened
    after its isolate; closers still missing at the end are appended,
    innermost first. Balanced text comes back unchanged.
    """
    if not _has_bidi_control(text):
        return text
    matcher = _BidiMatcher()
    balanced = _BIDI_CONTROL.sub(matcher, text)
    return balanced + "".join(reversed(matcher.closers))


def _has_bidi_control(text: str) -> bool:
    """``_BIDI_CONTROL.search(text)``, twice as fast: a substring test per control."""
    return (
        "\u202a" in text or "\u202b" in text or "\u202c" in text or "\u202d" in text
        or "\u202e" in text or "\u2066" in text or "\u2067" in text or "\u2068" in text
        or "\u2069" in text
    )  # fmt: skip


class _BidiMatcher:
    """An ``re.sub`` callback matching bidi controls left to right; it keeps what is open."""

    def __init__(self) -> None:
        self.closers: list[str] = []  # the closer each open control needs, innermost last
        self.isolates = 0  # how many of those closers are PDIs

    def __call__(self, match: re.Match[str]) -> str:
        control = match[0]
        if control in _EMBEDDINGS:
            self.closers.append(_PDF)
        elif control in _ISOLATES:
            self.closers.append(_PDI)
            self.isolates += 1
        elif control == _PDF:
            if not self.closers or self.closers[-1] != _PDF:
                return ""
            self.closers.pop()
        else:
            if not self.isolates:
                return ""
            while self.closers.pop() != _PDI:
                pass
            self.isolates -= 1
        return control


# --- Plain text ---------------------------------------------------------------------------------

#: Elements dropped together with their content: code, inert templates, raw-text fallbacks that
#: would read as literal markup, and foreign (SVG, MathML) content, which is no prose either and
#: nests in ways the HTML parser would rebuild differently once unwrapped.
_DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "iframe", "noscript", "noembed", "noframes", "svg", "math"}
)
_STRIP_ALL_TAGS = nh3.Cleaner(tags=set(), clean_content_tags=_DROPPED_WITH_CONTENT)
#: Whitespace that collapses in a single-line field. No-break and other typographic spaces are
#: deliberate and stay.
_SPACES = " \t\n\u2028\u2029"
_SPACE_RUN = re.compile(f"[{_SPACES}]+")
#: Text without these has no markup and no reference: nh3 would hand it back unchanged.
_MARKUP_OR_REFERENCE = re.compile("[<&>]")


def clean_text(
    value: str, field: str, warnings: list[CleaningWarning], *, single_line: bool = True
) -> str:
    """Plain-text field (title, author, summary): markup stripped, references decoded.

    A single-line field has its whitespace runs collapsed to one space; a
    multi-line one keeps its line breaks. Both are stripped.
    """
    text = _remove_forbidden(value, field, warnings)
    if _MARKUP_OR_REFERENCE.search(text) is not None:
        text = html.unescape(_STRIP_ALL_TAGS.clean(text))
    text = text.replace(_REMOVED, "")
    text = _balance_bidi(_normalize_newlines(text))
    if single_line:
        if "  " in text or not text.isprintable():  # else no run to collapse: only single spaces
            text = _SPACE_RUN.sub(" ", text)
        return text.strip(" ")
    return text.strip(_SPACES)


# --- HTML ---------------------------------------------------------------------------------------

_TAGS = frozenset(
    {
        "p", "br", "a", "strong", "em", "b", "i", "u", "s", "sub", "sup", "blockquote", "q",
        "cite", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "img",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "pre", "code", "hr",
        "abbr", "time", "span", "div", "bdi", "small", "mark", "del", "ins", "dl", "dt", "dd",
    }
)  # fmt: skip
_ATTRIBUTES = {
    "*": {"lang"},
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: A ``pre`` start tag followed by a line feed. The parser drops a line feed right after ``<pre>``
#: and nh3's serializer does not write it back, so each pass would eat one leading blank line.
_PRE_LINE_FEED = re.compile(r"(<pre(?: [^>]*)?>)\n")
#: nh3 unwraps elements it does not allow, which can leave nesting the HTML parser builds
#: differently on the next parse (``<h2><section><h3>`` becomes ``<h2><h3>``), so the output is
#: sanitized again until it is stable, a fixed point. Two passes are the rule; among 400,000
#: random tag soups none needed more than four.
_MAX_PASSES = 6


def clean_html(value: str, base_url: str, field: str, warnings: list[CleaningWarning]) -> str:
    """HTML body field (content); ``base_url`` is the article's absolute permalink.

    Only the allowlisted article markup survives; relative URLs are made
    absolute against ``base_url`` and any URL that is not http, https or
    mailto is dropped.
    """
    text = _remove_forbidden(value, field, warnings)
    cleaning = _Pass(base_url)
    token = _PASS.set(cleaning)
    try:
        for _ in range(_MAX_PASSES):
            cleaning.start()
            cleaned = _sanitize_once(text)
            if cleaned == text:
                break
            if cleaning.only_rewrote(text, cleaned):
                return cleaned
            text = cleaned
    finally:
        _PASS.reset(token)
    return text


def _sanitize_once(text: str) -> str:
    cleaned = _balance_bidi(_normalize_newlines(_CLEANER.clean(text).replace(_REMOVED, "")))
    if "<pre" not in cleaned:
        return cleaned
    return _PRE_LINE_FEED.sub("\\1\n\n", cleaned)


class _Pass:
    """One field's cleaning: the base its URLs resolve against, and what a pass rewrote.

    Most articles with links change in the first pass only by the values
    the attribute callback rewrote (a relative link made absolute) and by
    the ``rel`` nh3 gives every link. Such a pass is a fixed point already,
    and the second pass that would prove it (a whole parse and
    serialization, and the callback again) is skipped: when the output is
    the input with just those values replaced, as the serializer writes
    them, and the ``rel`` added, the two parse to the same tree but for
    those attributes, which the next pass would give the same values (the
    callback resolves an absolute URL, or balances balanced text, to
    itself; nh3 replaces a link's ``rel`` by the same one, last); so it
    would give the same output. Anything else nh3 changed (an element
    removed, an attribute dropped, text escaped otherwise) leaves a
    difference, and the next pass runs.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.rewrites: dict[str, str] = {}
        self.dropped = False

    def start(self) -> None:
        self.rewrites.clear()
        self.dropped = False

    def rewrote(self, value: str, result: str | None) -> None:
        if result is None:
            self.dropped = True
        elif result != value:
            self.rewrites[value] = result

    def only_rewrote(self, before: str, after: str) -> bool:
        """Whether ``after`` is ``before`` with this pass's rewritten values swapped in."""
        if self.dropped or not self.rewrites:
            return False
        swapped = {_attribute(value): _attribute(result) for value, result in self.rewrites.items()}
        expected = _QUOTED_VALUE.sub(lambda quoted: _swap(quoted, swapped), before)
        return _LINK_START.sub(_with_link_rel, expected) == after


#: A double-quoted attribute value (or text that reads like one: a swap there leaves a
#: difference). One pass over the field whatever the number of links: a ``replace`` per
#: rewritten value made a field of thousands of links cost seconds.
_QUOTED_VALUE = re.compile(r'="([^"]*)"')


def _swap(quoted: re.Match[str], swapped: dict[str, str]) -> str:
    value = quoted[1]
    return f'="{swapped.get(value, value)}"'


def _attribute(value: str) -> str:
    """An attribute value as the serializer writes it between double quotes."""
    return value.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace('"', "&quot;")


#: What nh3 puts last in every ``<a>`` start tag; a start tag as the serializer writes one.
_LINK_REL = "noopener noreferrer"
_LINK_REL_ATTRIBUTE = f' rel="{_LINK_REL}">'
_LINK_START = re.compile(r"<a(?: [^<>]*)?>")


def _with_link_rel(start_tag: re.Match[str]) -> str:
    tag = start_tag[0]
    return tag if tag.endswith(_LINK_REL_ATTRIBUTE) else tag[:-1] + _LINK_REL_ATTRIBUTE


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    """nh3's attribute callback: balance bidi controls, make URLs absolute."""
    cleaning = _PASS.get()
    balanced = _balance_bidi(value.replace(_REMOVED, ""))
    result = (
        _absolute_url(balanced, cleaning.base_url) if attribute in _URL_ATTRIBUTES else balanced
    )
    cleaning.rewrote(value, result)
    return result


#: The field being cleaned, for the one shared cleaner's callback (building an
#: ``nh3.Cleaner`` costs more than a cleaning pass, so it is built once).
_PASS: ContextVar[_Pass] = ContextVar("cleaning")
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes=_URL_SCHEMES,
    link_rel=_LINK_REL,
)


#: The scheme and host of a base URL made of characters ``urljoin`` reads as they are: no
#: whitespace, controls, brackets, userinfo or percent-escapes; a lowercase scheme.
_PLAIN_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?=[/?#]|\Z)")
#: A root-relative path of unreserved and sub-delimiter characters without ``;`` (parameters),
#: without a ``.`` after any ``/`` (so no dot segment) and not ``//`` (a host): ``urljoin``
#: resolves it against a plain base to that base's origin followed by the path, unchanged.
_PLAIN_PATH = re.compile(r"(?!//)(?:/(?!\.)[A-Za-z0-9_~!$&'()*+,=:@%.-]*)+")
#: An absolute http(s) URL of the same characters (dots allowed): against a plain base,
#: ``urljoin`` hands it back unchanged.
_PLAIN_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9_~!$&'()*+,=:@%./-]*)?"
)


def _absolute_url(url: str, base_url: str) -> str | None:
    """``url`` resolved against ``base_url``, or None unless it is http, https or mailto.

    The common shapes, a root-relative path or an absolute URL of plain
    characters against a plain base, take a shortcut to exactly what
    ``urljoin`` gives (it costs several times a cleaning pass); anything
    else goes through ``urljoin``.
    """
    origin = _PLAIN_ORIGIN.match(base_url)
    if origin is not None:
        if _PLAIN_PATH.fullmatch(url):
            return origin[0] + url
        if _PLAIN_ABSOLUTE.fullmatch(url):
            return url
    try:
        absolute = urljoin(base_url, url)
        scheme = urlsplit(absolute).scheme
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    return absolute if scheme in _URL_SCHEMES else None
