"""The publishing API under ``/api/``: JSON over HTTP, for the CMS.

* ``POST /api/articles``: one import record (a JSON object): 201 with a
  Location if new, 200 if it updated or matched the stored one, 409 if the
  stored one is newer; or a batch (an array of up to ``api.max_batch``): 200,
  with each record's outcome.
* ``PUT /api/articles/{id}``: one record, its ``id`` that of the URL or left
  out; statuses as for one record by POST.
* ``DELETE /api/articles/{id}``: 200, or 404. ``GET /api/articles/{id}``: the
  stored record, or 404.

Every endpoint needs ``Authorization: Bearer <token>`` (401 otherwise; see
:mod:`feeds.http.tokens`), reads included: the store holds embargoed articles,
which must not leak before they are published. A token limited to some
categories may only write articles all of whose categories are among them
(403, field ``categories``); a stored article outside them does not exist for
it: reading, replacing or deleting it answers the very 404 of a missing id,
so that a desk's token cannot probe which ids another desk has. Changing
what the breaking feed holds needs a token that may mark breaking (403, field
``breaking``; see :meth:`~feeds.config.settings.Token.may_mark_breaking`).

Records go through :func:`~feeds.ingest.records.validate_record`, the validation and
cleaning of ``nashra import`` (422 lists every problem with its record's
index, id and field). A batch is validated whole and then written in one
transaction, so it is all or nothing. Answers carry the stored record, the
cleaning warnings and the new ETag of every feed the write touched (joined or
left), in each format, as the feed endpoint serves it uncompressed: the CMS
can tell when a feed shows its change. Bodies must be ``application/json``
(415), UTF-8 JSON (400) and at most ``api.max_body`` bytes (413).

Helpers raise :class:`~feeds.http.errors.HttpError`; the one error map, around the API's own
router, turns it (and Starlette's 404 and 405) into a JSON answer. Nothing
here logs a request header.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, Router

from feeds.config.settings import Settings, Token
from feeds.formats.registry import FORMATS
from feeds.http.errors import JSON, HttpError, handlers, private_json
from feeds.http.state import AppState, app_state
from feeds.http.tokens import AuthError, allowed, authenticate, may_set_breaking
from feeds.ingest.records import (
    MAX_ID_LENGTH,
    Problem,
    RecordError,
    ValidRecord,
    quoted,
    validate_record,
)
from store.types import Article, Image, Outcome

log = logging.getLogger(__name__)

REALM = 'Bearer realm="nashra"'
_WRITTEN = frozenset({Outcome.ADDED, Outcome.UPDATED})


def api_routes() -> list[BaseRoute]:
    """The API's routes, for ``Mount("/api", routes=…)``.

    They sit in a router of their own, wrapped by the handler of every API
    error, so that unknown paths and wrong methods under ``/api/`` answer JSON
    too while the rest of the site keeps its plain-text errors.
    """
    router = Router(
        routes=[
            Route("/articles", _post, methods=["POST"]),
            Route("/articles/{article_id:path}", _article, methods=["GET", "PUT", "DELETE"]),
        ],
        redirect_slashes=False,
    )
    return [Mount("", app=ExceptionMiddleware(router, handlers=handlers(json=True)))]


@dataclass(frozen=True, slots=True)
class _Written:
    """One record's fate: the article now stored under its id, and the feeds it touched."""

    article: Article
    outcome: Outcome
    feeds: frozenset[str]
    warnings: list[Problem]


async def _post(request: Request) -> Response:
    state = app_state(request)
    token = _token(request, state)
    data = await _read_json(request, state.settings.api.max_body)
    if not isinstance(data, list):
        return await _put_one(request, state, token, data)
    max_batch = state.settings.api.max_batch
    if not 1 <= len(data) <= max_batch:
        message = f"a batch holds 1 to {max_batch} articles, this one {len(data)}"
        raise HttpError(422, message, details={"errors": [_problem(None, None, "", message)]})
    written = await _write(state, token, data)
    etags = await _etags(state, (w.feeds for w in written))
    return private_json({"articles": [_result(w, etags) for w in written]})


async def _article(request: Request) -> Response:
    state = app_state(request)
    token = _token(request, state)
    article_id: str = request.path_params["article_id"]
    if request.method == "PUT":
        data = await _read_json(request, state.settings.api.max_body)
        if isinstance(data, dict):
            if data.get("id") is None:  # absent, as null is in every record field
                data = {**data, "id": article_id}
            elif data["id"] != article_id:
                message = f"does not match the id in the URL, {quoted(article_id)}"
                raise _invalid([_problem(0, _text_or_none(data["id"]), "id", message)])
        return await _put_one(request, state, token, data)
    stored = await state.store.get_article(article_id)
    if stored is None or not allowed(token, stored.categories):
        raise _not_found(article_id)
    if request.method == "DELETE":
        return await _delete(state, token, stored)
    return private_json(record_json(stored))


