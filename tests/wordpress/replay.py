"""A loopback WordPress for the sync tests: recorded posts, served as WordPress serves them.

The posts are the ones a real WordPress 6.1 sent (tests/fixtures/wordpress,
recorded by ``tests/fixtures/wordpress/record.py``; see tests/fixtures/README),
one list per recorded state (``before``, ``after``). The collection
semantics the sync relies on are WordPress's as those recordings and the
notes beside them show: ``orderby=modified&order=asc``, ``modified_after``
strict in whole seconds, ``X-WP-Total`` and ``X-WP-TotalPages`` (0 and 0
for nothing), 400 ``rest_post_invalid_page_number`` past the last page,
``_fields``, ``include``, term lookups by ``slug``. ``plain`` serves the
site as it answers with pretty permalinks off: ``/wp-json/…`` redirects to
an HTML page, ``/?rest_route=…`` is the API.

Failures are planned with :meth:`ReplayWordPress.fail`: the next request(s)
matching a predicate get another status, headers, body, a delay (a
timeout), or a redirect; ``on_request`` hooks change the state between two
requests (pages that change while a sync reads them).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wordpress"

Query = dict[str, str]


def recorded(state: str, name: str = "posts-page1") -> Any:
    """The JSON body of the recorded response ``name`` of ``state``."""
    index = json.loads((FIXTURES / state / "index.json").read_text(encoding="utf-8"))
    entry = next(e for e in index if e["name"] == name)
    return json.loads((FIXTURES / state / entry["body"]).read_bytes())


@dataclass
class Fault:
    """What the next ``times`` requests matching ``matches`` get instead of the answer."""

    matches: Callable[[str, Query], bool]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    delay: float = 0.0  # seconds before answering; with status 200 and no body, then the answer
    times: int = 1


@dataclass
class Seen:
    at: float
    path: str
    query: Query
    served: list[int] = field(default_factory=list)  # the ids of the posts answered with


class ReplayWordPress:
    """The server's state; ``url`` is the site's address (``http://127.0.0.1:PORT/``)."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = recorded("before")
        self.plain = False
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.on_request: list[Callable[[Seen], None]] = []
        self.url = ""
        self._lock = threading.Lock()

    def state(self, name: str) -> None:
        self.posts = recorded(name)

    def fail(self, matches: Callable[[str, Query], bool] = lambda p, q: True, **how: Any) -> None:
        self.faults.append(Fault(matches, **how))

    def post_requests(self) -> list[Seen]:
        return [s for s in self.seen if s.path.endswith("/wp/v2/posts")]

    # -- answering ---------------------------------------------------------------------------

    def answer(self, path: str, query: Query) -> tuple[int, dict[str, str], bytes, float]:
        seen = Seen(time.monotonic(), path, query)
        with self._lock:
            self.seen.append(seen)
            fault = next((f for f in self.faults if f.times > 0 and f.matches(path, query)), None)
            if fault is not None:
                fault.times -= 1
            for hook in list(self.on_request):
                hook(seen)
        delay = fault.delay if fault else 0.0
        if fault is not None and (fault.body is not None or fault.status != 200):
            return fault.status, fault.headers, fault.body or b"", delay
        status, headers, body = self._route(path, dict(query))
        if status == 200 and (
            path.endswith("/wp/v2/posts") or query.get("rest_route") == "/wp/v2/posts"
        ):
            seen.served = [p["id"] for p in json.loads(body) if isinstance(p, dict) and "id" in p]
        return status, {**headers, **(fault.headers if fault else {})}, body, delay

    def _route(self, path: str, query: Query) -> tuple[int, dict[str, str], bytes]:
        if self.plain and path.startswith("/wp-json/"):
            if not path.endswith("/"):
                return 301, {"Location": self.url.rstrip("/") + path + "/"}, b""
            return 200, {"Content-Type": "text/html; charset=UTF-8"}, b""
        route = query.pop("rest_route", None) if path == "/" else None
        if route is None and path.startswith("/wp-json/"):
            route = path.removeprefix("/wp-json")
        if route == "/wp/v2/posts":
            return self._posts(query)
        if route in {"/wp/v2/categories", "/wp/v2/tags"}:
            return self._terms(route.rsplit("/", 1)[1], query)
        if route is not None:
            return _error(
                404, "rest_no_route", "No route was found matching the URL and request method."
            )
        return 404, {"Content-Type": "text/html"}, b"<html><body>Not Found</body></html>"

    def _posts(self, query: Query) -> tuple[int, dict[str, str], bytes]:
        per_page = int(query.get("per_page", "10"))
        if not 1 <= per_page <= 100:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
        page = int(query.get("page", "1"))
        posts = self.posts
        if "modified_after" in query:
            after = datetime.fromisoformat(query["modified_after"].replace("Z", "")).replace(
                microsecond=0
            )
            posts = [p for p in posts if datetime.fromisoformat(p["modified_gmt"]) > after]
        if "include" in query:
            wanted = {int(i) for i in query["include"].split(",")}
            posts = [p for p in posts if p["id"] in wanted]
        key = {"id": "id", "modified": "modified_gmt", "date": "date_gmt"}[
            query.get("orderby", "date")
        ]
        posts = sorted(posts, key=lambda p: (p[key], p["id"]), reverse=query.get("order") != "asc")
        total = len(posts)
        pages = math.ceil(total / per_page)
        if total and page > pages:
            return _error(
                400,
                "rest_post_invalid_page_number",
                "The page number requested is larger than the number of pages available.",
            )
        chosen = posts[(page - 1) * per_page : page * per_page]
        if "_fields" in query:
            names = query["_fields"].split(",")
            chosen = [{n: p[n] for n in names if n in p} for p in chosen]
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        return 200, {**_JSON, **headers}, json.dumps(chosen).encode()

    def _terms(self, taxonomy: str, query: Query) -> tuple[int, dict[str, str], bytes]:
        name = {"categories": "category", "tags": "post_tag"}[taxonomy]
        terms: dict[int, dict[str, Any]] = {}
        for post in self.posts:
            for group in post.get("_embedded", {}).get("wp:term", []):
                for term in group:
                    if term["taxonomy"] == name:
                        terms[term["id"]] = {"id": term["id"], "slug": term["slug"]}
        wanted = {unquote(s).lower() for s in query.get("slug", "").split(",") if s}
        found = [t for t in terms.values() if not wanted or unquote(t["slug"]) in wanted]
        headers = {"X-WP-Total": str(len(found)), "X-WP-TotalPages": "1"}
        return 200, {**_JSON, **headers}, json.dumps(found).encode()


_JSON = {"Content-Type": "application/json; charset=UTF-8"}


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = {"code": code, "message": message, "data": {"status": status}}
    return status, _JSON, json.dumps(body).encode()


@contextmanager
def replay_wordpress() -> Iterator[ReplayWordPress]:
    """A :class:`ReplayWordPress` served on a free loopback port until the block ends."""
    site = ReplayWordPress()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            status, headers, body, delay = site.answer(parts.path, query)
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
