"""Language tags and text direction.

Direction is decided from the language's script: an explicit script subtag
wins (``ku-Arab`` is right-to-left, ``az-Latn`` left-to-right); otherwise the
language's usual script decides, from a table of right-to-left languages and,
for languages not in it, from CLDR's likely-subtags data (via langcodes).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Literal

import langcodes
from langcodes.tag_parser import LanguageTagError as MalformedTagError

Direction = Literal["ltr", "rtl"]

#: ISO 15924 codes of the scripts written right to left.
RTL_SCRIPTS = frozenset(
    {
        "Adlm", "Arab", "Aran", "Armi", "Avst", "Chrs", "Cprt", "Elym", "Hatr", "Hebr",
        "Hung", "Khar", "Lydi", "Mand", "Mani", "Mend", "Merc", "Mero", "Narb", "Nbat",
        "Nkoo", "Orkh", "Ougr", "Palm", "Phli", "Phlp", "Phnx", "Prti", "Rohg", "Samr",
        "Sarb", "Sogd", "Sogo", "Syrc", "Thaa", "Yezi",
    }
)  # fmt: skip

#: Languages whose usual script is right-to-left (ISO 639 codes).
RTL_LANGUAGES = frozenset(
    {
        "ar", "arc", "arz", "apc", "ajp", "acm", "aeb", "ary", "arq", "afb", "ayl",
        "fa", "prs", "pes", "ur", "ps", "pbt", "pbu", "sd", "ckb", "ug", "dv", "he",
        "yi", "ydd", "syr", "aii", "cld", "ks", "bal", "bqi", "glk", "lrc", "luz",
        "mzn", "nqo", "sam", "skr", "khw", "bgn", "azb", "hac", "ota", "jrb", "jpr",
        "lad", "men", "rhg", "mde",
    }
)  # fmt: skip


class LanguageTagError(ValueError):
    """A language tag that is malformed or names no known language."""


@lru_cache(maxsize=1024)
def canonical_language(tag: str) -> str:
    """The canonical BCP 47 form of ``tag`` (``AR`` -> ``ar``, ``ar_sa`` -> ``ar-SA``).

    Raises :class:`LanguageTagError` for a malformed tag or an unknown language.
    """
    if not isinstance(tag, str) or not tag or tag != tag.strip():
        raise LanguageTagError(f"{tag!r} is not a language tag")
    try:
        valid = langcodes.tag_is_valid(tag)
        canonical = langcodes.standardize_tag(tag) if valid else ""
    except (ValueError, MalformedTagError):
        valid = False
    if not valid:
        raise LanguageTagError(f"{tag!r} is not a valid BCP 47 language tag")
    return canonical


@lru_cache(maxsize=1024)
def direction(tag: str) -> Direction:
    """The writing direction of text in the language ``tag`` (canonical or not)."""
    language = langcodes.Language.get(tag)
    if language.script:
        return "rtl" if language.script in RTL_SCRIPTS else "ltr"
    if language.language in RTL_LANGUAGES:
        return "rtl"
    likely = language.maximize().script
    return "rtl" if likely in RTL_SCRIPTS else "ltr"


def first_strong_direction(text: str) -> Direction | None:
    """Direction of the first strongly directional letter in ``text``, as ``dir="auto"`` sees it.

    Characters inside isolates are skipped, like the Unicode bidi algorithm's P2.
    """
    depth = 0
    for char in text:
        if char in "\u2066\u2067\u2068":
            depth += 1
        elif char == "\u2069":
            depth = max(0, depth - 1)
        elif depth == 0:
            kind = unicodedata.bidirectional(char)
            if kind == "L":
                return "ltr"
            if kind in ("R", "AL"):
                return "rtl"
    return None
