"""Tests of feeds.config.settings: loading, validation errors naming their key, fingerprints."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from feeds.config.loader import DEFAULT_CONFIG, config_path, load_settings, parse_settings
from feeds.config.settings import (
    CategoryConfig,
    CdnOptions,
    FeedOptions,
    ServerOptions,
    Settings,
    Site,
    StoreOptions,
)
from feeds.config.toml_table import ConfigError
from store.errors import NashraError

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "nashra.toml"

VALID: dict[str, Any] = {
    "site": {
        "title": "نشرة",
        "link": "https://news.example",
        "language": "AR",
        "description": "أخبار",
    },
    "feeds": {"items": 20, "ttl": 5, "max_age": 0, "breaking_max_age": 30, "rtl_mark": False},
    "store": {"path": "data/test.db"},
    "categories": [
        {"slug": "politics", "title": "سياسة", "description": "سياسة عربية"},
        {"slug": "english", "title": "English", "language": "en_us"},
    ],
}

VALID_TOML = """\
[site]
title = "نشرة"
link = "https://news.example/"
language = "ar"

[[categories]]
slug = "politics"
title = "سياسة"
"""

Mutation = Callable[[dict[str, Any]], object]


def settings_error(mutate: Mutation) -> ConfigError:
    """The ConfigError raised by parsing VALID after ``mutate`` changed a copy of it."""
    data = copy.deepcopy(VALID)
    mutate(data)
    with pytest.raises(ConfigError) as caught:
        parse_settings(data)
    return caught.value


def check(mutate: Mutation, key: str, message: str) -> None:
    error = settings_error(mutate)
    assert error.key == key
    assert message in error.message


def test_valid_round_trip() -> None:
    settings = parse_settings(VALID, source=Path("x.toml"))
    assert settings == Settings(
        site=Site(title="نشرة", link="https://news.example/", language="ar", description="أخبار"),
        feeds=FeedOptions(items=20, ttl=5, max_age=0, breaking_max_age=30, rtl_mark=False),
        store=StoreOptions(path=Path("data/test.db")),
        categories=(
            CategoryConfig(
                slug="politics", title="سياسة", description="سياسة عربية", language="ar"
            ),
            CategoryConfig(slug="english", title="English", description="", language="en-US"),
        ),
        source=Path("x.toml"),
    )
    assert settings.category("english") == settings.categories[1]
    assert settings.category("sports") is None


def test_minimal_settings_take_defaults() -> None:
    settings = parse_settings(
        {"site": {"title": "t", "link": "http://x.example/a", "language": "fr"}}
    )
    assert settings.site.link == "http://x.example/a/"
    assert settings.site.description == ""
    assert settings.feeds == FeedOptions()
    assert settings.store == StoreOptions(Path("var/nashra.db"))
    assert settings.categories == ()


def test_db_overrides_store_path() -> None:
    assert parse_settings(VALID, db=Path("/tmp/other.db")).store.path == Path("/tmp/other.db")


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d["site"].update(titel="x"), "site.titel"),
        (lambda d: d["feeds"].update(item=5), "feeds.item"),
        (lambda d: d["store"].update(dir="var"), "store.dir"),
        (lambda d: d["categories"][1].update(lang="en"), "categories[1].lang"),
    ],
    ids=["top", "site", "feeds", "store", "category"],
)
def test_unknown_key(mutate: Mutation, key: str) -> None:
    check(mutate, key, "unknown key")


@pytest.mark.parametrize(
    ("mutate", "key", "message"),
    [
        (lambda d: d.pop("site"), "site", "missing required table"),
        (lambda d: d["site"].pop("title"), "site.title", "missing required key"),
        (lambda d: d["site"].pop("link"), "site.link", "missing required key"),
        (lambda d: d["site"].pop("language"), "site.language", "missing required key"),
        (lambda d: d["categories"][0].pop("slug"), "categories[0].slug", "missing required key"),
        (lambda d: d["categories"][1].pop("title"), "categories[1].title", "missing required"),
    ],
    ids=["site", "site.title", "site.link", "site.language", "slug", "category.title"],
)
def test_missing_required(mutate: Mutation, key: str, message: str) -> None:
    check(mutate, key, message)


@pytest.mark.parametrize(
    ("mutate", "key", "message"),
    [
        (lambda d: d["feeds"].update(items=True), "feeds.items", "must be an integer, got boolean"),
        (lambda d: d["feeds"].update(ttl="15"), "feeds.ttl", "must be an integer, got string"),
        (lambda d: d["feeds"].update(max_age=1.5), "feeds.max_age", "integer, got float"),
        (lambda d: d["feeds"].update(rtl_mark=1), "feeds.rtl_mark", "must be a boolean"),
        (lambda d: d["site"].update(title=7), "site.title", "must be a string, got integer"),
        (lambda d: d.update(site="x"), "site", "must be a table, got string"),
        (lambda d: d.update(categories={}), "categories", "must be an array of tables"),
        (lambda d: d["categories"].append("x"), "categories[2]", "must be a table"),
        (lambda d: d["store"].update(path=["a"]), "store.path", "must be a string, got array"),
    ],
    ids=["bool-int", "str-int", "float-int", "int-bool", "int-str", "site", "categories",
         "category", "path"],
)  # fmt: skip
def test_wrong_type(mutate: Mutation, key: str, message: str) -> None:
    check(mutate, key, message)


@pytest.mark.parametrize(
    ("mutate", "key", "message"),
    [
        (lambda d: d["feeds"].update(items=0), "feeds.items", "from 1 to 1000, got 0"),
        (lambda d: d["feeds"].update(items=1001), "feeds.items", "from 1 to 1000, got 1001"),
        (lambda d: d["feeds"].update(ttl=0), "feeds.ttl", ">= 1"),
        (lambda d: d["feeds"].update(max_age=-1), "feeds.max_age", ">= 0"),
        (lambda d: d["feeds"].update(breaking_max_age=-5), "feeds.breaking_max_age", ">= 0"),
        (lambda d: d["site"].update(title="  "), "site.title", "must not be empty"),
        (lambda d: d["store"].update(path=""), "store.path", "must not be empty"),
        (lambda d: d["site"].update(title="a\x00b"), "site.title", "control character"),
    ],
    ids=["items-0", "items-1001", "ttl", "max_age", "breaking", "blank", "path", "control"],
)
def test_bad_value(mutate: Mutation, key: str, message: str) -> None:
    check(mutate, key, message)


@pytest.mark.parametrize(
    "link",
    ["/news/", "news.example", "ftp://news.example/", "https://", "https://news example/",
     "mailto:desk@news.example", "https://news.example:port/"],
)  # fmt: skip
def test_link_must_be_absolute_http(link: str) -> None:
    check(lambda d: d["site"].update(link=link), "site.link", "must be an absolute http(s) URL")


def test_link_without_query_or_fragment() -> None:
    check(lambda d: d["site"].update(link="https://x.example/?a=1"), "site.link", "no query")


@pytest.mark.parametrize(
    ("link", "normalized"),
    [
        ("https://news.example", "https://news.example/"),
        ("HTTPS://news.example/ar", "https://news.example/ar/"),
        ("http://news.example:8080/ar/", "http://news.example:8080/ar/"),
    ],
)
def test_link_normalized_with_trailing_slash(link: str, normalized: str) -> None:
    data = copy.deepcopy(VALID)
    data["site"]["link"] = link
    assert parse_settings(data).site.link == normalized


@pytest.mark.parametrize(
    ("mutate", "key", "tag"),
    [
        (lambda d: d["site"].update(language="xx-yy"), "site.language", "xx-yy"),
        (lambda d: d["site"].update(language=""), "site.language", "''"),
        (
            lambda d: d["categories"][1].update(language="en--US"),
            "categories[1].language",
            "en--US",
        ),
        (lambda d: d["categories"][0].update(language="zzz"), "categories[0].language", "zzz"),
    ],
    ids=["site-unknown", "site-empty", "category-malformed", "category-unknown"],
)
def test_bad_language(mutate: Mutation, key: str, tag: str) -> None:
    check(mutate, key, tag)


def test_languages_stored_canonical() -> None:
    data = copy.deepcopy(VALID)
    data["site"]["language"] = "ar_eg"
    settings = parse_settings(data)
    assert settings.site.language == "ar-EG"
    assert [c.language for c in settings.categories] == ["ar-EG", "en-US"]


def test_duplicate_slug_names_both_indexes() -> None:
    error = settings_error(lambda d: d["categories"].append({"slug": "politics", "title": "x"}))
    assert error.key == "categories[2].slug"
    assert "categories[0]" in error.message
    assert "categories[2]" in error.message


@pytest.mark.parametrize("slug", ["all", "breaking"])
def test_reserved_slug(slug: str) -> None:
    check(lambda d: d["categories"][0].update(slug=slug), "categories[0].slug", "reserved")


@pytest.mark.parametrize(
    "slug", ["Politics", "-news", "", "سياسة", "a b", "news/world", "sport_s", "politics\n"]
)
def test_slug_pattern(slug: str) -> None:
    check(
        lambda d: d["categories"][1].update(slug=slug),
        "categories[1].slug",
        "must match ^[a-z0-9][a-z0-9-]*$",
    )


def test_config_error_text_and_hierarchy() -> None:
    error = ConfigError("site.link", "bad", Path("c.toml"))
    assert isinstance(error, NashraError)
    assert str(error) == "c.toml: site.link: bad"
    assert str(ConfigError("site.link", "bad")) == "site.link: bad"
    assert str(ConfigError("", "config file not found", Path("c.toml"))) == (
        "c.toml: config file not found"
    )


def test_parse_errors_name_the_source() -> None:
    data = copy.deepcopy(VALID)
    data["feeds"]["ttl"] = 0
    with pytest.raises(ConfigError) as caught:
        parse_settings(data, source=Path("etc/nashra.toml"))
    assert caught.value.path == Path("etc/nashra.toml")
    assert str(caught.value).startswith("etc/nashra.toml: feeds.ttl: ")


@pytest.mark.parametrize(
    ("explicit", "environ", "expected"),
    [
        ("cli.toml", {"NASHRA_CONFIG": "env.toml"}, Path("cli.toml")),
        (Path("cli.toml"), {}, Path("cli.toml")),
        (None, {"NASHRA_CONFIG": "env.toml"}, Path("env.toml")),
        (None, {"NASHRA_CONFIG": ""}, DEFAULT_CONFIG),
        (None, {}, Path("config/nashra.toml")),
    ],
)
def test_config_path_precedence(
    explicit: str | Path | None, environ: dict[str, str], expected: Path
) -> None:
    assert config_path(explicit, environ) == expected


def test_load_settings(tmp_path: Path) -> None:
    path = tmp_path / "nashra.toml"
    path.write_text(VALID_TOML, encoding="utf-8")
    settings = load_settings(path, db=tmp_path / "x.db")
    assert settings.source == path
    assert settings.store.path == tmp_path / "x.db"
    assert settings.categories[0].title == "سياسة"


def test_load_settings_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "nashra.toml"
    path.write_text('[site]\ntitle = "unterminated\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.path == path
    assert "invalid TOML" in caught.value.message
    assert "line 2" in caught.value.message


def test_load_settings_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found") as caught:
        load_settings(tmp_path / "absent.toml")
    assert caught.value.path == tmp_path / "absent.toml"


def test_load_settings_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "nashra.toml"
    path.write_bytes('[site]\ntitle = "نشرة"\n'.encode("cp1256"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path)


def test_load_settings_accepts_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "nashra.toml"
    path.write_text("\ufeff" + VALID_TOML, encoding="utf-8")
    assert load_settings(path).site.title == "نشرة"


def test_fingerprint_stable_across_loads(tmp_path: Path) -> None:
    path = tmp_path / "nashra.toml"
    path.write_text(VALID_TOML, encoding="utf-8")
    first = load_settings(path).fingerprint()
    assert len(first) == 16
    assert int(first, 16) >= 0
    assert load_settings(path).fingerprint() == first
    assert load_settings(path, db=tmp_path / "elsewhere.db").fingerprint() == first


def test_fingerprint_changes_with_feed_bytes() -> None:
    base = parse_settings(VALID).fingerprint()
    for mutate in (
        lambda d: d["categories"][0].update(title="سياسة دولية"),
        lambda d: d["site"].update(description="x"),
        lambda d: d["feeds"].update(items=21),
    ):
        data = copy.deepcopy(VALID)
        mutate(data)
        assert parse_settings(data).fingerprint() != base


def test_repository_config_loads() -> None:
    settings = load_settings(REPO_CONFIG)
    assert settings.site.link == "https://news.example/"
    assert settings.site.language == "ar"
    assert settings.store.path == Path("var/nashra.db")
    assert [c.slug for c in settings.categories] == [
        "politics", "economy", "sports", "culture", "technology",
        "english", "farsi", "urdu", "francais",
    ]  # fmt: skip
    languages = {c.slug: c.language for c in settings.categories}
    assert languages["politics"] == "ar"
    assert (languages["english"], languages["farsi"], languages["urdu"]) == ("en", "fa", "ur")
    assert languages["francais"] == "fr"


def test_server_limits_default_and_read() -> None:
    assert parse_settings(VALID).server == ServerOptions()
    data = copy.deepcopy(VALID)
    data["server"] = {"max_head": 32768, "header_timeout": 3, "max_connections": 50}
    server = parse_settings(data).server
    assert (server.max_head, server.header_timeout, server.max_connections) == (32768, 3, 50)
    assert server.max_headers == ServerOptions().max_headers


def test_repository_config_states_the_default_server_limits() -> None:
    assert load_settings(REPO_CONFIG).server == ServerOptions()


@pytest.mark.parametrize(
    ("mutate", "key", "message"),
    [
        (lambda d: d.update(server={"max_heads": 1}), "server.max_heads", "unknown"),
        (lambda d: d.update(server={"max_head": 100}), "server.max_head", "256"),
        (lambda d: d.update(server={"header_timeout": 0}), "server.header_timeout", "1"),
        (lambda d: d.update(server={"max_headers": "100"}), "server.max_headers", "integer"),
    ],
)
def test_bad_server_limit(mutate: Mutation, key: str, message: str) -> None:
    check(mutate, key, message)


def test_cdn_defaults_and_values() -> None:
    assert parse_settings(VALID).cdn == CdnOptions()
    assert CdnOptions().purge == () and CdnOptions().key_headers == ("xkey",)
    data = copy.deepcopy(VALID)
    data["cdn"] = {
        "purge": ["http://cache-1:6081/", "https://cache-2.example/purge"],
        "purge_timeout": 3,
        "s_maxage": 86400,
        "stale_while_revalidate": 0,
        "stale_if_error": 600,
        "key_headers": ["Surrogate-Key", "Cache-Tag"],
    }
    assert parse_settings(data).cdn == CdnOptions(
        ("http://cache-1:6081/", "https://cache-2.example/purge"),
        3, 86400, 0, 600, ("Surrogate-Key", "Cache-Tag"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("cdn", "key", "message"),
    [
        ({"purge": "http://cache/"}, "cdn.purge", "must be an array"),
        ({"purge": ["http://cache/", "cache:6081"]}, "cdn.purge[1]", "absolute http(s) URL"),
        ({"purge": ["http://cache/\n"]}, "cdn.purge[0]", "absolute http(s) URL"),
        ({"purge_timeout": 0}, "cdn.purge_timeout", ">= 1"),
        ({"s_maxage": -1}, "cdn.s_maxage", ">= 0"),
        ({"stale_if_error": 1.5}, "cdn.stale_if_error", "integer, got float"),
        ({"key_headers": ["Surrogate Key"]}, "cdn.key_headers[0]", "HTTP header name"),
        ({"key_headers": ["xkey", "XKey"]}, "cdn.key_headers", "names a header twice"),
        ({"purge_url": []}, "cdn.purge_url", "unknown key"),
    ],
    ids=["not-array", "not-url", "control", "timeout", "s_maxage", "float", "header", "twice",
         "unknown"],
)  # fmt: skip
def test_bad_cdn(cdn: dict[str, Any], key: str, message: str) -> None:
    check(lambda d: d.update(cdn=cdn), key, message)
