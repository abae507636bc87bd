"""The CMS: creates, updates, moves and deletes articles through the publishing API.

Every write is retried, as a CMS would, until it is acknowledged (2xx): a
worker killed mid-request leaves the client not knowing whether the write
happened, and sending the same record again is safe (the store answers
"unchanged"); a DELETE retried after a lost answer may find the article
gone, so its 404 then counts as the acknowledgement. :class:`Ledger` keeps
the last acknowledged state of every article: what the feeds must show.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2 as httpx

from tests.soak.outcomes import Outcomes
from tests.support import builders

TIMEOUT = 10.0
ADDRESS = "127.0.0.2"  # the CMS's own loopback address
RETRY_PAUSE = 0.2
MAX_TRIES = 50  # 10 s of retries: longer than any restart
PAUSE = (0.05, 0.25)  # seconds between two writes
#: the configuration's categories by language (tests/support/config.py)
CATEGORIES = {
    "ar": ["politics", "economy"],
    "fa": ["farsi"],
    "ur": ["urdu"],
    "en": ["english"],
    "fr": ["francais"],
}


@dataclass(slots=True)
class Expected:
    """An article as its last acknowledged write left it; ``record`` None once deleted."""

    link: str
    record: dict[str, Any] | None
    version: int


@dataclass(slots=True)
class Ledger:
    """The acknowledged writes: each article's final state, and when each write's feeds changed."""

    articles: dict[str, Expected] = field(default_factory=dict)
    acknowledged: int = 0
    retried: int = 0
    rejected: list[str] = field(default_factory=list)  # a 4xx to a valid write: a bug
    #: writes whose answer a kill lost, then acknowledged: whether the lost try had written
    lost_answers: list[bool] = field(default_factory=list)
    changes: list[tuple[float, frozenset[str]]] = field(default_factory=list)

    def live(self) -> list[str]:
        return [i for i, e in self.articles.items() if e.record is not None]

    def changed_between(self, start: float, end: float) -> frozenset[str]:
        """The feeds an acknowledged write changed from ``start`` to ``end`` (monotonic)."""
        return frozenset().union(*(feeds for at, feeds in self.changes if start <= at <= end))


class Writer:
    def __init__(self, base: str, secret: str, outcomes: Outcomes, seed: int) -> None:
        self.base = base
        self.auth = {"Authorization": f"Bearer {secret}"}
        self.outcomes = outcomes
        self.ledger = Ledger()
        self.rng = random.Random(seed)
        self.serial = 0
        self.last_updated = datetime.now(UTC)
        self.writing = asyncio.Event()  # set while a write is on its way

    async def run(self, stop: asyncio.Event) -> None:
        # A connection of its own for each write (as many CMSes do), so that
        # writes land on either worker; from an address of its own, so that
        # the worker serving one can be found (trouble.kill_a_worker).
        transport = httpx.AsyncHTTPTransport(local_address=ADDRESS)
        headers = {**self.auth, "Connection": "close"}
        async with httpx.AsyncClient(
            base_url=self.base, timeout=TIMEOUT, transport=transport, headers=headers
        ) as client:
            while not stop.is_set():
                await self._one_write(client)
                await asyncio.sleep(self.rng.uniform(*PAUSE))

    async def _one_write(self, client: httpx.AsyncClient) -> None:
        live = self.ledger.live()
        roll = self.rng.random()
        if roll < 0.35 or len(live) < 5:
            await self._create(client, 1)
        elif roll < 0.45:
            await self._create(client, 3)
        elif roll < 0.85:
            await self._update(client, self.rng.choice(live))
        else:
            await self._delete(client, self.rng.choice(live))

    async def _create(self, client: httpx.AsyncClient, count: int) -> None:
        records = [self._record(self._new_id(), 1) for _ in range(count)]
        body: object = records[0] if count == 1 else records
        response = await self._send(client, "POST", "/api/articles", body, ok={200, 201})
        if response is None:
            return
        answers = [response.json()] if count == 1 else response.json()["articles"]
        for record, answer in zip(records, answers, strict=True):
            self._acknowledged(record["id"], answer["article"], 1, answer["feeds"])

    async def _update(self, client: httpx.AsyncClient, article_id: str) -> None:
        expected = self.ledger.articles[article_id]
        assert expected.record is not None
        version = expected.version + 1
        record = self._record(article_id, version, expected.record)
        path = f"/api/articles/{article_id}"
        response = await self._send(client, "PUT", path, record, ok={200})
        if response is not None:
            answer = response.json()
            self._acknowledged(article_id, answer["article"], version, answer["feeds"])

    async def _delete(self, client: httpx.AsyncClient, article_id: str) -> None:
        expected = self.ledger.articles[article_id]
        path = f"/api/articles/{article_id}"
        response = await self._send(client, "DELETE", path, None, ok={200}, gone_ok=True)
        if response is None:
            return
        assert expected.record is not None
        feeds = response.json().get("feeds") if response.status_code == 200 else None
        self.ledger.articles[article_id] = Expected(expected.link, None, expected.version + 1)
        self._changed(feeds or feeds_of(expected.record))

    def _acknowledged(
        self, article_id: str, stored: dict[str, Any], version: int, feeds: dict[str, Any]
    ) -> None:
        self.ledger.articles[article_id] = Expected(stored["link"], stored, version)
        self._changed(feeds)

    def _changed(self, feeds: Any) -> None:
        self.ledger.acknowledged += 1
        self.ledger.changes.append((time.monotonic(), frozenset(feeds)))

    async def _send(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        body: object,
        *,
        ok: set[int],
        gone_ok: bool = False,
    ) -> httpx.Response | None:
        """The acknowledged answer, after retries; None if the write was refused (recorded)."""
        lost = False  # an earlier try may have been written without its answer arriving
        for _ in range(MAX_TRIES):
            self.writing.set()  # a kill may come now (see trouble.kill_a_worker)
            try:
                response = await client.request(method, path, json=body)
            except httpx.TransportError as error:
                self.outcomes.add("api", path, type(error).__name__)
                response = None
            finally:
                self.writing.clear()
            if response is not None:
                self.outcomes.add("api", path, response.status_code)
                if response.status_code in ok or (gone_ok and lost and response.status_code == 404):
                    if lost:
                        self.ledger.lost_answers.append(_done_before(response))
                    return response
                if response.status_code < 500:
                    self.ledger.rejected.append(
                        f"{method} {path}: {response.status_code} {response.text[:200]}"
                    )
                    return None
            lost = True
            self.ledger.retried += 1
            await asyncio.sleep(RETRY_PAUSE)
        self.ledger.rejected.append(f"{method} {path}: no answer in {MAX_TRIES} tries")
        return None

    def _new_id(self) -> str:
        self.serial += 1
        return f"soak-{self.serial}"

    def _record(
        self, article_id: str, version: int, previous: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Version ``version`` of an article: new title, maybe new categories, later ``updated``.

        An update keeps the article's language and publication time and may
        move it to another category of its language, or in or out of breaking.
        """
        rng = self.rng
        now = datetime.now(UTC)
        language = previous["language"] if previous else rng.choice(list(CATEGORIES))
        offset = builders.OFFSETS[language]
        published = (
            previous["published"]
            if previous
            else builders.rfc3339(now - timedelta(seconds=rng.randrange(1, 600)), offset)
        )
        # to the microsecond, and never twice the same: two entries of a feed
        # with one atom:updated are a validator's DuplicateUpdated
        self.last_updated = max(now, self.last_updated + timedelta(microseconds=1))
        words = builders.WORDS[language]
        number = article_id.removeprefix("soak-")
        title = f"{' '.join(rng.choice(words) for _ in range(5))} {number}.{version}"
        categories = [rng.choice(CATEGORIES[language])]
        if language != "ar" and rng.random() < 0.25:
            categories.append("politics")  # a foreign-language entry in the Arabic feed
        return builders.record(
            int(number),
            language,
            id=article_id,
            title=title,
            link=f"https://news.example/soak/{number}/",
            published=published,
            updated=_rfc3339_us(self.last_updated, offset),
            categories=categories,
            breaking=rng.random() < 0.15,
        )


def _done_before(response: httpx.Response) -> bool:
    """Whether the acknowledgement of a retried write says an earlier try had done it."""
    if response.status_code == 404:
        return True  # a DELETE: the lost try deleted it
    body = response.json()
    answers = body.get("articles", [body])
    return all(answer["outcome"] == "unchanged" for answer in answers)


def _rfc3339_us(moment: datetime, offset: str) -> str:
    """:func:`builders.rfc3339`, to the microsecond."""
    seconds = builders.rfc3339(moment.replace(microsecond=0), offset)
    return f"{seconds[:-6]}.{moment.microsecond:06d}{seconds[-6:]}"


def feeds_of(record: dict[str, Any]) -> set[str]:
    """The feeds an article record belongs to (as :meth:`store.types.Article.feed_keys`)."""
    feeds = {*record["categories"], "all"}
    if record.get("breaking"):
        feeds.add("breaking")
    return feeds
