"""nashra behind a real Varnish (config/varnish/nashra.vcl): cached GET, 304, purge latency.

The load server's config lists the Varnish in ``[cdn] purge`` and has an API
token; varnishd is started in front of it (see
:mod:`tests.support.varnish`), the cached GET and the conditional GET run
through it, then :data:`WRITES` API writes each add an article to the main
category, and the time until it shows in the feed through Varnish is
measured: the purge, the refetch and the render.
"""

from __future__ import annotations

import shutil
import statistics
import time
from dataclasses import dataclass

import httpx2 as httpx

from feeds.http.tokens import hash_token
from tests.bench.cases import Case, main_category, validators
from tests.support.builders import record

WRITES = 100
TOKEN = "bench-token"
VISIBLE_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class PurgeLatency:
    """Milliseconds from an API write's answer to its article in the feed through Varnish."""

    writes: int
    median_ms: float
    worst_ms: float


def available() -> bool:
    return shutil.which("varnishd") is not None


def cdn_toml(varnish_port: int) -> str:
    """What the load server's config adds: the Varnish to purge, and an API token."""
    return (
        f'\n[cdn]\npurge = ["http://127.0.0.1:{varnish_port}/"]\n'
        f'\n[[tokens]]\nname = "bench"\nhash = "{hash_token(TOKEN)}"\n'
    )


def varnish_cases(port: int, categories: list[str]) -> list[Case]:
    main = f"/feeds/{main_category(categories)}.rss"
    conditional = validators(port, main)
    return [
        Case("va", f"via Varnish: GET {main}", (main,)),
        Case("vc", f"via Varnish: conditional GET {main} (304)", (main,), conditional, 304),
        Case("vd", f"via Varnish: GET {main}, gzip", (main,), {"Accept-Encoding": "gzip"}),
    ]


def purge_latency(backend: int, cache: int, categories: list[str]) -> PurgeLatency:
    """:data:`WRITES` API writes to nashra; each one's delay until Varnish shows it."""
    feed = f"http://127.0.0.1:{cache}/feeds/{main_category(categories)}.rss"
    api = f"http://127.0.0.1:{backend}/api/articles"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    delays = []
    with httpx.Client(timeout=10) as client:
        for index in range(WRITES):
            client.get(feed)  # cached before the write
            story = record(900_000 + index, categories=[main_category(categories)],
                           published=_now_iso(), updated=_now_iso())  # fmt: skip
            answer = client.post(api, json=story, headers=auth)
            answer.raise_for_status()
            written = time.perf_counter()
            link = story["link"].encode()
            while link not in client.get(feed).content:
                if time.perf_counter() - written > VISIBLE_TIMEOUT_S:
                    raise RuntimeError(f"write {index} not visible through Varnish in 10 s")
            delays.append((time.perf_counter() - written) * 1000)
    return PurgeLatency(WRITES, statistics.median(delays), max(delays))


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 1))