async def _put_one(request: Request, state: AppState, token: Token, data: object) -> Response:
    """Write one record: 201 if it is new, 200 if it replaced or matched one, 409 if stale."""
    (written,) = await _write(state, token, [data])
    if written.outcome is Outcome.STALE:
        raise HttpError(
            409,
            "the stored article is newer (a later 'updated'); nothing was written",
            details={"article": record_json(written.article), "outcome": written.outcome.value},
        )
    body = _result(written, await _etags(state, [written.feeds]))
    if written.outcome is not Outcome.ADDED:
        return private_json(body)
    location = f"{request.scope['root_path']}/articles/{quote(written.article.id, safe='')}"
    return private_json(body, 201, headers={"Location": location})


async def _write(state: AppState, token: Token, records: list[object]) -> list[_Written]:
    """Validate every record, check the token's scope, then write them in one transaction.

    The write carries the feeds each article was seen in when the scope was
    checked: the store raises :class:`~store.errors.StoreConflict` (409)
    rather than pass a check made on older data.
    """
    valid = _validate(records, state.settings)
    store = state.store
    ids = dict.fromkeys(v.article.id for v in valid)
    current = {article_id: await store.get_article(article_id) for article_id in ids}
    denied = [
        error
        for index, record in enumerate(valid)
        for error in _scope_errors(token, index, record.article, current[record.article.id])
    ]
    if denied:
        raise _forbidden(token, denied)
    for record in valid:  # after the record's own scope, so a 403 tells nothing of the store
        stored = current[record.article.id]
        if stored is not None and not allowed(token, stored.categories):
            raise _not_found(record.article.id)
    seen = {i: (a.feed_keys() if a else None) for i, a in current.items()}
    outcomes = await store.put_articles([v.article for v in valid], expected=seen)
    written = []
    for record, outcome in zip(valid, outcomes, strict=True):
        article, previous = record.article, current[record.article.id]
        if outcome is Outcome.STALE and previous is not None:
            article = previous
        feeds = article.feed_keys()
        if outcome is Outcome.UPDATED and previous is not None:
            feeds |= previous.feed_keys()  # the feeds it left changed too
        if outcome in _WRITTEN:
            current[article.id] = article
            log.info("API: token %r %s article %r", token.name, outcome.value, article.id)
        written.append(_Written(article, outcome, feeds, record.warnings))
    if any(w.outcome in _WRITTEN for w in written):
        state.wake_outbox()
    return written


async def _delete(state: AppState, token: Token, stored: Article) -> Response:
    deleted = await state.store.delete_article(stored.id, expected=stored.feed_keys())
    if not deleted:
        raise _not_found(stored.id)
    log.info("API: token %r deleted article %r", token.name, stored.id)
    state.wake_outbox()
    feeds = stored.feed_keys()
    etags = await _etags(state, [feeds])
    return private_json(
        {"id": stored.id, "outcome": "deleted", "feeds": {k: etags[k] for k in sorted(feeds)}}
    )


def _token(request: Request, state: AppState) -> Token:
    try:
        return authenticate(request.headers.get("authorization"), state.settings.tokens)
    except AuthError as error:
        challenge = f'{REALM}, error="invalid_token"' if error.sent else REALM
        raise HttpError(401, error.message, headers={"WWW-Authenticate": challenge}) from None


async def _etags(state: AppState, feed_sets: Iterable[frozenset[str]]) -> dict[str, dict[str, str]]:
    """The ETag of each feed in each format, as the feed endpoint serves it uncompressed.

    Read after the write: the cache notices the commit and reloads.
    """
    etags = {}
    for key in sorted(set[str]().union(*feed_sets)):
        feed_state = await state.cache.state(key)
        etags[key] = {fmt.extension: feed_state.etag(fmt, "identity") for fmt in FORMATS}
    return etags


def _validate(records: list[object], settings: Settings) -> list[ValidRecord]:
    """Every record validated and cleaned; :class:`HttpError` 422 lists every problem of all."""
    valid: list[ValidRecord] = []
    errors: list[JSON] = []
    for index, data in enumerate(records):
        try:
            valid.append(validate_record(data, settings, index))
        except RecordError as error:
            errors += [_problem(index, error.record_id, p.field, p.message) for p in error.problems]
    if errors:
        raise _invalid(errors)
    return valid


