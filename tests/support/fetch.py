"""One way to read a page or feed in a test: GET it, insist on 200, validate a feed."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx2 as httpx
from starlette.testclient import TestClient

from tests.support.feed_validator import atom_problems, rss_problems
from tests.support.jsonfeed_validator import jsonfeed_problems

#: the ``fetch`` fixture: ``fetch("/feeds/all.atom", {"Accept-Encoding": "identity"})``
Fetch = Callable[..., httpx.Response]
VALIDATORS = {".rss": rss_problems, ".atom": atom_problems, ".json": jsonfeed_problems}


def fetch(
    client: TestClient,
    path: str,
    headers: Mapping[str, str] | None = None,
    *,
    validate: bool = True,
) -> httpx.Response:
    """The 200 answer to ``GET path``; a feed's body has passed the offline validator.

    ``validate=False`` is for a feed that carries, on purpose, what the
    validator warns about (text that reads as escaped markup, say).
    """
    response = client.get(path, headers=headers)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text!r}"
    if validate and path.startswith("/feeds/"):
        check = VALIDATORS[path[path.rindex(".") :]]
        url = str(response.request.url.copy_with(query=None))
        assert check(response.content, url=url) == [], path
    return response
