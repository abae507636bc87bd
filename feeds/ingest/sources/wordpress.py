"""The WordPress REST API, read as an anonymous visitor: posts a page at a time.

``/wp-json/wp/v2/posts`` (or ``/?rest_route=/wp/v2/posts`` where pretty
permalinks are off, found once per run), 100 posts a page with ``_embed``
for the author, the terms and the featured image. Every request:

* times out after ``[wordpress] timeout`` seconds without progress;
* is retried ``[wordpress] retries`` times after a timeout, a lost
  connection, a 5xx or a 429, with exponential backoff (1, 2, 4… s, at most 60),
  or after as long as a ``Retry-After`` says (at most 300 s);
* follows a redirect only within the same scheme, host and port: a site
  that moved to another host is an error naming the new place, since
  syncing it silently would pull another site's posts;
* fails with one :class:`WordPressError` line otherwise (401, 403, 404, a
  page that is not the JSON WordPress sends, retries exhausted).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx2 as httpx

from feeds.config.loader import decode_slug
from feeds.config.settings import WordPressOptions
from feeds.ingest.sources.wordpress_mapping import WordPressImage, WordPressPost
from feeds.version import __version__
from store.errors import NashraError

PER_PAGE = 100
POSTS_ROUTE = "/wp/v2/posts"
EMBED = "author,wp:featuredmedia,wp:term"
MAX_BACKOFF = 60.0
MAX_RETRY_AFTER = 300.0
MAX_REDIRECTS = 5
LISTING_ATTEMPTS = 3  # listings of the public ids, when posts come and go meanwhile
TOO_MANY_REQUESTS = 429  # retried like a 5xx, after its Retry-After


class WordPressError(NashraError):
    """The site cannot be synced as it answers: one line saying why."""


@dataclass(frozen=True, slots=True)
class PostsPage:
    """One page of posts, as WordPress sent it, with its totals."""

    posts: list[WordPressPost]
    total: int
    total_pages: int


Sleep = Callable[[float], Awaitable[None]]


class WordPressClient:
    """One site's REST API; :attr:`requests` counts the HTTP requests made (retries too)."""

    def __init__(
        self,
        url: str,
        options: WordPressOptions,
        *,
        backoff: float = 1.0,
        sleep: Sleep = asyncio.sleep,
        per_page: int = PER_PAGE,
    ) -> None:
        self.site = site_url(url)
        self.options = options
        self.requests = 0
        self.per_page = per_page  # WordPress allows 1 to 100
        self._backoff = backoff
        self._sleep = sleep
        self._pretty: bool | None = None  # /wp-json/ (True) or ?rest_route= (False)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(options.timeout),
            follow_redirects=False,
            headers={"User-Agent": f"nashra/{__version__} (+sync wordpress)"},
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def posts(
        self, page: int, modified_after: datetime | None = None, include: list[int] | None = None
    ) -> PostsPage:
        """Published posts, oldest modification first (``modified_after``: strictly after)."""
        params = {
            "per_page": str(self.per_page),
            "page": str(page),
            "orderby": "modified",
            "order": "asc",
            "_embed": EMBED,
        }
        if modified_after is not None:
            params["modified_after"] = modified_after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if include is not None:
            params["include"] = ",".join(map(str, include))
        response = await self._get(POSTS_ROUTE, params)
        posts = []
        for item in _list(response):
            try:
                posts.append(post_from_json(item))
            except (KeyError, TypeError, ValueError) as error:
                raise WordPressError(
                    f"{response.url}: malformed post {item.get('id', '?')!r}: {error!r}"
                ) from None
        return PostsPage(posts, _header_int(response, "X-WP-Total"), _total_pages(response))

    async def public_posts(self) -> dict[int, frozenset[int]]:
        """Every published post's id, with the ids of its categories and tags (``_fields``).

        Read again (up to :data:`LISTING_ATTEMPTS` times) if the number of posts
        changed while it was paged: a post leaving public view shifts the pages,
        and a public post missed here would be taken for one that left.
        """
        for _ in range(LISTING_ATTEMPTS - 1):
            found, steady = await self._public_posts()
            if steady:
                return found
        found, steady = await self._public_posts()
        if not steady:
            raise WordPressError(
                f"{self.site}: the list of published posts changed while it was read, "
                f"{LISTING_ATTEMPTS} times; try again"
            )
        return found

    async def _public_posts(self) -> tuple[dict[int, frozenset[int]], bool]:
        """One listing, and whether its total stayed the same from its first page to its last."""
        found: dict[int, frozenset[int]] = {}
        totals: set[int] = set()
        page, pages = 1, 1
        while page <= pages:
            params = {
                "per_page": str(self.per_page),
                "page": str(page),
                "orderby": "id",
                "order": "asc",
                "_fields": "id,categories,tags",
            }
            response = await self._get(POSTS_ROUTE, params)
            for item in _list(response):
                terms = [*(item.get("categories") or []), *(item.get("tags") or [])]
                if not isinstance(item.get("id"), int) or not all(
                    isinstance(t, int) for t in terms
                ):
                    raise WordPressError(f"{response.url}: a malformed post: {item!r:.80}")
                found[item["id"]] = frozenset(terms)
            totals.add(_header_int(response, "X-WP-Total"))
            pages = _total_pages(response)
            page += 1
        return found, len(totals) == 1 and len(found) in totals

    async def term_ids(self, taxonomy: str, slugs: Collection[str]) -> set[int]:
        """The ids of the ``categories`` or ``tags`` with these (decoded) slugs."""
        if not slugs:
            return set()
        params = {
            "slug": ",".join(sorted(slugs)),
            "per_page": str(self.per_page),
            "_fields": "id,slug",
        }
        response = await self._get(f"/wp/v2/{taxonomy}", params)
        return {
            term["id"]
            for term in _list(response)
            if isinstance(term.get("id"), int)
            and isinstance(term.get("slug"), str)
            and decode_slug(term["slug"]) in slugs
        }

    # -- HTTP ------------------------------------------------------------------

    def _target(
        self, route: str, pretty: bool, params: dict[str, str]
    ) -> tuple[str, dict[str, str]]:
        """The URL and query of ``route``: ``/wp-json/ROUTE?…`` or ``/?rest_route=ROUTE&…``."""
        if pretty:
            return f"{self.site}wp-json{route}", params
        return self.site, {"rest_route": route, **params}

    async def _get(self, route: str, params: dict[str, str]) -> httpx.Response:
        if self._pretty is None:
            self._pretty = await self._discover(route)
        return await self._request(*self._target(route, self._pretty, params))

    async def _discover(self, route: str) -> bool:
        """Whether the API answers at ``/wp-json/``; else ``?rest_route=``; else an error."""
        probe = {"per_page": "1", "_fields": "id"}
        pretty = await self._request(*self._target(route, True, probe), ok_404=True)
        if pretty.status_code == 200 and _is_json(pretty):
            return True
        plain = await self._request(*self._target(route, False, probe), ok_404=True)
        if plain.status_code == 200 and _is_json(plain):
            return False
        raise WordPressError(
            f"{self.site} is not a WordPress site with its REST API on: {pretty.url} answered "
            f"{_said(pretty)} and {plain.url} answered {_said(plain)}"
        )

    async def _request(
        self, url: str, params: dict[str, str], *, ok_404: bool = False
    ) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._follow(url, params)
            except httpx.TimeoutException:
                problem, wait = f"timed out after {self.options.timeout} s", None
            except httpx.TransportError as error:
                problem, wait = f"cannot be reached ({error or type(error).__name__})", None
            else:
                if response.status_code < 500 and response.status_code != TOO_MANY_REQUESTS:
                    return _checked(response, ok_404)
                problem = f"answered {_said(response)}"
                wait = _retry_after(response)
            if attempt >= self.options.retries:
                tries = f" ({attempt + 1} attempts)" if attempt else ""
                raise WordPressError(f"{_shown_url(url, params)} {problem}{tries}")
            await self._sleep(wait if wait is not None else self._pause(attempt))
            attempt += 1

    def _pause(self, attempt: int) -> float:
        return min(self._backoff * 2.0**attempt, MAX_BACKOFF)

    async def _follow(self, url: str, params: dict[str, str]) -> httpx.Response:
        """GET, following redirects within the same scheme, host and port only."""
        target, query = url, params
        for _ in range(MAX_REDIRECTS + 1):
            self.requests += 1
            response = await self._client.get(target, params=query)
            if not response.is_redirect:
                return response
            location = urljoin(str(response.url), response.headers.get("Location", ""))
            here, there = urlsplit(str(response.url)), urlsplit(location)
            if (here.scheme, here.netloc) != (there.scheme, there.netloc):
                raise WordPressError(
                    f"{response.url} redirects to {location}, another host (or scheme): "
                    "nashra does not follow it; if the site moved, sync its new URL"
                )
            target, query = location, {}
        raise WordPressError(f"{url} redirects more than {MAX_REDIRECTS} times")


