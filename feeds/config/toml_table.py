"""Checking one parsed TOML table, so that every error names its dotted key.

Validation is strict because a typo in a config file should stop the server
at start-up, not show up later as a silently ignored option: unknown keys are
errors, booleans are not integers, and every :class:`ConfigError` names the
dotted key at fault (``site.link``, ``categories[2].slug``; array indexes
count from 0).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar, overload
from urllib.parse import urlsplit, urlunsplit

from feeds.model.language import LanguageTagError, canonical_language
from store.errors import NashraError

#: Characters XML 1.0 cannot carry: a title holding one would break every feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Characters no URL setting may hold: whitespace, C0 and C1 controls, DEL, noncharacters.
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ufffe\uffff]")


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


class _Missing:
    """Marks a key without a default, i.e. a required one."""


_REQUIRED: Final = _Missing()

_T = TypeVar("_T")

_TYPE_NAMES: Final[dict[type, str]] = {
    bool: "a boolean (true or false)",
    int: "an integer",
    float: "a number with a decimal point (0.9)",
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


class TomlTable:
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

    def url(self, name: str) -> str:
        """An absolute http(s) URL, as given: without whitespace or control characters.

        Every URL setting goes through here: a control character would pass
        urlsplit and then break every feed (XML cannot carry NUL) or an
        HTTP request; a malformed IPv6 host or a port outside 1..65535 makes
        urlsplit raise, which must be a message, not a traceback.
        """
        url = self.value(name, str)
        message = f"must be an absolute http(s) URL, got {url!r}"
        if bad := _URL_FORBIDDEN.search(url):
            raise self.error(name, f"{message} (it holds the character {bad.group()!r})")
        try:
            parts = urlsplit(url)
            hostname, port = parts.hostname, parts.port  # the port is checked only when asked
        except ValueError as err:
            raise self.error(name, f"{message} ({err})") from None
        if parts.scheme not in ("http", "https") or not hostname:
            raise self.error(name, message)
        if port == 0:
            raise self.error(name, f"{message} (bad port)")
        return url

    def link(self, name: str) -> str:
        """An absolute http(s) URL, normalized to end with ``/``."""
        url = self.url(name)
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            raise self.error(name, f"must have no query or fragment, got {url!r}")
        path = parts.path if parts.path.endswith("/") else f"{parts.path}/"
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    def table(self, name: str, *, required: bool = False) -> TomlTable:
        """The sub-table ``name``; an absent optional one reads as empty."""
        if name not in self.data:
            if required:
                raise self.error(name, "missing required table")
            return TomlTable({}, self.key_of(name), self.source)
        value = self.data[name]
        if not isinstance(value, Mapping):
            raise self.error(name, f"must be a table, got {_toml_type(value)}")
        return TomlTable(value, self.key_of(name), self.source)

    def tables(self, name: str) -> list[TomlTable]:
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
        return [TomlTable(item, f"{key}[{index}]", self.source) for index, item in enumerate(value)]
