"""The feed endpoint: ``/feeds/{key}.{extension}`` in every registered format.

A plain ASGI callable rather than a Starlette view: it is the hot path.
Answering an unchanged feed reads no article and renders nothing: the
feed's state comes from memory (:meth:`FeedCache.current`; the store is
asked only whether anyone committed, once per turn of the event loop), the
headers of each representation are built once per state, and the 304
decision is made before any rendering. Errors are answered through the one
map of :mod:`feeds.http.errors`. It sends its own ``Date``, from the same clock as
``Last-Modified``, so the one is never earlier than the other (uvicorn's own
Date header lags by up to a second).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from starlette.types import Receive, Scope, Send

from feeds.formats.base import FeedFormat
from feeds.formats.registry import FORMATS
from feeds.http.cache import FeedCache, FeedState
from feeds.http.conditional import (
    Encoding,
    change_second,
    choose_encoding,
    http_date,
    last_modified,
    not_modified,
)
from feeds.http.errors import HttpError, http_error, send_plain
from feeds.model.spec import FeedSpec
from store.clock import Clock

ALLOW = b"GET, HEAD, OPTIONS"
#: The answer to a CORS preflight: web-based readers may send conditional requests.
PREFLIGHT = [
    (b"allow", ALLOW),
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, HEAD"),
    (b"access-control-allow-headers", b"If-None-Match, If-Modified-Since"),
    (b"access-control-max-age", b"86400"),
]
PREFIX = "/feeds/"
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Representation:
    """One feed in one format and content coding, at one state: its fixed headers."""

    state: FeedState
    etag: str
    ready_at: int  # from this second on, Last-Modified is the fixed ``last_modified``
    last_modified: bytes
    validators: Headers  # ETag, Vary, CORS: sent with 200 and 304 alike
    content: Headers  # Content-Type, Content-Language, Content-Encoding…


#: Answers sent as they are, never raised: a raised exception object gathers the
#: frames of every request that raised it, and these would be raised again and again.
NO_SUCH_FEED = HttpError(404, "No such feed.")
NOT_ALLOWED = HttpError(405, "Method Not Allowed", headers={"Allow": ALLOW.decode()})


class FeedEndpoint:
    """Serves every feed in every format, with validators, 304s and compression."""

    def __init__(self, specs: Mapping[str, FeedSpec], cache: FeedCache, clock: Clock) -> None:
        self._cache = cache
        self._clock = clock
        self._targets = {
            f"{PREFIX}{key}.{fmt.extension}": (spec, fmt)
            for key, spec in specs.items()
            for fmt in FORMATS
        }
        self._representations: dict[tuple[str, str, Encoding], Representation] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Decide the whole answer first, then send it: an error can only come before."""
        now = self._clock()
        date = (b"date", http_date(int(now)).encode())
        try:
            status, head, body = await self._answer(scope, now, date)
        except Exception as exc:  # the map answers what it knows, re-raises the rest
            await send_plain(send, http_error(exc), [date])
            return
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": body})

    async def _answer(
        self, scope: Scope, now: float, date: tuple[bytes, bytes]
    ) -> tuple[int, Headers, bytes]:
        """The status, headers and body for the request."""
        target = self._targets.get(scope["path"])
        if target is None:
            return _plain(NO_SUCH_FEED, date)
        method = scope["method"]
        if method == "OPTIONS":
            return 204, [date, *PREFLIGHT], b""
        if method != "GET" and method != "HEAD":
            return _plain(NOT_ALLOWED, date)
        spec, fmt = target
        second = int(now)
        accept, if_none_match, if_modified_since = _conditional_headers(scope["headers"])
        state = self._cache.current(spec.key, now) or await self._cache.state(spec.key)
        encoding = choose_encoding(accept)
        rep = self._representation(spec, fmt, encoding, state)
        modified = (
            rep.last_modified
            if second >= rep.ready_at
            else http_date(last_modified(state.changed_us, second)).encode()
        )
        head = [
            date,
            (b"last-modified", modified),
            _cache_control(spec, state, now),
            *rep.validators,
        ]
        if not_modified(if_none_match, if_modified_since, rep.etag, state.changed_us, second):
            return 304, head, b""
        rendered = self._cache.peek(spec, fmt, state)
        if rendered is None:  # rendered for this request: say how long it took (W3C Server Timing)
            rendered = await self._cache.rendered(spec, fmt, state)
            head.append((b"server-timing", f"render;dur={rendered.render_ms:.2f}".encode()))
        body = rendered.encoded(encoding)
        head += rep.content
        head.append((b"content-length", str(len(body)).encode()))
        return 200, head, b"" if method == "HEAD" else body

    def _representation(
        self, spec: FeedSpec, fmt: FeedFormat, encoding: Encoding, state: FeedState
    ) -> Representation:
        key = (spec.key, fmt.extension, encoding)
        rep = self._representations.get(key)
        if rep is None or rep.state != state:
            rep = _representation(spec, fmt, encoding, state)
            self._representations[key] = rep
        return rep


def _representation(
    spec: FeedSpec, fmt: FeedFormat, encoding: Encoding, state: FeedState
) -> Representation:
    tag = state.etag(fmt, encoding)
    ready_at = change_second(state.changed_us)
    content = [
        (b"content-type", f"{fmt.media_type}; charset=utf-8".encode()),
        (b"content-language", spec.language.encode()),
        (b"x-content-type-options", b"nosniff"),
    ]
    if encoding != "identity":
        content.append((b"content-encoding", encoding.encode()))
    links = []
    if spec.hub:  # WebSub discovery (W3C WebSub §4): the hub and the topic's self URL
        self_url = spec.url(fmt.extension)
        links = [(b"link", f'<{spec.hub}>; rel="hub", <{self_url}>; rel="self"'.encode())]
    return Representation(
        state=state,
        etag=tag,
        ready_at=ready_at,
        last_modified=http_date(ready_at).encode(),
        validators=[
            (b"etag", tag.encode()),
            (b"vary", b"Accept-Encoding"),
            (b"access-control-allow-origin", b"*"),
            (b"access-control-expose-headers", b"ETag, Last-Modified, Link"),
            *links,
        ],
        content=content,
    )


def _cache_control(spec: FeedSpec, state: FeedState, now: float) -> tuple[bytes, bytes]:
    """``public, max-age=…``: the feed's, or less when the feed changes by itself sooner."""
    max_age = spec.max_age
    if state.next_us is not None:
        max_age = max(0, min(max_age, int(state.next_us / 1_000_000 - now)))
    return _cache_control_header(max_age)


@lru_cache(maxsize=1024)
def _cache_control_header(max_age: int) -> tuple[bytes, bytes]:
    return (b"cache-control", f"public, max-age={max_age}".encode())


def _conditional_headers(raw: list[tuple[bytes, bytes]]) -> tuple[str | None, ...]:
    """Accept-Encoding, If-None-Match and If-Modified-Since; repeats joined (RFC 9110 §5.3)."""
    found: dict[bytes, str] = {}
    for name, value in raw:
        if name in _WANTED:
            text = value.decode("latin-1")
            found[name] = f"{found[name]}, {text}" if name in found else text
    return (
        found.get(b"accept-encoding"),
        found.get(b"if-none-match"),
        found.get(b"if-modified-since"),
    )


_WANTED = frozenset({b"accept-encoding", b"if-none-match", b"if-modified-since"})


def _plain(error: HttpError, date: tuple[bytes, bytes]) -> tuple[int, Headers, bytes]:
    return error.status, [date, *error.plain_headers()], error.plain_body()
