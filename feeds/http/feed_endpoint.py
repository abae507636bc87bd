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

Every feed URL also has a page for people (:data:`HTML_VIEW`): at
``/feeds/{key}.html``, and at the feed's own URL when a browser navigates
to it, which the request's fetch metadata alone tells (``Sec-Fetch-Dest:
document`` and ``Sec-Fetch-Mode: navigate``; feed readers send neither and
``fetch()`` sends others (``empty``, ``cors``), whatever their Accept or
User-Agent say). Browsers send fetch metadata only to trustworthy origins
(HTTPS, or loopback), so a site served over plain HTTP keeps showing the
feed itself to a browser, as before. So a feed URL's answers
say ``Vary: Accept-Encoding, Sec-Fetch-Dest, Sec-Fetch-Mode``, and the page
given there is ``private``: a shared cache that ignores Vary can still never
hand it to a reader. The feed stays ``public``; a cache that honours Vary
never gives it to a navigation, and one that does not gives a browser the
feed, as before the page existed, never a reader the page.

Shared caches (a CDN, Varnish) that nashra purges on every change
(``cdn.purge``, :mod:`feeds.notify.cdn`) get their own lifetime,
``s-maxage``, long; any shared cache may
serve a stale copy while they refetch or while nashra is down. Every
lifetime, shared or not, ends at the feed's next self-timed change. Each
feed response names its surrogate keys (:mod:`feeds.model.surrogate`) in
the headers the settings list, so one purge reaches every format and
encoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from starlette.types import Receive, Scope, Send

from feeds.config.settings import CdnOptions
from feeds.formats.base import FeedFormat
from feeds.formats.registry import FORMATS, HTML_VIEW
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
from feeds.model.surrogate import surrogate_keys
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
#: A feed URL's answer depends on these: the encoding, and whether a browser navigates.
VARY_NEGOTIATED = b"Accept-Encoding, Sec-Fetch-Dest, Sec-Fetch-Mode"
VARY_FIXED = b"Accept-Encoding"


@dataclass(frozen=True, slots=True)
class Representation:
    """One feed in one format and content coding, at one state: its fixed headers."""

    state: FeedState
    etag: str
    ready_at: int  # from this second on, Last-Modified is the fixed ``last_modified``
    last_modified: bytes
    validators: Headers  # ETag, Vary, CORS: sent with 200 and 304 alike
    content: Headers  # Content-Type, Content-Language, Content-Encoding…
    shared: bool  # whether shared caches may store it: Cache-Control public, else private
    cache_control: tuple[bytes, bytes]  # while the feed has no self-timed change to come


@dataclass(frozen=True, slots=True)
class Target:
    """What a URL serves: a feed in a format, and the page a navigation gets instead, if any."""

    spec: FeedSpec
    fmt: FeedFormat
    page: FeedFormat | None  # None at the page's own URL: it is what every request gets


#: Answers sent as they are, never raised: a raised exception object gathers the
#: frames of every request that raised it, and these would be raised again and again.
NO_SUCH_FEED = HttpError(404, "No such feed.")
NOT_ALLOWED = HttpError(405, "Method Not Allowed", headers={"Allow": ALLOW.decode()})


class FeedEndpoint:
    """Serves every feed in every format, with validators, 304s and compression."""

    def __init__(
        self, specs: Mapping[str, FeedSpec], cache: FeedCache, clock: Clock, cdn: CdnOptions
    ) -> None:
        self._cache = cache
        self._clock = clock
        self._cdn = cdn
        self._targets = {
            f"{PREFIX}{key}.{fmt.extension}": Target(spec, fmt, HTML_VIEW)
            for key, spec in specs.items()
            for fmt in FORMATS
        }
        for key, spec in specs.items():
            self._targets[f"{PREFIX}{key}.{HTML_VIEW.extension}"] = Target(spec, HTML_VIEW, None)
        # by feed, format, encoding, and whether the URL negotiates (a feed URL)
        self._representations: dict[tuple[str, str, Encoding, bool], Representation] = {}

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
        spec, fmt, page = target.spec, target.fmt, target.page
        second = int(now)
        accept, if_none_match, if_modified_since, dest, mode = _conditional_headers(
            scope["headers"]
        )
        if page is not None and dest == "document" and mode == "navigate":
            fmt = page  # a browser navigating to a feed URL: the page, for a person
        state = self._cache.current(spec.key, now) or await self._cache.state(spec.key)
        encoding = choose_encoding(accept)
        rep = self._representation(spec, fmt, encoding, state, page is not None)
        modified = (
            rep.last_modified
            if second >= rep.ready_at
            else http_date(last_modified(state.changed_us, second)).encode()
        )
        head = [
            date,
            (b"last-modified", modified),
            rep.cache_control
            if state.next_us is None
            else _cache_control(spec, self._cdn, state.next_us / 1_000_000 - now, rep.shared),
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
        self,
        spec: FeedSpec,
        fmt: FeedFormat,
        encoding: Encoding,
        state: FeedState,
        negotiated: bool,
    ) -> Representation:
        key = (spec.key, fmt.extension, encoding, negotiated)
        rep = self._representations.get(key)
        if rep is None or rep.state != state:
            rep = _representation(spec, fmt, encoding, state, negotiated, self._cdn)
            self._representations[key] = rep
        return rep


