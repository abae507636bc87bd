"""Validation of one import record, shared by ``nashra import`` and the API.

A record is a JSON object in the import format (see README). Validation
collects every problem of a record, each naming its field, rather than
stopping at the first, so a publisher can fix a file in one pass. Text is
made safe here, once, at the edge (see :mod:`feeds.ingest.cleaning`).
"""

from __future__ import annotations

import enum
import functools
import re
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

from feeds.config.settings import Settings
from feeds.ingest.cleaning import CleaningWarning, clean_html, clean_text
from feeds.model.language import LanguageTagError, canonical_language
from store.errors import NashraError
from store.types import Article, Image

FIELDS = frozenset(
    {"id", "title", "link", "published", "updated", "author", "summary", "content",
     "categories", "language", "breaking", "breaking_until", "image"}
)  # fmt: skip
IMAGE_FIELDS = frozenset({"url", "type", "length", "alt", "width", "height"})
MAX_IMAGE_PIXELS = 100_000  # a width or height beyond this is a typo, not a photo
MAX_ID_LENGTH = 512
MAX_IMAGE_LENGTH = 2**63 - 1  # the largest integer SQLite stores
MAX_CACHED_DATE = 64  # characters; "2026-10-01T11:36:00.123456+03:00" has 32
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*")
#: An absolute http(s) URL with a host, without whitespace (urlsplit is ten times slower).
_ABSOLUTE_URL = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s@]*@?[^/?#\s@]+(?:[/?#]\S*)?")
_ID_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: The moments the store can represent, in UTC: microseconds since the epoch, and back into a
#: datetime (year 9999 at most). A date outside them would be stored, then break every reader.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong (or cleaned) in one field of a record."""

    field: str
    message: str


class RecordError(NashraError):
    """A record that cannot be imported, with every problem found in it."""

    def __init__(self, position: int, record_id: str | None, problems: list[Problem]) -> None:
        self.position = position
        self.record_id = record_id
        self.problems = problems
        super().__init__("; ".join(f"{p.field or 'record'}: {p.message}" for p in problems))


@dataclass(slots=True)
class ValidRecord:
    """A record that passed: its article, and what cleaning removed from it."""

    article: Article
    warnings: list[Problem] = field(default_factory=list)


def validate_record(data: object, settings: Settings, position: int) -> ValidRecord:
    """The cleaned :class:`Article` of ``data``; :class:`RecordError` lists every problem."""
    if not isinstance(data, dict):
        raise RecordError(position, None, [Problem("", "is not a JSON object")])
    checker = _Checker(data)
    article = checker.article(settings)
    record_id = data.get("id")
    if not isinstance(record_id, str) or len(record_id) > MAX_ID_LENGTH:
        record_id = None  # not an id: messages name the line, not 7 MB of it
    if checker.problems or article is None:
        raise RecordError(position, record_id, checker.problems)
    if not checker.warnings:
        return ValidRecord(article)
    return ValidRecord(article, [Problem(w.field, w.message) for w in checker.warnings])


class _Checker:
    """Checks the fields of one record, collecting problems as it goes."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []
        self.warnings: list[CleaningWarning] = []

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(name, message))

    def article(self, settings: Settings) -> Article | None:
        if not FIELDS.issuperset(self.data):
            for unknown in sorted(set(self.data) - FIELDS):
                self.fail(unknown, "unknown field")
        article_id = self.identifier()
        link = self.url("link", self.data.get("link"), required=True)
        published = self.moment("published", required=True)
        updated = self.moment("updated", required=False) or published
        breaking = self.typed("breaking", bool, "a boolean", default=False)
        categories = self.categories(settings, breaking)
        language = self.language(settings, categories)
        title = self.text("title", required=True)
        author = self.text("author")
        summary = self.text("summary", single_line=False)
        content = self.html("content", link)
        breaking_until = self.moment("breaking_until", required=False)
        image = self.image()
        if self.problems:
            return None
        assert article_id and link and title and published and updated and language
        return Article(
            id=article_id, title=title, link=link, published=published, updated=updated,
            categories=tuple(categories), language=language, author=author,
            summary=summary, content=content, breaking=breaking, image=image,
            breaking_until=breaking_until,
        )  # fmt: skip

    @overload
    def typed(self, name: str, kind: type[_T], described: str) -> _T | None: ...
    @overload
    def typed(self, name: str, kind: type[_T], described: str, *, default: _T) -> _T: ...
    def typed(
        self, name: str, kind: type[_T], described: str, *, default: _T | None = None
    ) -> _T | None:
        """The field ``name`` if it is a ``kind`` (a bool is no int), else ``default``."""
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(name, f"must be {described}, not {_json_type(value)}")
            return default
        return value

    def identifier(self) -> str | None:
        if self.data.get("id") is None:
            self.fail("id", "is required")
            return None
        value = self.typed("id", str, "a string")
        if value is None:
            return None
        if not value.strip():
            self.fail("id", "must not be empty")
        elif len(value) > MAX_ID_LENGTH:
            self.fail("id", f"is longer than {MAX_ID_LENGTH} characters")
        elif _holds_forbidden(value):
            self.fail("id", "holds control characters or lone surrogates")
        else:
            return value
        return None

    def url(self, name: str, value: object, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if not isinstance(value, str):
            self.fail(name, f"must be a string, not {_json_type(value)}")
            return None
        if not _ABSOLUTE_URL.fullmatch(value):
            self.fail(name, f"must be an absolute http(s) URL, not {quoted(value)}")
            return None
        if _holds_forbidden(value):  # XML cannot carry them: every feed would fail
            self.fail(name, f"holds control characters or lone surrogates: {quoted(value)}")
            return None
        return value

    def moment(self, name: str, *, required: bool) -> datetime | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if not isinstance(value, str):
            self.fail(name, f"must be an RFC 3339 date-time string, not {_json_type(value)}")
            return None
        moment = (_parsed_moment if len(value) <= MAX_CACHED_DATE else _parse_moment)(value)
        if isinstance(moment, datetime):
            return moment
        if moment is _DateError.NOT_RFC3339:
            self.fail(name, f"{quoted(value)} is not an RFC 3339 date-time")
        elif moment is _DateError.NO_OFFSET:
            self.fail(name, f"{quoted(value)} has no UTC offset (add Z or +03:00, say)")
        elif moment is _DateError.INVALID:
            self.fail(name, f"{quoted(value)} is not a valid date-time")
        else:
            self.fail(
                name,
                f"{value!r} is outside the dates nashra keeps "
                "(1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z, in UTC)",
            )
        return None

    def categories(self, settings: Settings, breaking: bool) -> list[str]:
        """The category slugs; none only for breaking news, which is in ``all`` and ``breaking``."""
        value = self.data.get("categories")
        if value is None:
            self.fail("categories", "is required")
            return []
        if not isinstance(value, list):
            self.fail("categories", f"must be a list of strings, not {_json_type(value)}")
            return []
        if not value and not breaking:
            self.fail("categories", "must name at least one category (or the article be breaking)")
        slugs: list[str] = []
        for index, slug in enumerate(value):
            if not isinstance(slug, str):
                self.fail(f"categories[{index}]", f"must be a string, not {_json_type(slug)}")
            elif settings.category(slug) is None:
                self.fail(f"categories[{index}]", f"unknown category {quoted(slug)}")
            elif slug not in slugs:
                slugs.append(slug)
        return slugs

    def language(self, settings: Settings, categories: list[str]) -> str | None:
        value = self.typed("language", str, "a string")
        if value is None:
            first = settings.category(categories[0]) if categories else None
            return first.language if first else settings.site.language
        try:
            return canonical_language(value)
        except LanguageTagError:
            self.fail("language", f"unknown language tag {quoted(value)}")
            return None

    def text(self, name: str, *, required: bool = False, single_line: bool = True) -> str | None:
        return self._cleaned(
            name, required, lambda v: clean_text(v, name, self.warnings, single_line=single_line)
        )

    def html(self, name: str, base: str | None) -> str | None:
        if base is None:  # the link is already reported; still check the field's type
            self.typed(name, str, "a string")
            return None
        return self._cleaned(name, False, lambda v: clean_html(v, base, name, self.warnings))

    def _cleaned(self, name: str, required: bool, clean: Callable[[str], str]) -> str | None:
        value = self.typed(name, str, "a string")
        if value is None:
            if required and name not in {p.field for p in self.problems}:
                self.fail(name, "is required")
            return None
        cleaned = clean(value)
        if required and not cleaned:
            self.fail(name, "is empty once markup and forbidden characters are removed")
        return cleaned or None

    def image(self) -> Image | None:
        value = self.typed("image", dict, "an object")
        if value is None:
            return None
        if not IMAGE_FIELDS.issuperset(value):
            for unknown in sorted(set(value) - IMAGE_FIELDS):
                self.fail(f"image.{unknown}", "unknown field")
        url = self.url("image.url", value.get("url"), required=True)
        media_type = value.get("type")
        if (
            not isinstance(media_type, str)
            or not _MEDIA_TYPE.fullmatch(media_type)
            or media_type.partition("/")[0].lower() != "image"
        ):  # the lead image is shown as one everywhere: <img>, medium="image", JSON Feed image
            self.fail(
                "image.type",
                f"must be an image's media type such as 'image/jpeg', not {quoted(media_type)}",
            )
        length = value.get("length")
        if length is not None and (
            not isinstance(length, int)
            or isinstance(length, bool)
            or not 0 <= length <= MAX_IMAGE_LENGTH
        ):
            self.fail(
                "image.length", f"must be a size in bytes (an integer >= 0), not {quoted(length)}"
            )
        width, height = (
            self.pixels("width", value.get("width")),
            self.pixels("height", value.get("height")),
        )
        if (value.get("width") is None) != (value.get("height") is None):
            self.fail("image.width", "and image.height are given together, or not at all")
        alt = value.get("alt")
        if alt is not None and not isinstance(alt, str):
            self.fail("image.alt", f"must be a string, not {_json_type(alt)}")
        elif alt is not None:
            alt = clean_text(alt, "image.alt", self.warnings) or None
        if url is None or self.problems:
            return None
        assert isinstance(media_type, str)  # checked above
        return Image(
            url=url,
            type=media_type,
            length=length,
            alt=alt,
            width=width,
            height=height,
        )

    def pixels(self, name: str, value: object) -> int | None:
        """An image's optional ``width`` or ``height``: a whole number of pixels."""
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_IMAGE_PIXELS:
            return value
        message = f"must be pixels, an integer from 1 to {MAX_IMAGE_PIXELS}, not {quoted(value)}"
        self.fail(f"image.{name}", message)
        return None


class _DateError(enum.Enum):
    """Why a string is not a date-time nashra keeps."""

    NOT_RFC3339 = enum.auto()
    NO_OFFSET = enum.auto()
    INVALID = enum.auto()  # shaped like one, but no such moment (February 30th)
    OUT_OF_RANGE = enum.auto()


def _parse_moment(value: str) -> datetime | _DateError:
    """The aware datetime ``value`` (a string) stands for, or why it stands for none."""
    match = _RFC3339.fullmatch(value)
    if not match:
        return _DateError.NOT_RFC3339
    if not match["offset"]:
        return _DateError.NO_OFFSET
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        return _DateError.INVALID
    # Aware datetimes compare as instants, without the conversion to UTC that overflows
    # (9999-12-31T23:59:59-12:00 is valid, but year 10000 in UTC).
    if not EARLIEST <= moment <= LATEST:
        return _DateError.OUT_OF_RANGE
    return moment


#: The articles of one import share their minutes, and ``published`` is often ``updated`` too,
#: so date strings are parsed once per process (a datetime is immutable: sharing it is safe).
#: Only strings up to :data:`MAX_CACHED_DATE` characters: a bounded count of them is bounded memory.
_parsed_moment = functools.lru_cache(maxsize=4096)(_parse_moment)


def _holds_forbidden(value: str) -> bool:
    """``_ID_FORBIDDEN.search(value)``; printable text holds none of them, and says so faster."""
    return not value.isprintable() and _ID_FORBIDDEN.search(value) is not None


QUOTED_CHARACTERS = 80


def quoted(value: object, limit: int = QUOTED_CHARACTERS) -> str:
    """``repr(value)`` for a message, cut after ``limit`` characters with "…".

    A message names a bad value so that a person can find it, and a prefix
    does that: a whole 7 MB field echoed in every error is a cost, not a help.
    """
    # never the repr of a whole string; reprlib bounds a nested list or object too
    text = repr(value[: limit + 1]) if isinstance(value, str) else reprlib.repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for messages."""
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "a list", dict: "an object"}  # fmt: skip
    return names.get(type(value), "null" if value is None else type(value).__name__)
