"""WebSub publisher: telling the hub about every change to a feed (W3C WebSub §7).

A sink of the outbox (:mod:`feeds.notify.outbox`), which brings the
reliability: changes queued in the write's transaction, leases, retries
with backoff, self-timed changes. This module only speaks to the hub: one
``hub.mode=publish`` request per topic (each feed has one per format, its
URL in each: one request per topic is what every hub accepts), concurrently
but bounded; a change is delivered once every topic got a 2xx.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx2 as httpx

from feeds.formats.registry import FORMATS
from feeds.model.spec import FeedSpec
from feeds.notify import names
from feeds.version import __version__

SINK = names.WEBSUB
REQUEST_TIMEOUT = 5.0  # seconds for each phase (connect, write, read) of one request
CONCURRENCY = 8  # requests in flight to the hub at once


class WebSubSink:
    """Publishes feed changes to one WebSub hub."""

    name = SINK

    def __init__(self, hub: str, specs: Mapping[str, FeedSpec]) -> None:
        self.hub = hub
        self.specs = specs
        self._client = httpx.AsyncClient(
            timeout=REQUEST_TIMEOUT,
            headers={"User-Agent": f"nashra/{__version__} (WebSub publisher)"},
        )
        self._limit = asyncio.Semaphore(CONCURRENCY)

    def topics(self, feed: str) -> list[str]:
        """The feed's topic URLs: one per format."""
        spec = self.specs[feed]
        return [spec.url(fmt.extension) for fmt in FORMATS]

    async def deliver(self, feed: str) -> list[str]:
        results = await asyncio.gather(*(self._publish(t) for t in self.topics(feed)))
        return [error for error in results if error is not None]

    async def close(self) -> None:
        await self._client.aclose()

    async def _publish(self, topic: str) -> str | None:
        """POST ``hub.mode=publish`` for ``topic``; None on a 2xx, else what went wrong.

        The description names no URL: the hub's may carry a secret.
        """
        async with self._limit:
            try:
                response = await self._client.post(
                    self.hub, data={"hub.mode": "publish", "hub.url": topic}
                )
            except httpx.HTTPError as error:
                return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        if response.is_success:
            return None
        return f"HTTP {response.status_code}"
