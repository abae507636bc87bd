"""Reading the settings: which file, then every section checked and normalized.

Each top-level section has its own small ``_parse_*`` function working on a
:class:`~feeds.config.toml_table.TomlTable`, which tracks the section's dotted
key; a new section is one more function and one more entry in
``_TOP_LEVEL_KEYS``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

from feeds.config.settings import (
    DEFAULT_DB,
    DEFAULT_TAG_DATE,
    SLUG_PATTERN,
    ApiOptions,
    CategoryConfig,
    CdnOptions,
    FeedOptions,
    IngestOptions,
    ServerOptions,
    Settings,
    Site,
    StoreOptions,
    Token,
    WebSubOptions,
    WordPressOptions,
)
from feeds.config.toml_table import ConfigError, TomlTable
from store.types import RESERVED_FEEDS

DEFAULT_CONFIG = Path("config/nashra.toml")
CONFIG_ENV = "NASHRA_CONFIG"

_TOP_LEVEL_KEYS: Final = (
    "site",
    "feeds",
    "store",
    "categories",
    "api",
    "websub",
    "tokens",
    "server",
    "cdn",
    "ingest",
    "wordpress",
)


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
    root = TomlTable(data, "", source)
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
        server=_parse_server(root.table("server")),
        cdn=_parse_cdn(root.table("cdn")),
        tokens=_parse_tokens(root.tables("tokens"), {c.slug for c in categories}),
        ingest=_parse_ingest(root.table("ingest")),
        wordpress=_parse_wordpress(root.table("wordpress")),
    )


def _parse_ingest(table: TomlTable) -> IngestOptions:
    table.reject_unknown(("identify_language", "language_confidence"))
    defaults = IngestOptions()
    confidence = table.value("language_confidence", float, defaults.language_confidence)
    if not 0.5 <= confidence <= 1.0:
        raise table.error(
            "language_confidence", f"must be a number from 0.5 to 1.0, got {confidence!r}"
        )
    return IngestOptions(
        identify_language=table.value("identify_language", bool, defaults.identify_language),
        language_confidence=confidence,
    )


def _parse_wordpress(table: TomlTable) -> WordPressOptions:
    table.reject_unknown(("breaking", "breaking_hours", "removal_check", "timeout", "retries"))
    defaults = WordPressOptions()
    return WordPressOptions(
        breaking=_wordpress_slugs(table, "breaking", ()),
        breaking_hours=table.integer(
            "breaking_hours", defaults.breaking_hours, minimum=1, maximum=24 * 366
        ),
        removal_check=table.integer("removal_check", defaults.removal_check, minimum=0),
        timeout=table.integer("timeout", defaults.timeout, minimum=1, maximum=3600),
        retries=table.integer("retries", defaults.retries, minimum=0, maximum=20),
    )


def _wordpress_slugs(table: TomlTable, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """WordPress slugs as people read them: percent-encoded ones (``%d8%b9``) are decoded."""
    listed = table.value(name, list, None)
    if listed is None:
        return default
    slugs: list[str] = []
    for index, slug in enumerate(listed):
        if not isinstance(slug, str) or not slug.strip():
            raise table.error(f"{name}[{index}]", f"must be a WordPress slug, got {slug!r}")
        slugs.append(decode_slug(slug))
    return tuple(slugs)


def decode_slug(slug: str) -> str:
    """A WordPress slug as it reads: ``%d8%b9%d8%a7%d8%ac%d9%84`` is ``عاجل``; lowercased."""
    return unquote(slug.strip()).lower()


_TOKEN_HASH = re.compile(r"sha256:[0-9a-f]{64}")


def _parse_api(table: TomlTable) -> ApiOptions:
    table.reject_unknown(("max_batch", "max_body"))
    defaults = ApiOptions()
    return ApiOptions(
        max_batch=table.integer("max_batch", defaults.max_batch, minimum=1, maximum=10_000),
        max_body=table.integer("max_body", defaults.max_body, minimum=1024),
    )


def _parse_server(table: TomlTable) -> ServerOptions:
    defaults = ServerOptions()
    names = tuple(field.name for field in fields(ServerOptions))  # every one a whole number
    table.reject_unknown(names)
    minimum = {"header_timeout": 1, "keep_alive": 1, "max_headers": 1, "max_connections": 1}
    return ServerOptions(
        **{
            name: table.integer(name, getattr(defaults, name), minimum=minimum.get(name, 256))
            for name in names
        }
    )


def _parse_websub(table: TomlTable) -> WebSubOptions:
    table.reject_unknown(("hub",))
    if "hub" not in table.data:
        return WebSubOptions()
    return WebSubOptions(hub=table.url("hub"))


#: An HTTP field name (RFC 9110 §5.1): a token.
_FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _parse_cdn(table: TomlTable) -> CdnOptions:
    names = tuple(field.name for field in fields(CdnOptions))
    table.reject_unknown(names)
    defaults = CdnOptions()
    purge = table.value("purge", list, [])
    # each URL checked as every URL setting is, its error naming it: cdn.purge[1]
    listed = TomlTable({f"purge[{i}]": url for i, url in enumerate(purge)}, table.key, table.source)
    headers = table.value("key_headers", list, list(defaults.key_headers))
    for index, name in enumerate(headers):
        if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
            raise table.error(f"key_headers[{index}]", f"must be an HTTP header name, got {name!r}")
    if len({name.lower() for name in headers}) < len(headers):
        raise table.error("key_headers", "names a header twice")
    return CdnOptions(
        purge=tuple(listed.url(f"purge[{i}]") for i in range(len(purge))),
        purge_timeout=table.integer("purge_timeout", defaults.purge_timeout, minimum=1),
        s_maxage=table.integer("s_maxage", defaults.s_maxage, minimum=0),
        stale_while_revalidate=table.integer(
            "stale_while_revalidate", defaults.stale_while_revalidate, minimum=0
        ),
        stale_if_error=table.integer("stale_if_error", defaults.stale_if_error, minimum=0),
        key_headers=tuple(headers),
    )


def _parse_tokens(tables: Sequence[TomlTable], slugs: set[str]) -> tuple[Token, ...]:
    tokens: list[Token] = []
    names: set[str] = set()
    for table in tables:
        table.reject_unknown(("name", "hash", "categories", "breaking"))
        name = table.text("name")
        if not name.isprintable():  # it is logged with every write: one line, as written
            raise table.error("name", f"must be printable, got {name!r}")
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
                if not isinstance(slug, str) or slug not in slugs:
                    raise table.error(f"categories[{index}]", f"unknown category {slug!r}")
            scope = frozenset(listed)
        tokens.append(Token(name, digest, scope, table.value("breaking", bool, None)))
    return tuple(tokens)


_TAG_DATE = re.compile(r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?")


def _parse_site(table: TomlTable) -> Site:
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


def _parse_feeds(table: TomlTable) -> FeedOptions:
    table.reject_unknown(
        ("items", "ttl", "max_age", "breaking_max_age", "rtl_mark", "image_in_content")
    )
    defaults = FeedOptions()
    return FeedOptions(
        items=table.integer("items", defaults.items, minimum=1, maximum=1000),
        ttl=table.integer("ttl", defaults.ttl, minimum=1),
        max_age=table.integer("max_age", defaults.max_age, minimum=0),
        breaking_max_age=table.integer("breaking_max_age", defaults.breaking_max_age, minimum=0),
        rtl_mark=table.value("rtl_mark", bool, defaults.rtl_mark),
        image_in_content=table.value("image_in_content", bool, defaults.image_in_content),
    )


def _parse_store(table: TomlTable) -> StoreOptions:
    table.reject_unknown(("path",))
    return StoreOptions(path=Path(table.text("path", default=str(DEFAULT_DB))))


def _parse_categories(
    tables: Sequence[TomlTable], site_language: str
) -> tuple[CategoryConfig, ...]:
    categories: list[CategoryConfig] = []
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


def _parse_category(table: TomlTable, site_language: str) -> CategoryConfig:
    table.reject_unknown(("slug", "title", "description", "language", "wordpress"))
    return CategoryConfig(
        slug=_slug(table),
        title=table.text("title"),
        description=table.text("description", default="", allow_blank=True),
        language=table.language("language", default=site_language),
        wordpress=_wordpress_slugs(table, "wordpress", ()),
    )


def _slug(table: TomlTable) -> str:
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
