"""Purging caches: telling every listed cache that a feed changed (``[cdn] purge``).

A sink of the outbox (:mod:`feeds.notify.outbox`), which brings the
reliability: changes queued in the write's transaction, leases, retries
with backoff, self-timed changes (an embargo ending) at their moment. This
module only speaks to the caches: for each, one request

    PURGE <the cache's URL from [cdn] purge>
    xkey-purge: nashra-feed-<feed>

which the shipped VCL (``config/varnish/nashra.vcl``) answers by dropping
every object that carries the feed's surrogate key: the feed in every
format and encoding, and its page. All caches are asked at once, each
within its own ``[cdn] purge_timeout``; a change is delivered once every
cache answered 2xx, so a cache that is down gets the purge again, with
backoff, while the others are not kept waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx2 as httpx

from feeds.model.surrogate import feed_key
from feeds.notify import names
from feeds.version import __version__

SINK = names.CDN
METHOD = "PURGE"
#: The request header listing the surrogate keys to purge, as the xkey vmod's examples name it.
KEYS_HEADER = "xkey-purge"


class CdnSink:
    """Purges feed changes from every listed cache."""

    name = SINK

    def __init__(self, targets: Sequence[str], timeout: float) -> None:
        self.targets = tuple(targets)
        self.timeout = timeout
        self._client = httpx.AsyncClient(
            timeout=timeout, headers={"User-Agent": f"nashra/{__version__} (cache purger)"}
        )

    async def deliver(self, feed: str) -> list[str]:
        results = await asyncio.gather(*(self._purge(t, feed_key(feed)) for t in self.targets))
        return [error for error in results if error is not None]

    async def close(self) -> None:
        await self._client.aclose()

    async def _purge(self, target: str, key: str) -> str | None:
        """Purge ``key`` from the cache at ``target``; None on a 2xx, else what went wrong.

        The description names the cache by host and port only: its URL may
        carry a secret.
        """
        where = urlsplit(target).netloc.rpartition("@")[2]
        try:
            async with asyncio.timeout(self.timeout):  # the whole request, not each phase
                response = await self._client.request(METHOD, target, headers={KEYS_HEADER: key})
        except TimeoutError:
            return f"{where}: no answer within {self.timeout:g} s"
        except httpx.HTTPError as error:
            return f"{where}: {type(error).__name__}" + (f": {error}" if str(error) else "")
        if response.is_success:
            return None
        return f"{where}: HTTP {response.status_code}"
