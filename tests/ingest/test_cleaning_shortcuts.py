"""Tests of cleaning's shortcuts: each gives exactly what the long way gives.

Cleaning runs for every imported record, so it takes shortcuts for the
common cases: resolving a link with ``urljoin`` costs more than a sanitizing
pass, so plain root-relative and absolute URLs skip it; text Python deems
printable skips the search for forbidden characters. A shortcut's contract
is to change no output at all, so these tests compare it with the long way.
"""

from __future__ import annotations

import itertools
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.ingest.cleaning import (
    _FORBIDDEN_CHAR,
    _SPACES,
    CleaningWarning,
    _absolute_url,
    clean_html,
    clean_text,
)


def by_urljoin(url: str, base_url: str) -> str | None:
    """The rule the shortcut must agree with: urljoin, then only http, https and mailto."""
    try:
        absolute = urljoin(base_url, url)
        scheme = urlsplit(absolute).scheme
    except ValueError:
        return None
    return absolute if scheme in {"http", "https", "mailto"} else None


BASES = [
    "https://news.example/2026/10/01/a-1/",
    "https://news.example/2026/10/01/a-1",
    "http://news.example",
    "https://news.example?x=1",
    "https://news.example#top",
    "https://news.example:8443/a/",
    "https://news.example:/a/",
    "https://NEWS.Example/a/",
    "HTTPS://news.example/a/",
    "Https://news.example/a/",
    "https://user:pw@news.example/a/",
    "https://@news.example/a/",
    "https://[::1]/a/",
    "https://[::1/a/",
    "https://news.example]/a/",
    "https://news.example\\a/",
    "https://news.example;p/a/",
    "https://news.example%2F/a/",
    "https://news.éxample/a/",
    "https://news.example\t/a/",
    "https://news.ex\tample/a/",
    " https://news.example/a/",
    "\x00https://news.example/a/",
    "https://news.example/a b/",
    "https://news.example/a/;p?q#f",
    "ftp://news.example/a/",
    "mailto:desk@news.example",
    "//news.example/a/",
    "/relative/",
    "",
]

URLS = [
    "/", "/x", "/x/", "/2026/10/x/", "/a//b", "/a/", "//cdn.example/a.jpg", "///x", "/.", "/..",
    "/./x", "/../x", "/a/./b", "/a/../b", "/a/.", "/a/..", "/.well-known/x", "/a.b/c.d",
    "/a;b", "/a;b/c", "/;", "/a?", "/a?q", "/a#", "/a#f", "/a?#", "?q", "#f", "", "x", "x/y",
    "../x", "./x", ".", "..", "/a\\b", "\\a", "/\\a", "/a b", " /a", "/a ", "\t/a", "/a\tb",
    "/a\nb", "/a\rb", "\x00/a", "/a\x00", "/a\x7f", "/é", "/%C3%A9", "/%2e%2e/x", "/%", "/a%zz",
    "/a:b", "/a@b", "/~user/", "/a!$&'()*+,=b", "/[x]", "/a|b", "/a^b", "/a`b", "/a{b}",
    "/a<b>", '/a"b', "https://other.example/", "https://other.example", "http://other.example/a",
    "https://other.example/a/../b", "https://other.example/./a", "https://other.example/a;b",
    "https://other.example/a?", "https://other.example/a#", "https://other.example/a?q#f",
    "HTTPS://other.example/", "Https://other.example/", "https://OTHER.example/A",
    "https://other.example:8080/a", "https://other.example:/a", "https://other.example:x/a",
    "https://user@other.example/", "https://user:pw@other.example/", "https://[::1]/a",
    "https://[::1/a", "https://::1]/a", "https://[v1.x]/a", "https://other.example\\a",
    "https://other.éxample/", "https://other.example/é", "https://other.example/a b",
    "https:other.example/a", "https:/a", "https:///a", "https://", "http://",
    "https://other.example//a", "https://other.example/a//b", "mailto:desk@news.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,x",
    "ftp://other.example/", "https://other.example/a%2F..", "https://other.example.",
    "https://-other-.example/", "https://other.example/\x00", "//other.example", "//",
]  # fmt: skip


def test_the_shortcut_agrees_with_urljoin_on_tricky_urls_and_bases() -> None:
    for base_url, url in itertools.product(BASES, URLS):
        assert _absolute_url(url, base_url) == by_urljoin(url, base_url), (base_url, url)


PIECES = st.sampled_from(
    [
        "/", "//", "/.", "/..", ".", "..", ";", "?", "#", "\\", ":", "@", "[", "]", "%", "%2e",
        "%2F", " ", "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "é", "\u202e", "https:", "http:",
        "HTTP:", "mailto:", "//other.example", "a", "Z", "0", "-", "_", "~", "!", "$", "&", "'",
        "(", "*", "+", ",", "=",
    ]
)  # fmt: skip
GENERATED_URL = st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=12).map("".join)
#: Paths and absolute URLs of plain characters, the shapes the shortcut takes.
PLAIN = st.text(alphabet="abcXYZ019-._~!$&'()*+,=:@%/", max_size=20)
SHORTCUT_SHAPED = st.one_of(
    PLAIN.map(lambda path: "/" + path),
    st.tuples(st.sampled_from(["http://", "https://"]), PLAIN).map("".join),
)


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(GENERATED_URL, SHORTCUT_SHAPED),
    st.one_of(st.sampled_from(BASES), GENERATED_URL, SHORTCUT_SHAPED),
)
def test_the_shortcut_agrees_with_urljoin_on_generated_urls(url: str, base_url: str) -> None:
    assert _absolute_url(url, base_url) == by_urljoin(url, base_url)


def test_a_root_relative_link_resolves_against_the_article_origin() -> None:
    cleaned = clean_html(
        '<p><a href="/2026/10/related-8/">x</a><img src="/a.jpg"></p>',
        "https://news.example/2026/10/01/a-1/",
        "content",
        [],
    )
    assert cleaned == (
        '<p><a href="https://news.example/2026/10/related-8/" rel="noopener noreferrer">x</a>'
        '<img src="https://news.example/a.jpg"></p>'
    )


def test_printable_text_holds_no_forbidden_character() -> None:
    """Every code point ``str.isprintable`` accepts is one cleaning keeps, whatever Unicode."""
    printable = "".join(filter(str.isprintable, map(chr, range(0x110000))))
    assert _FORBIDDEN_CHAR.search(printable) is None


def test_the_only_printable_space_a_single_line_collapses_is_the_space() -> None:
    assert [space for space in _SPACES if space.isprintable()] == [" "]


@pytest.mark.parametrize("space", ["  ", "\t", "\n", "\u2028", "\u2029", " \t\n "])
def test_every_space_run_in_a_single_line_field_collapses(space: str) -> None:
    assert clean_text(f"خبر{space}عاجل", "title", []) == "خبر عاجل"


@pytest.mark.parametrize(
    "char", ["\x00", "\x1f", "\x85", "\ud800", "\ufdd0", "\uffff", "\U0001fffe"]
)
def test_a_forbidden_character_among_printable_text_is_still_removed(char: str) -> None:
    warnings: list[CleaningWarning] = []
    assert clean_text(f"خبر {char}عاجل", "title", warnings) == "خبر عاجل"
    assert warnings == [
        CleaningWarning("title", f"removed 1 character not allowed in XML (U+{ord(char):04X})")
    ]