def _representation(
    spec: FeedSpec,
    fmt: FeedFormat,
    encoding: Encoding,
    state: FeedState,
    negotiated: bool,
    cdn: CdnOptions,
) -> Representation:
    """The fixed headers of the feed in ``fmt`` and ``encoding`` at ``state``.

    ``negotiated``: served at a feed URL, whose answer depends on whether a browser navigates.
    """
    tag = state.etag(fmt, encoding)
    is_page = fmt is HTML_VIEW
    ready_at = change_second(state.changed_us)
    content = [
        (b"content-type", f"{fmt.media_type}; charset=utf-8".encode()),
        (b"content-language", spec.language.encode()),
        (b"x-content-type-options", b"nosniff"),
    ]
    content += [(name.encode(), value.encode()) for name, value in fmt.headers]
    if encoding != "identity":
        content.append((b"content-encoding", encoding.encode()))
    links = []
    if spec.hub and not is_page:  # WebSub discovery (W3C WebSub §4): the hub and the topic's URL
        self_url = spec.url(fmt.extension)
        links = [(b"link", f'<{spec.hub}>; rel="hub", <{self_url}>; rel="self"'.encode())]
    shared = not (is_page and negotiated)  # the page at a feed URL: the browser's cache only
    keys = surrogate_keys(spec.key, fmt.extension)
    return Representation(
        state=state,
        etag=tag,
        ready_at=ready_at,
        last_modified=http_date(ready_at).encode(),
        validators=[
            (b"etag", tag.encode()),
            (b"vary", VARY_NEGOTIATED if negotiated else VARY_FIXED),
            (b"access-control-allow-origin", b"*"),
            (b"access-control-expose-headers", b"ETag, Last-Modified, Link"),
            *links,
            *((name.encode(), _key_list(name, keys).encode()) for name in cdn.key_headers),
        ],
        content=content,
        shared=shared,
        cache_control=_cache_control(spec, cdn, None, shared),
    )


def _key_list(header: str, keys: list[str]) -> str:
    """Keys as ``header`` lists them: Cloudflare's Cache-Tag by commas, the others by spaces."""
    return ",".join(keys) if header.lower() == "cache-tag" else " ".join(keys)


def _cache_control(
    spec: FeedSpec, cdn: CdnOptions, until_change: float | None, shared: bool
) -> tuple[bytes, bytes]:
    """The feed's lifetimes, each ending by its next self-timed change (``until_change`` s).

    A page at a feed URL is ``private``: only the browser keeps it. The feed
    is ``public``, with ``s-maxage`` for shared caches when nashra purges
    them (``cdn.purge``; a cache nothing purges keeps it ``max-age``, as
    readers do), and ``stale-while-revalidate`` only as far as it stays
    before the change: a cache never serves a feed past its next change,
    unless nashra is down (``stale-if-error``).
    """
    max_age, revalidate = spec.max_age, cdn.stale_while_revalidate
    s_maxage = cdn.s_maxage if cdn.purge else max_age
    if until_change is not None:
        left = max(0, int(until_change))
        max_age, s_maxage = min(max_age, left), min(s_maxage, left)
        revalidate = min(revalidate, left - s_maxage)
    if not shared:
        return _cache_control_header(f"private, max-age={max_age}")
    return _cache_control_header(
        f"public, max-age={max_age}"
        + (f", s-maxage={s_maxage}" if cdn.purge else "")
        + (f", stale-while-revalidate={revalidate}" if revalidate else "")
        + (f", stale-if-error={cdn.stale_if_error}" if cdn.stale_if_error else "")
    )


@lru_cache(maxsize=1024)
def _cache_control_header(value: str) -> tuple[bytes, bytes]:
    return (b"cache-control", value.encode())


def _conditional_headers(raw: list[tuple[bytes, bytes]]) -> tuple[str | None, ...]:
    """Accept-Encoding, If-None-Match, If-Modified-Since, Sec-Fetch-Dest and Sec-Fetch-Mode.

    Repeats are joined (RFC 9110 §5.3); a repeated Sec-Fetch header so joined
    matches no value, and the request is not taken for a navigation.
    """
    found: dict[bytes, str] = {}
    for name, value in raw:
        if name in _WANTED:
            text = value.decode("latin-1")
            found[name] = f"{found[name]}, {text}" if name in found else text
    return (
        found.get(b"accept-encoding"),
        found.get(b"if-none-match"),
        found.get(b"if-modified-since"),
        found.get(b"sec-fetch-dest"),
        found.get(b"sec-fetch-mode"),
    )


_WANTED = frozenset(
    {b"accept-encoding", b"if-none-match", b"if-modified-since", b"sec-fetch-dest",
     b"sec-fetch-mode"}
)  # fmt: skip


def _plain(error: HttpError, date: tuple[bytes, bytes]) -> tuple[int, Headers, bytes]:
    return error.status, [date, *error.plain_headers()], error.plain_body()
