"""The [wordpress] and [ingest] tables, and a category's ``wordpress`` slugs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from feeds.config.loader import load_settings, parse_settings
from feeds.config.settings import IngestOptions, WordPressOptions
from tests.config.test_settings import REPO_CONFIG, VALID, Mutation, check


def parsed(mutate: Mutation) -> Any:
    data = copy.deepcopy(VALID)
    mutate(data)
    return parse_settings(data)


def test_defaults() -> None:
    settings = parse_settings(VALID)
    assert settings.wordpress == WordPressOptions()
    assert settings.ingest == IngestOptions(identify_language=True, language_confidence=0.9)
    assert settings.categories[0].wordpress_slugs == ("politics",)  # its own slug


def test_slugs_are_kept_decoded_and_lowercase() -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["categories"][0]["wordpress"] = ["%D8%B3%D9%8A%D8%A7%D8%B3%D8%A9", "World-News"]
        data["wordpress"] = {"breaking": ["%d8%b9%d8%a7%d8%ac%d9%84", "عاجل"]}

    settings = parsed(mutate)
    assert settings.categories[0].wordpress_slugs == ("سياسة", "world-news")
    assert settings.wordpress.breaking == ("عاجل", "عاجل")


def test_where_articles_come_from_is_not_part_of_the_feeds_etags() -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["categories"][0]["wordpress"] = ["سياسة"]

    assert parsed(mutate).fingerprint() == parse_settings(VALID).fingerprint()


def wordpress(**table: object) -> Mutation:
    return lambda data: data.update(wordpress=table)


def ingest(**table: object) -> Mutation:
    return lambda data: data.update(ingest=table)


def category(**keys: object) -> Mutation:
    return lambda data: data["categories"][0].update(keys)


@pytest.mark.parametrize(
    ("mutate", "key", "message"),
    [
        (wordpress(brekaing=[]), "wordpress.brekaing", "unknown key"),
        (wordpress(breaking="عاجل"), "wordpress.breaking", "an array"),
        (wordpress(breaking=[""]), "wordpress.breaking[0]", "a WordPress slug"),
        (wordpress(breaking_hours=0), "wordpress.breaking_hours", "from 1 to"),
        (wordpress(timeout="30"), "wordpress.timeout", "an integer"),
        (category(wordpress=[3]), "categories[0].wordpress[0]", "slug"),
        (ingest(identify_language="yes"), "ingest.identify_language", "boolean"),
        (ingest(language_confidence=0.2), "ingest.language_confidence", "0.5 to 1.0"),
        (ingest(language_confidence=1), "ingest.language_confidence", "decimal point"),
    ],
)
def test_errors_name_the_key(mutate: Mutation, key: str, message: str) -> None:
    check(mutate, key, message)


def test_the_reference_config_documents_every_new_key() -> None:
    settings = load_settings(REPO_CONFIG)
    assert settings.wordpress == WordPressOptions(breaking=("عاجل",), removal_check=600)
    assert settings.ingest == IngestOptions()
    text = REPO_CONFIG.read_text(encoding="utf-8")
    for key in ("breaking_hours", "removal_check", "timeout", "retries", "identify_language",
                "language_confidence", "wordpress = "):  # fmt: skip
        assert key in text
