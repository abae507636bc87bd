"""Running a scenario against a real store file, opened and closed around it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from store.clock import Clock, system_clock
from store.sqlite.store import SQLiteStore

T = TypeVar("T")


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