def site_url(url: str) -> str:
    """A WordPress site's address as nashra keeps it (with its final ``/``); an error if it is
    no http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise WordPressError(f"{url!r} is not the http(s) address of a WordPress site")
    return url if url.endswith("/") else url + "/"


def _checked(response: httpx.Response, ok_404: bool) -> httpx.Response:
    status = response.status_code
    if status == 200 or (ok_404 and status in {400, 401, 403, 404}):
        return response
    advice = {
        401: "the REST API wants a login here (a security plugin?)",
        403: "the REST API is closed to visitors here (a security plugin?)",
        404: "no such route: is the REST API on?",
    }.get(status, "unexpected")
    raise WordPressError(f"{response.url} answered {_said(response)}: {advice}")


def _said(response: httpx.Response) -> str:
    """``404 Not Found``, with WordPress's own message when it sent one."""
    said = f"{response.status_code} {response.reason_phrase}".strip()
    if _is_json(response):
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            said += f" ({data['message'][:120]})"
    return said


def _is_json(response: httpx.Response) -> bool:
    return response.headers.get("Content-Type", "").split(";")[0].strip().endswith("json")


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError) as error:
        raise WordPressError(f"{response.url}: not JSON ({error}): {_start(response)}") from None


def _list(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON list of objects a collection answers with."""
    data = _json(response)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise WordPressError(f"{response.url}: not a list of posts or terms: {_start(response)}")
    return data


def _start(response: httpx.Response) -> str:
    return repr(response.text[:60]) + ("…" if len(response.text) > 60 else "")


def _shown_url(url: str, params: dict[str, str]) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}" if query else url


def _header_int(response: httpx.Response, name: str) -> int:
    value = response.headers.get(name, "")
    if not value.isdigit():
        raise WordPressError(f"{response.url}: no {name} header: is this WordPress's REST API?")
    return int(value)


def _total_pages(response: httpx.Response) -> int:
    return _header_int(response, "X-WP-TotalPages")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), capped; None if absent."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)


def _gmt(value: object) -> datetime | None:
    if not isinstance(value, str) or value.startswith("0000"):
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


def post_from_json(item: dict[str, Any]) -> WordPressPost:
    """A post of the REST API (``_embed``-ed) as a :class:`WordPressPost`."""
    embedded = item.get("_embedded") or {}
    terms = [
        t for group in embedded.get("wp:term") or [] for t in group or [] if isinstance(t, dict)
    ]
    categories = tuple(decode_slug(t["slug"]) for t in terms if t.get("taxonomy") == "category")
    tags = tuple(decode_slug(t["slug"]) for t in terms if t.get("taxonomy") == "post_tag")
    authors = [a for a in embedded.get("author") or [] if isinstance(a, dict) and "name" in a]
    language = item.get("lang")
    return WordPressPost(
        id=int(item["id"]),
        link=item.get("link"),
        title=_rendered(item.get("title")),
        content=_rendered(item.get("content")),
        excerpt=_rendered(item.get("excerpt")),
        date_gmt=item.get("date_gmt"),
        modified_gmt=item.get("modified_gmt"),
        author=str(authors[0]["name"]) if authors else None,
        categories=categories,
        tags=tags,
        image=_featured(embedded.get("wp:featuredmedia")),
        language=language if isinstance(language, str) and language else None,
        protected=bool((item.get("content") or {}).get("protected")),
    )


def _rendered(field: object) -> str:
    if isinstance(field, dict):
        rendered = field.get("rendered")
        return rendered if isinstance(rendered, str) else ""
    return ""


def _featured(media: object) -> WordPressImage | None:
    """The embedded featured image; None when there is none or it is not readable."""
    if not isinstance(media, list) or not media or not isinstance(media[0], dict):
        return None
    first = media[0]
    url = first.get("source_url")
    if not isinstance(url, str) or first.get("code"):  # {"code": "rest_forbidden", …}
        return None
    details = first.get("media_details") if isinstance(first.get("media_details"), dict) else {}
    assert isinstance(details, dict)

    def whole(value: object) -> int | None:
        return (
            value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
        )

    return WordPressImage(
        url=url,
        type=first.get("mime_type") if isinstance(first.get("mime_type"), str) else None,
        length=whole(details.get("filesize")),
        alt=first.get("alt_text") if isinstance(first.get("alt_text"), str) else None,
        width=whole(details.get("width")),
        height=whole(details.get("height")),
    )
