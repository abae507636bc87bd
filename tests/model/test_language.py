"""Language tags and the direction table."""

from __future__ import annotations

import pytest

from feeds.model.language import (
    LanguageTagError,
    canonical_language,
    direction,
    first_strong_direction,
)

RTL = ["ar", "ar-EG", "ar-SA", "fa", "fa-IR", "ur", "ps", "sd", "ckb", "ug", "dv", "he", "iw",
       "yi", "syr", "ku-Arab", "az-Arab", "pa-Arab", "ks", "nqo", "mzn", "arz", "prs"]  # fmt: skip
LTR = ["en", "en-US", "fr", "de", "tr", "ku", "ku-Latn", "az", "az-Latn", "sd-Deva", "hi", "zh",
       "ja", "sw", "ms", "ms-Latn", "uz", "ru"]  # fmt: skip


@pytest.mark.parametrize("tag", RTL)
def test_right_to_left(tag: str) -> None:
    assert direction(tag) == "rtl"


@pytest.mark.parametrize("tag", LTR)
def test_left_to_right(tag: str) -> None:
    assert direction(tag) == "ltr"


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [("ar", "ar"), ("AR", "ar"), ("ar_SA", "ar-SA"), ("ar-eg", "ar-EG"), ("iw", "he"),
     ("ku-arab", "ku-Arab"), ("zh-hant-tw", "zh-Hant-TW")],
)  # fmt: skip
def test_canonical_language(tag: str, canonical: str) -> None:
    assert canonical_language(tag) == canonical


@pytest.mark.parametrize("tag", ["", " ar", "xx", "qq", "ar--EG", "123", "english"])
def test_bad_language_tags(tag: str) -> None:
    with pytest.raises(LanguageTagError):
        canonical_language(tag)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("iPhone 17 يصل", "ltr"), ("«مرحبا» iPhone", "rtl"), ("2026 — 17", None),
     ("\u2067iPhone\u2069 يصل", "rtl"), ("", None)],
)  # fmt: skip
def test_first_strong_direction(text: str, expected: str | None) -> None:
    assert first_strong_direction(text) == expected