def _scope_errors(token: Token, index: int, article: Article, stored: Article | None) -> list[JSON]:
    """Why ``token`` may not write ``article`` (over ``stored``): nothing when it may.

    A ``stored`` article outside the token's categories is not among them: it
    is a 404 (see :func:`_write`), checked once the record itself passed.
    """
    errors = []
    if not allowed(token, article.categories):
        outside = sorted(set(article.categories) - (token.categories or frozenset()))
        message = f"{', '.join(outside)}: outside the token's categories"
        errors.append(_problem(index, article.id, "categories", message))
    if stored is not None and not allowed(token, stored.categories):
        stored = None  # not the token's to know about; the 404 comes after
    if not may_set_breaking(token, article, stored):
        message = (
            "this token may not change what the breaking feed holds "
            "(it needs breaking = true in its [[tokens]] entry)"
        )
        errors.append(_problem(index, article.id, "breaking", message))
    return errors


def _forbidden(token: Token, errors: list[JSON]) -> HttpError:
    reasons = []
    if token.categories is not None and any(e["field"] == "categories" for e in errors):
        reasons.append(f"may only touch articles in {', '.join(sorted(token.categories))}")
    if any(e["field"] == "breaking" for e in errors):
        reasons.append("may not mark articles breaking")
    message = f"token {token.name!r} {' and '.join(reasons)}"
    return HttpError(403, message, details={"errors": errors})


def _not_found(article_id: str) -> HttpError:
    """The one answer for an id that is missing, or outside the token's categories."""
    shown = article_id if len(article_id) <= MAX_ID_LENGTH else None  # no id is longer
    return HttpError(404, f"no article with id {quoted(article_id)}", details={"id": shown})


def _invalid(errors: list[JSON]) -> HttpError:
    noun = "problem" if len(errors) == 1 else "problems"
    message = f"{len(errors)} {noun}; nothing was written"
    return HttpError(422, message, details={"errors": errors})


def _problem(index: int | None, record_id: str | None, field: str, message: str) -> JSON:
    return {"index": index, "id": record_id, "field": field, "message": message}


def _text_or_none(value: object) -> str | None:
    """An id to name in an error: a string no longer than an id may be, else none."""
    return value if isinstance(value, str) and len(value) <= MAX_ID_LENGTH else None


def _result(written: _Written, etags: Mapping[str, dict[str, str]]) -> JSON:
    return {
        "article": record_json(written.article),
        "outcome": written.outcome.value,
        "feeds": {key: etags[key] for key in sorted(written.feeds)},
        "warnings": [{"field": w.field, "message": w.message} for w in written.warnings],
    }


async def _read_json(request: Request, limit: int) -> object:
    """The request's JSON body: 415 unless it is JSON, 413 past ``limit`` bytes, 400 if broken."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise HttpError(415, "the body must be JSON, sent as application/json")
    body = await _read_body(request, limit)
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_not_json)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise HttpError(400, f"the body is not UTF-8 JSON: {error}") from None


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes.

    A declared Content-Length is checked before anything is read, and the
    bytes are counted as they stream in, so a chunked upload is cut off at
    the limit rather than held whole.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise HttpError(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> HttpError:
    return HttpError(413, f"the body is larger than {limit} bytes (api.max_body)")


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON number")


def record_json(article: Article) -> JSON:
    """``article`` as an import record: same field names, RFC 3339 dates, absent fields left out.

    Sent back as it is (``PUT``), it leaves the article unchanged.
    """
    image = article.image
    fields = {
        "id": article.id,
        "title": article.title,
        "link": article.link,
        "published": _rfc3339(article.published),
        "updated": _rfc3339(article.updated),
        "author": article.author,
        "summary": article.summary,
        "content": article.content,
        "categories": list(article.categories),
        "language": article.language,
        "breaking": article.breaking,
        "breaking_until": _rfc3339(article.breaking_until) if article.breaking_until else None,
        "image": _image_json(image) if image else None,
    }
    return {name: value for name, value in fields.items() if value is not None}


def _rfc3339(moment: datetime) -> str:
    """An aware datetime in RFC 3339, keeping the offset it was given with."""
    return moment.isoformat()


def _image_json(image: Image) -> JSON:
    fields = {
        "url": image.url,
        "type": image.type,
        "length": image.length,
        "alt": image.alt,
        "width": image.width,
        "height": image.height,
    }
    return {name: value for name, value in fields.items() if value is not None}
