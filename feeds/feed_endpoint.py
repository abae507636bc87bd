"""The feed endpoint: ``/feeds/{key}.{rss|atom}``, answered from the feed cache.

A plain ASGI callable rather than a Starlette view: it is the hot path, and
all it needs is the path, a few request headers and the cache. The 304
decision is made from the feed's state before any rendering. It sends its own
``Date`` from the same clock as ``Last-Modified``, so the one is never earlier
than the other (uvicorn's own Date header lags by up to a second).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from starlette.types import Receive, Scope, Send

from feeds.cache import FeedCache
from feeds.conditional import (
    Encoding,
    choose_encoding,
    etag,
    http_date,
    last_modified,
    not_modified,
)
from feeds.generator import MEDIA_TYPES
from feeds.spec import FORMATS, FeedSpec, Format

ENCODINGS: tuple[Encoding, ...] = ("br", "gzip")
ALLOW = b"GET, HEAD"
PREFIX = "/feeds/"


class FeedEndpoint:
    """Serves every feed in both formats, with validators, 304s and compression."""

    def __init__(
        self,
        specs: Mapping[str, FeedSpec],
        cache: FeedCache,
        clock: Callable[[], datetime],
    ) -> None:
        self._specs = specs
        self._cache = cache
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        now = self._clock()
        date = (b"date", http_date(now).encode())
        target = self._target(scope["path"].removeprefix(PREFIX))
        if target is None:
            await _plain(send, 404, b"No such feed.\n", [date])
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await _plain(send, 405, b"Method Not Allowed\n", [date, (b"allow", ALLOW)])
            return
        spec, fmt = target
        headers = _headers(scope)
        state = await self._cache.state(spec)
        encoding = choose_encoding(headers.get("accept-encoding"), ENCODINGS)
        tag = etag(f"{state.etag_base}.{fmt}", encoding)
        modified = last_modified(state.modified, now)
        common = [
            date,
            (b"etag", tag.encode()),
            (b"last-modified", http_date(modified).encode()),
            (b"cache-control", f"public, max-age={spec.max_age}".encode()),
            (b"vary", b"Accept-Encoding"),
            (b"access-control-allow-origin", b"*"),
        ]
        if not_modified(headers, tag, state.modified, now):
            await send({"type": "http.response.start", "status": 304, "headers": common})
            await send({"type": "http.response.body", "body": b""})
            return
        rendered = await self._cache.rendered(spec, fmt, state)
        body = rendered.encoded(encoding)
        response_headers = [
            (b"content-type", f"{MEDIA_TYPES[fmt]}; charset=utf-8".encode()),
            (b"content-language", spec.language.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"x-content-type-options", b"nosniff"),
            *common,
        ]
        if encoding != "identity":
            response_headers.append((b"content-encoding", encoding.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": response_headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    def _target(self, name: str) -> tuple[FeedSpec, Format] | None:
        key, dot, fmt = name.rpartition(".")
        spec = self._specs.get(key) if dot else None
        if spec is None or fmt not in FORMATS:
            return None
        return spec, fmt  # type: ignore[return-value]


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name; repeated ones joined as one list (RFC 9110 §5.3)."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


async def _plain(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
