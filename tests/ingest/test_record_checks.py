"""Tests of validation's shortcuts: dates parsed once per distinct string, printable ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from feeds.config.settings import Settings
from feeds.ingest.records import _ID_FORBIDDEN, RecordError, _parsed_moment, validate_record
from tests.support.builders import record


def test_records_sharing_a_date_string_get_the_same_moment(settings: Settings) -> None:
    first = validate_record(record(1, published="2026-11-01T11:00:00+03:00"), settings, 1)
    second = validate_record(
        record(2, published="2026-11-01T11:00:00+03:00", updated="2026-11-01T11:00:00+03:00"),
        settings,
        2,
    )
    expected = datetime(2026, 11, 1, 11, tzinfo=timezone(timedelta(hours=3)))
    assert first.article.published == second.article.published == expected
    assert second.article.updated == expected
    assert second.article.published.utcoffset() == timedelta(hours=3)


def test_a_bad_date_string_is_reported_every_time_and_in_every_field(settings: Settings) -> None:
    for position in (1, 2):
        bad = record(position, published="2026-11-01T08:00:00", updated="2026-11-01T08:00:00")
        with pytest.raises(RecordError) as caught:
            validate_record(bad, settings, position)
        assert [(p.field, p.message) for p in caught.value.problems] == [
            (name, "'2026-11-01T08:00:00' has no UTC offset (add Z or +03:00, say)")
            for name in ("published", "updated")
        ]


def test_only_short_date_strings_are_kept_for_the_next_record(settings: Settings) -> None:
    """A bounded number of short strings is bounded memory; a 7 MB "date" is not kept."""
    long_fraction = "2026-11-01T08:00:00." + "0" * 100 + "1Z"
    _parsed_moment.cache_clear()
    valid = validate_record(record(1, published=long_fraction, updated=None), settings, 1)
    assert valid.article.published == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert _parsed_moment.cache_info().currsize == 0
    validate_record(record(1, published="2026-11-01T08:00:00.000001Z", updated=None), settings, 1)
    assert _parsed_moment.cache_info().currsize == 1


def test_printable_text_holds_no_character_an_id_or_url_must_not() -> None:
    """Ids and URLs skip the search when ``str.isprintable`` says so, whatever Unicode."""
    printable = "".join(filter(str.isprintable, map(chr, range(0x110000))))
    assert _ID_FORBIDDEN.search(printable) is None


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x7f", "\x9f", "\ud800", "\uffff"])
def test_an_id_or_link_with_a_control_character_is_refused(settings: Settings, char: str) -> None:
    bad = record(1, id=f"a{char}1", link=f"https://news.example/a{char}1/")
    with pytest.raises(RecordError) as caught:
        validate_record(bad, settings, 1)
    assert [p.field for p in caught.value.problems] == ["id", "link"]
    assert all("control characters or lone surrogates" in p.message for p in caught.value.problems)
