"""The pure functions behind validators and 304s (RFC 9110 §8.8, §12.5.3, §13), one by one."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.http.conditional import (
    change_second,
    choose_encoding,
    entity_tags,
    etag,
    http_date,
    http_seconds,
    last_modified,
    not_modified,
)

MOMENT = 784111777  # Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example
TAG = '"s1.f2.7.1700000000200000.rss"'
CHANGED_US = 10_200_000  # a change at 10.2 s: Last-Modified can name it from second 11 on
NOW = 20


# --- etag ---------------------------------------------------------------------------------------


def test_each_content_coding_gets_its_own_strong_tag() -> None:
    tags = {encoding: etag("s1.f2.7.rss", encoding) for encoding in ("identity", "gzip", "br")}
    assert tags["identity"] == '"s1.f2.7.rss"'
    assert len(set(tags.values())) == 3
    for tag in tags.values():
        assert tag.startswith('"') and tag.endswith('"') and tag.count('"') == 2  # not W/


# --- change_second and last_modified ------------------------------------------------------------


@pytest.mark.parametrize(
    ("modified_us", "second"),
    [(0, 0), (1, 1), (999_999, 1), (1_000_000, 1), (1_000_001, 2), (10_200_000, 11),
     (1_700_000_000_000_000, 1_700_000_000), (1_700_000_000_000_001, 1_700_000_001)],
)  # fmt: skip
def test_change_second_is_the_first_whole_second_at_or_after_the_change(
    modified_us: int, second: int
) -> None:
    assert change_second(modified_us) == second


@pytest.mark.parametrize(
    ("modified_us", "now", "expected"),
    [
        (10_200_000, 10, 10),  # within the change's second: that second, never a later one
        (10_200_000, 11, 11),  # that second is over: the next one
        (10_200_000, 50, 11),
        (10_000_000, 10, 10),  # a change on a whole second is named by it at once
        (30_000_000, 20, 20),  # a change stamped after the Date: never later than the Date
    ],
)
def test_last_modified_is_the_change_second_but_never_after_now(
    modified_us: int, now: int, expected: int
) -> None:
    assert last_modified(modified_us, now) == expected


# --- not_modified: If-None-Match ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (TAG, True),
        (f"W/{TAG}", True),  # weak comparison: W/ does not matter
        (f'"other", {TAG}', True),
        (f'"other",{TAG}', True),
        (f'"a,b", {TAG}, W/"c"', True),
        ("*", True),
        ("  *  ", True),
        ('"other"', False),
        ('W/"other"', False),
        ('"a,b"', False),
        (TAG.replace(".rss", ".atom"), False),
        (TAG[:-1] + '-gz"', False),  # the gzip representation's tag
        (TAG.upper(), False),  # opaque: compared exactly
        (f"w/{TAG}", False),  # the weak prefix is case-sensitive
        ("", False),
    ],
)
def test_if_none_match(header: str, matches: bool) -> None:
    assert not_modified(header, None, TAG, CHANGED_US, NOW) is matches


@pytest.mark.parametrize("header", [TAG, "*"])
def test_if_none_match_decides_alone_even_against_an_old_date(header: str) -> None:
    assert not_modified(header, http_date(1), TAG, CHANGED_US, NOW)


def test_if_none_match_decides_alone_even_against_a_matching_date() -> None:
    assert not_modified(None, http_date(11), TAG, CHANGED_US, NOW)  # the date alone: 304
    assert not not_modified('"other"', http_date(11), TAG, CHANGED_US, NOW)
    assert not not_modified("", http_date(11), TAG, CHANGED_US, NOW)


# --- not_modified: If-Modified-Since ------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "unchanged"),
    [
        (11, True),  # the Last-Modified a client got once the change's second was over
        (12, True),
        (NOW, True),  # as late as the Date
        (NOW + 1, False),  # later than the Date: ignored (RFC 9110 §13.1.3)
        (10, False),  # the change came after 10.000: the feed is newer
        (1, False),
    ],
)
def test_if_modified_since(since: int, unchanged: bool) -> None:
    assert not_modified(None, http_date(since), TAG, CHANGED_US, NOW) is unchanged


@pytest.mark.parametrize(
    "header",
    ["", "yesterday", "11", "Sun, 06 Nov 1994 08:49:37", "Mon, 32 Jan 2001 00:00:00 GMT",
     "Sun, 06 Nov 1994 25:49:37 GMT", "Fri, 01 Jan 2100 00:00:00 GMT"],
)  # fmt: skip
def test_an_invalid_or_future_if_modified_since_is_ignored(header: str) -> None:
    assert not not_modified(None, header, TAG, 0, MOMENT + 10)


def test_no_condition_is_no_304() -> None:
    assert not not_modified(None, None, TAG, CHANGED_US, NOW)


# --- entity_tags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ('"a"', {'"a"'}),
        ('W/"a"', {'"a"'}),
        ('"a", W/"b" ,"c"', {'"a"', '"b"', '"c"'}),
        ('"a,b", "c"', {'"a,b"', '"c"'}),  # a comma inside quotes is part of the tag
        ('W/"a, b",W/"c"', {'"a, b"', '"c"'}),
        (' , "a",, ', {'"a"'}),  # empty list members (RFC 9110 §5.6.1)
        ('w/"a"', {'w/"a"'}),  # not a weak tag: W/ is case-sensitive
        ("", set()),
    ],
)
def test_entity_tags(header: str, tags: set[str]) -> None:
    assert entity_tags(header) == tags


# --- http_seconds and http_date -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate, the one to send
        "Sunday, 06-Nov-94 08:49:37 GMT",  # obsolete RFC 850 form, still to be accepted
        "Sun, 06 Nov 1994 08:49:37 +0000",
        "Sun, 06 Nov 1994 09:49:37 +0100",
    ],
)
def test_http_seconds_reads_dates(value: str) -> None:
    assert http_seconds(value) == MOMENT


def test_http_seconds_reads_asctime_dates_as_gmt() -> None:
    """RFC 9110 §5.6.7: a recipient MUST accept the obsolete asctime format, in GMT."""
    assert http_seconds("Sun Nov  6 08:49:37 1994") == MOMENT


@pytest.mark.parametrize(
    "value",
    ["", " ", "yesterday", "0", "784111777", "Sun, 06 Nov 1994 08:49:37",
     "Sun, 06 Nov 1994 08:49:37 -0000",  # RFC 5322: no zone information
     "Mon, 32 Jan 2001 00:00:00 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
     "Mon, 01 Jan 99999 00:00:00 GMT"],
)  # fmt: skip
def test_http_seconds_is_none_for_what_is_not_a_date(value: str) -> None:
    assert http_seconds(value) is None


def test_http_date_is_the_imf_fixdate() -> None:
    assert http_date(MOMENT) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


@given(st.integers(min_value=0, max_value=253_402_300_799))  # up to the end of year 9999
def test_http_date_reads_back_as_the_same_second(seconds: int) -> None:
    assert http_seconds(http_date(seconds)) == seconds


@given(st.text())
def test_no_header_value_makes_the_parsers_raise(value: str) -> None:
    http_seconds(value)
    entity_tags(value)
    choose_encoding(value)
    not_modified(value, value, TAG, CHANGED_US, NOW)


# --- choose_encoding ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "encoding"),
    [
        (None, "identity"),
        ("", "identity"),
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, br", "br"),  # both acceptable: the server prefers the smaller
        ("br;q=0.5, gzip;q=1", "br"),  # any q above 0 is acceptable
        ("GZIP", "gzip"),  # codings are case-insensitive
        (" gzip ; q=0.5 ", "gzip"),
        ("gzip;q=0", "identity"),  # q=0: not acceptable
        ("gzip;q=0.000", "identity"),
        ("br; Q=0, gzip", "gzip"),
        ("gzip;q=0, br;q=0", "identity"),
        ("gzip;q=nonsense", "identity"),  # an unreadable weight counts as a refusal
        ("gzip;q=0.001", "gzip"),
        ("*", "br"),
        ("*;q=0", "identity"),
        ("br;q=0, *", "gzip"),  # a named coding's weight wins over the wildcard's
        ("*;q=0, gzip", "gzip"),
        ("identity", "identity"),
        ("deflate, compress", "identity"),
    ],
)
def test_choose_encoding(header: str | None, encoding: str) -> None:
    assert choose_encoding(header) == encoding


# --- bounds: client text is parsed in bounded time, and not kept -------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ", ".join([f'"other-{n}"' for n in range(64)] + [TAG]),  # 65 tags
        '"' + "x" * 5000 + '", ' + TAG,  # 5 KB: longer than any real list
    ],
)
def test_an_if_none_match_too_long_or_with_too_many_tags_matches_nothing(header: str) -> None:
    assert not not_modified(header, None, TAG, CHANGED_US, NOW)
    assert not not_modified(header, http_date(11), TAG, CHANGED_US, NOW)  # it still decides


def test_an_if_none_match_of_64_short_tags_still_matches() -> None:
    header = ", ".join([f'"other-{n}"' for n in range(63)] + [TAG])
    assert not_modified(header, None, TAG, CHANGED_US, NOW)


def test_a_huge_if_none_match_is_answered_without_reading_it() -> None:
    header = TAG + ", " + "x" * (16 << 20)  # a 16 MiB value took seconds to scan
    started = time.perf_counter()
    assert not not_modified(header, None, TAG, CHANGED_US, NOW)
    assert time.perf_counter() - started < 0.05


def test_a_long_date_is_not_a_date() -> None:
    assert http_seconds(http_date(MOMENT) + " " * 100) is None


def test_a_long_accept_encoding_gets_identity() -> None:
    assert choose_encoding("gzip, " + "x" * 2000) == "identity"


@pytest.mark.parametrize(
    "parse",
    [
        lambda value: not_modified(f'"{value}"', None, TAG, CHANGED_US, NOW),
        lambda value: not_modified(None, f"Sun, 06 Nov 1994 {value}", TAG, CHANGED_US, NOW),
        lambda value: choose_encoding(f"gzip;q={value}"),
        lambda value: entity_tags(f'W/"{value}"'),
        lambda value: http_seconds(value),
    ],
    ids=["If-None-Match", "If-Modified-Since", "Accept-Encoding", "entity_tags", "http_seconds"],
)
def test_distinct_long_values_are_not_kept(parse: Callable[[str], object]) -> None:
    """100 distinct 64 KB values once added 6.4 MB to lru_caches that never let go."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(100):
            parse(f"{n:03}" + "x" * (64 << 10))
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 256 << 10
