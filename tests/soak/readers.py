"""Feed readers: each polls every feed in every format, conditionally, as real readers do.

A reader keeps the ETag and Last-Modified of each URL and sends them back
(If-None-Match, If-Modified-Since), so most answers are 304 and a change
is a 200. Every 200's body must parse (XML, or JSON for JSON Feed): a torn
answer would show here.
"""

from __future__ import annotations

import asyncio
import json
import random

import httpx2 as httpx
from lxml import etree

from tests.soak.outcomes import Outcomes

TIMEOUT = 10.0


async def read_feeds(
    base: str, paths: list[str], stop: asyncio.Event, outcomes: Outcomes, seed: int
) -> None:
    """Poll ``paths`` in a shuffled round, again and again, until ``stop`` is set."""
    rng = random.Random(seed)
    validators: dict[str, dict[str, str]] = {}
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as client:
        while not stop.is_set():
            for path in rng.sample(paths, len(paths)):
                if stop.is_set():
                    return
                await _poll(client, path, validators, outcomes)


async def _poll(
    client: httpx.AsyncClient, path: str, validators: dict[str, dict[str, str]], outcomes: Outcomes
) -> None:
    try:
        response = await client.get(path, headers=validators.get(path, {}))
    except httpx.TransportError as error:
        outcomes.add("poll", path, type(error).__name__)
        await asyncio.sleep(0.05)  # not a tight loop on a refused connection
        return
    outcomes.add("poll", path, response.status_code)
    if response.status_code != 200:
        return
    sent = {}
    if etag := response.headers.get("etag"):
        sent["If-None-Match"] = etag
    if modified := response.headers.get("last-modified"):
        sent["If-Modified-Since"] = modified
    validators[path] = sent
    if not _parses(path, response.content):
        outcomes.unparsable.append(path)


def _parses(path: str, body: bytes) -> bool:
    try:
        if path.endswith(".json"):
            json.loads(body)
        else:
            etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except (ValueError, etree.XMLSyntaxError):
        return False
    return True
