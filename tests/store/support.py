"""Builders for the store's tests: an article, a hand-moved clock, a scenario on a real file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from store.clock import Clock, system_clock
from store.sqlite.store import SQLiteStore
from store.types import Article

T = TypeVar("T")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


class ManualClock:
    """A store clock that stands still until the test moves it: a :data:`store.clock.Clock`."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def run(
    work: Callable[[SQLiteStore], Coroutine[Any, Any, T]],
    path: Path,
    clock: Clock = system_clock,
) -> T:
    """Open the store at ``path``, await ``work(store)``, close it; ``work``'s result."""

    async def main() -> T:
        store = await SQLiteStore.open(path, clock=clock)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


def article(index: int, **changes: Any) -> Article:
    """Article ``a-{index}``, published ``index`` hours before :data:`NOW`; even ones breaking."""
    when = NOW - timedelta(hours=index)
    fields: dict[str, Any] = {
        "id": f"a-{index}",
        "title": f"عنوان {index}",
        "link": f"https://news.example/a-{index}/",
        "published": when,
        "updated": when,
        "categories": ("politics",),
        "language": "ar",
        "breaking": index % 2 == 0,
    }
    fields.update(changes)
    return Article(**fields)
