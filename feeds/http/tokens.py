"""Publishing API tokens: made by ``nashra token create``, configured only as hashes.

A token is a random secret the CMS sends as ``Authorization: Bearer …``. The
config file holds its SHA-256 (``[[tokens]] hash = "sha256:…"``), never the
token itself, so a leaked config does not leak write access. Tokens are long
random strings, so a plain, unsalted hash is enough: there is nothing to
guess from a dictionary.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime

from feeds.config.settings import SLUG_PATTERN, Token
from store.errors import NashraError
from store.types import Article

HASH_PREFIX = "sha256:"
TOKEN_BYTES = 32
#: RFC 6750 §2.1: the form of a bearer token (``b64token``).
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class AuthError(NashraError):
    """No valid token. ``sent`` is whether the request presented a bearer token at all.

    The message never holds any part of the token.
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        self.message = message
        self.sent = sent
        super().__init__(message)


def hash_token(token: str) -> str:
    """The config form of ``token``: ``sha256:`` and the hex SHA-256 of its UTF-8 bytes."""
    return HASH_PREFIX + hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(
    name: str, categories: Sequence[str] | None = None, *, breaking: bool = False
) -> tuple[str, str]:
    """A new random token, and the TOML lines that configure it (holding only its hash).

    ``categories`` None means the token may write every category; otherwise
    the slugs are checked for form here and for existence when the config loads.
    ``breaking`` adds ``breaking = true``: what a token limited to categories
    needs to mark articles breaking (one without a limit may already).
    """
    if not name.strip() or not name.isprintable():
        raise NashraError(f"a token name must be printable and not blank, got {name!r}")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    lines = ["[[tokens]]", f"name = {_toml_string(name)}", f'hash = "{hash_token(token)}"']
    if categories is not None:
        slugs = list(dict.fromkeys(slug.strip() for slug in categories if slug.strip()))
        if not slugs:
            raise NashraError("a token's categories must name at least one category")
        for slug in slugs:
            if not SLUG_PATTERN.fullmatch(slug):
                raise NashraError(f"{slug!r} is not a category slug")
        lines.append(f"categories = [{', '.join(map(_toml_string, slugs))}]")
    if breaking:
        lines.append("breaking = true")
    return token, "\n".join(lines) + "\n"


def authenticate(header: str | None, tokens: Iterable[Token]) -> Token:
    """The configured token an ``Authorization`` header value presents; else :class:`AuthError`.

    The presented token's hash is compared with every configured hash, in
    constant time and without stopping at a match, so the time taken tells
    neither which token matched nor whether one did.
    """
    scheme, _, credentials = (header or "").strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials:
        raise AuthError("a bearer token is required", sent=False)
    if not _B64TOKEN.fullmatch(credentials):
        raise AuthError("the bearer token is malformed", sent=True)
    presented = hash_token(credentials)
    found: Token | None = None
    for token in tokens:
        if hmac.compare_digest(presented, token.hash) and found is None:
            found = token
    if found is None:
        raise AuthError("the bearer token is not valid", sent=True)
    return found


def allowed(token: Token, categories: Iterable[str]) -> bool:
    """Whether ``token`` may write (read, delete) an article in all of ``categories``.

    An article in no category is a breaking flash, the whole site's: a token
    limited to some categories reaches it only if it may mark breaking news.
    """
    if token.categories is None:
        return True
    wanted = frozenset(categories)
    return token.categories.issuperset(wanted) if wanted else token.may_mark_breaking


def may_set_breaking(token: Token, article: Article, stored: Article | None) -> bool:
    """Whether ``token`` may write ``article`` over ``stored`` as far as breaking news goes.

    Marking an article breaking, taking it out of the breaking feed, or
    moving its ``breaking_until`` changes the site-wide breaking feed, which
    needs :attr:`~feeds.config.settings.Token.may_mark_breaking`. Leaving the
    stored article's breaking state as it is does not: a desk may correct a
    story the newsroom marked breaking.
    """
    if token.may_mark_breaking:
        return True
    before = _breaking_state(stored) if stored is not None else (False, None)
    return _breaking_state(article) == before


def _breaking_state(article: Article) -> tuple[bool, datetime | None]:
    return (True, article.breaking_until) if article.breaking else (False, None)


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string.

    For printable text JSON escapes only ``"`` and ``\\``, exactly as TOML does.
    """
    return json.dumps(text, ensure_ascii=False)
