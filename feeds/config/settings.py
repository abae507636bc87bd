"""nashra's settings: one typed, frozen object loaded from a TOML file.

Validation is strict because a typo in a config file should stop the server
at start-up, not show up later as a silently ignored option: unknown keys are
errors, booleans are not integers, and every :class:`ConfigError` names the
dotted key at fault (``site.link``, ``categories[2].slug``; array indexes
count from 0).

Each top-level section has its own small ``_parse_*`` function working on a
:class:`_Table`, which tracks the section's dotted key; a new section is one
more function and one more entry in ``_TOP_LEVEL_KEYS``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, TypeVar, overload
from urllib.parse import urlsplit, urlunsplit

from feeds.model.language import LanguageTagError, canonical_language
from store.errors import NashraError
from store.types import RESERVED_FEEDS

DEFAULT_CONFIG = Path("config/nashra.toml")
DEFAULT_DB = Path("var/nashra.db")
CONFIG_ENV = "NASHRA_CONFIG"

#: Slugs become URL path segments (``feeds/{slug}.rss``), so keep them plain.
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")

#: Characters XML 1.0 cannot carry: a title holding one would break every feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_TOP_LEVEL_KEYS: Final = ("site", "feeds", "store", "categories", "api", "websub", "tokens")


class ConfigError(NashraError):
    """The configuration is unreadable or invalid; ``key`` is the dotted key at fault."""

    def __init__(self, key: str, message: str, path: Path | None = None) -> None:
        self.key = key
        self.message = message
        self.path = path
        super().__init__(key, message, path)

    def __str__(self) -> str:
        parts = [str(self.path)] if self.path is not None else []
        if self.key:
            parts.append(self.key)
        parts.append(self.message)
        return ": ".join(parts)


DEFAULT_TAG_DATE = "2026"


@dataclass(frozen=True, slots=True)
class Category:
    """One category feed; ``language`` is canonical BCP 47."""

    slug: str
    title: str
    description: str
    language: str


@dataclass(frozen=True, slots=True)
class Site:
    """The publisher; ``link`` is an absolute http(s) URL ending with ``/``.

    Feeds are served under ``link``: ``f"{link}feeds/{slug}.rss"``.
    """

    title: str
    link: str
    language: str
    description: str
    tag_date: str = DEFAULT_TAG_DATE  # the date in every tag: URI id (RFC 4151); never change it


@dataclass(frozen=True, slots=True)
class FeedOptions:
    """How feeds are rendered and cached."""

    items: int = 50  # entries per feed, 1..1000
    ttl: int = 15  # RSS <ttl>, minutes, >= 1
    max_age: int = 300  # Cache-Control max-age of feeds, seconds, >= 0
    breaking_max_age: int = 60  # max-age of the breaking feed, seconds, >= 0
    rtl_mark: bool = True  # prefix U+200F to RTL titles that start with a Latin letter


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """Where articles are kept; a relative path resolves against the current directory."""

    path: Path = DEFAULT_DB


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """Limits of the publishing API."""

    max_batch: int = 100  # articles in one POST
    max_body: int = 8 << 20  # bytes of one request body


@dataclass(frozen=True, slots=True)
class WebSubOptions:
    """The WebSub hub to announce and notify; None: no WebSub."""

    hub: str | None = None


@dataclass(frozen=True, slots=True)
class Token:
    """A publishing API token: its name, the hash of its secret, the categories it may write.

    ``categories`` None means every category.
    """

    name: str
    hash: str  # "sha256:" and 64 hex digits of the SHA-256 of the token
    categories: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything nashra is configured with; ``source`` is the file it came from."""

    site: Site
    feeds: FeedOptions
    store: StoreOptions
    categories: tuple[Category, ...]
    source: Path | None = None
    api: ApiOptions = ApiOptions()
    websub: WebSubOptions = WebSubOptions()
    tokens: tuple[Token, ...] = ()

    def category(self, slug: str) -> Category | None:
        """The category with this slug, or ``None``."""
        return next((category for category in self.categories if category.slug == slug), None)

    def fingerprint(self) -> str:
        """A short hash of every setting that changes feed bytes, for HTTP ETags.

        The store path and the source file are left out: moving the database
        or the config file does not change what a feed looks like.
        """
        canonical = json.dumps(
            {
                "site": asdict(self.site),
                "feeds": asdict(self.feeds),
                "categories": [asdict(category) for category in self.categories],
                "websub": asdict(self.websub),
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def config_path(explicit: str | Path | None, environ: Mapping[str, str] = os.environ) -> Path:
    """The config file to read: ``--config``, else ``$NASHRA_CONFIG``, else the default.

    An empty value counts as not given.
    """
    if explicit:
        return Path(explicit)
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return DEFAULT_CONFIG


def load_settings(path: Path, *, db: Path | None = None) -> Settings:
    """Read and validate the TOML file at ``path``; ``db`` overrides ``[store] path``.

    Every failure, from a missing file to a TOML syntax error, is a :class:`ConfigError`.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("", "config file not found", path) from None
    except OSError as err:
        raise ConfigError("", f"cannot read config file: {err.strerror or err}", path) from None
    try:
        # utf-8-sig: tolerate the byte order mark some Windows editors write.
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise ConfigError("", f"not UTF-8 (byte {err.start})", path) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError("", f"invalid TOML: {err}", path) from None
    return parse_settings(data, source=path, db=db)


def parse_settings(
    data: Mapping[str, Any], *, source: Path | None = None, db: Path | None = None
) -> Settings:
    """Validate already-parsed TOML ``data``; ``db`` overrides the store path."""
    root = _Table(data, "", source)
    root.reject_unknown(_TOP_LEVEL_KEYS)
    site = _parse_site(root.table("site", required=True))
    feeds = _parse_feeds(root.table("feeds"))
    store = _parse_store(root.table("store"))
    categories = _parse_categories(root.tables("categories"), site.language)
    return Settings(
        site=site,
        feeds=feeds,
        store=StoreOptions(db) if db is not None else store,
        categories=categories,
        source=source,
        api=_parse_api(root.table("api")),
        websub=_parse_websub(root.table("websub")),
        tokens=_parse_tokens(root.tables("tokens"), {c.slug for c in categories}),
    )


_TOKEN_HASH = re.compile(r"sha256:[0-9a-f]{64}")


def _parse_api(table: _Table) -> ApiOptions:
    table.reject_unknown(("max_batch", "max_body"))
    defaults = ApiOptions()
    return ApiOptions(
        max_batch=table.integer("max_batch", defaults.max_batch, minimum=1, maximum=10_000),
        max_body=table.integer("max_body", defaults.max_body, minimum=1024),
    )


def _parse_websub(table: _Table) -> WebSubOptions:
    table.reject_unknown(("hub",))
    if "hub" not in table.data:
        return WebSubOptions()
    hub = table.text("hub")
    parts = urlsplit(hub)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in hub):
        raise table.error("hub", f"must be an absolute http(s) URL, got {hub!r}")
    return WebSubOptions(hub=hub)


def _parse_tokens(tables: Sequence[_Table], slugs: set[str]) -> tuple[Token, ...]:
    tokens: list[Token] = []
    names: set[str] = set()
    for table in tables:
        table.reject_unknown(("name", "hash", "categories"))
        name = table.text("name")
        if name in names:
            raise table.error("name", f"duplicate token name {name!r}")
        names.add(name)
        digest = table.text("hash")
        if not _TOKEN_HASH.fullmatch(digest):
            raise table.error(
                "hash", "must be 'sha256:' and 64 hex digits (see `nashra token create`)"
            )
        listed = table.value("categories", list, None)
        scope = None
        if listed is not None:
            for index, slug in enumerate(listed):
                if slug not in slugs:
                    raise table.error(f"categories[{index}]", f"unknown category {slug!r}")
            scope = frozenset(listed)
        tokens.append(Token(name, digest, scope))
    return tuple(tokens)


_TAG_DATE = re.compile(r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?")


def _parse_site(table: _Table) -> Site:
    table.reject_unknown(("title", "link", "language", "description", "tag_date"))
    tag_date = table.text("tag_date", default=DEFAULT_TAG_DATE)
    if not _TAG_DATE.fullmatch(tag_date):
        raise table.error(
            "tag_date", f"must be a date YYYY, YYYY-MM or YYYY-MM-DD, got {tag_date!r}"
        )
    return Site(
        title=table.text("title"),
        link=table.link("link"),
        language=table.language("language"),
        description=table.text("description", default="", allow_blank=True),
        tag_date=tag_date,
    )


def _parse_feeds(table: _Table) -> FeedOptions:
    table.reject_unknown(("items", "ttl", "max_age", "breaking_max_age", "rtl_mark"))
    defaults = FeedOptions()
    return FeedOptions(
        items=table.integer("items", defaults.items, minimum=1, maximum=1000),
        ttl=table.integer("ttl", defaults.ttl, minimum=1),
        max_age=table.integer("max_age", defaults.max_age, minimum=0),
        breaking_max_age=table.integer("breaking_max_age", defaults.breaking_max_age, minimum=0),
        rtl_mark=table.value("rtl_mark", bool, defaults.rtl_mark),
    )


def _parse_store(table: _Table) -> StoreOptions:
    table.reject_unknown(("path",))
    return StoreOptions(path=Path(table.text("path", default=str(DEFAULT_DB))))


def _parse_categories(tables: Sequence[_Table], site_language: str) -> tuple[Category, ...]:
    categories: list[Category] = []
    first_index: dict[str, int] = {}
    for index, table in enumerate(tables):
        category = _parse_category(table, site_language)
        if category.slug in first_index:
            raise table.error(
                "slug",
                f"duplicate slug {category.slug!r}: "
                f"categories[{first_index[category.slug]}] and categories[{index}]",
            )
        first_index[category.slug] = index
        categories.append(category)
    return tuple(categories)


def _parse_category(table: _Table, site_language: str) -> Category:
    table.reject_unknown(("slug", "title", "description", "language"))
    return Category(
        slug=_slug(table),
        title=table.text("title"),
        description=table.text("description", default="", allow_blank=True),
        language=table.language("language", default=site_language),
    )


def _slug(table: _Table) -> str:
    slug = table.value("slug", str)
    if not SLUG_PATTERN.fullmatch(slug):
        raise table.error(
            "slug",
            f"{slug!r} must match ^{SLUG_PATTERN.pattern}$ "
            "(lowercase ASCII letters, digits and hyphens: slugs appear in URLs)",
        )
    if slug in RESERVED_FEEDS:
        raise table.error(
            "slug",
            f"{slug!r} is reserved for a site-wide feed ({', '.join(sorted(RESERVED_FEEDS))})",
        )
    return slug


class _Missing:
    """Marks a key without a default, i.e. a required one."""


_REQUIRED: Final = _Missing()

_T = TypeVar("_T")

_TYPE_NAMES: Final[dict[type, str]] = {
    bool: "a boolean (true or false)",
    int: "an integer",
    str: "a string",
    list: "an array",
}


def _toml_type(value: object) -> str:
    """The TOML name of a parsed value's type, for error messages."""
    match value:
        case bool():
            return "boolean"
        case int():
            return "integer"
        case float():
            return "float"
        case str():
            return "string"
        case Mapping():
            return "table"
        case list() | tuple():
            return "array"
        case _:
            return type(value).__name__  # datetime, date, time


class _Table:
    """One TOML table under validation, knowing its dotted key so errors can name it."""

    def __init__(self, data: Mapping[str, Any], key: str, source: Path | None) -> None:
        self.data = data
        self.key = key
        self.source = source

    def key_of(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def error(self, name: str, message: str) -> ConfigError:
        return ConfigError(self.key_of(name), message, self.source)

    def reject_unknown(self, known: Sequence[str]) -> None:
        for name in self.data:
            if name not in known:
                raise self.error(name, "unknown key")

    @overload
    def value(self, name: str, kind: type[_T], default: None) -> _T | None: ...
    @overload
    def value(self, name: str, kind: type[_T], default: _T | _Missing = _REQUIRED) -> _T: ...
    def value(self, name: str, kind: type[_T], default: object = _REQUIRED) -> object:
        """The value of ``name``, checked to be of ``kind`` (a bool is not an int)."""
        if name not in self.data:
            if default is _REQUIRED:
                raise self.error(name, "missing required key")
            return default
        value = self.data[name]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.error(name, f"must be {_TYPE_NAMES[kind]}, got {_toml_type(value)}")
        return value

    def text(
        self, name: str, default: str | _Missing = _REQUIRED, *, allow_blank: bool = False
    ) -> str:
        """A string fit for XML, not blank unless ``allow_blank``."""
        text = self.value(name, str, default)
        if not allow_blank and not text.strip():
            raise self.error(name, "must not be empty")
        if bad := _NOT_XML.search(text):
            raise self.error(name, f"must not contain the control character {bad.group()!r}")
        return text

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        number = self.value(name, int, default)
        if number < minimum or (maximum is not None and number > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
            raise self.error(name, f"must be {bounds}, got {number}")
        return number

    def language(self, name: str, default: str | _Missing = _REQUIRED) -> str:
        """A language tag, returned canonical (``AR`` -> ``ar``, ``ar_eg`` -> ``ar-EG``)."""
        tag = self.value(name, str, default)
        try:
            return canonical_language(tag)
        except LanguageTagError as err:
            raise self.error(name, str(err)) from None

    def link(self, name: str) -> str:
        """An absolute http(s) URL, normalized to end with ``/``."""
        url = self.value(name, str)
        message = f"must be an absolute http(s) URL, got {url!r}"
        if any(char.isspace() for char in url):
            raise self.error(name, message)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.error(name, message)
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError:
            raise self.error(name, f"{message} (bad port)") from None
        if parts.query or parts.fragment:
            raise self.error(name, f"must have no query or fragment, got {url!r}")
        path = parts.path if parts.path.endswith("/") else f"{parts.path}/"
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    def table(self, name: str, *, required: bool = False) -> _Table:
        """The sub-table ``name``; an absent optional one reads as empty."""
        if name not in self.data:
            if required:
                raise self.error(name, "missing required table")
            return _Table({}, self.key_of(name), self.source)
        value = self.data[name]
        if not isinstance(value, Mapping):
            raise self.error(name, f"must be a table, got {_toml_type(value)}")
        return _Table(value, self.key_of(name), self.source)

    def tables(self, name: str) -> list[_Table]:
        """The array of tables ``name`` (``[[name]]``); absent reads as empty."""
        value = self.data.get(name, [])
        if not isinstance(value, list | tuple):
            raise self.error(name, f"must be an array of tables, got {_toml_type(value)}")
        key = self.key_of(name)
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise ConfigError(
                    f"{key}[{index}]", f"must be a table, got {_toml_type(item)}", self.source
                )
        return [_Table(item, f"{key}[{index}]", self.source) for index, item in enumerate(value)]
