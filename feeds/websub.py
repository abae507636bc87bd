"""WebSub publisher: notifying the hub of every change (being built)."""

from __future__ import annotations

from collections.abc import Mapping

from feeds.cache import Clock
from feeds.spec import FeedSpec
from store.sqlite import SQLiteStore


class HubNotifier:
    """Sends queued hub notifications from a background task."""

    def __init__(
        self, store: SQLiteStore, specs: Mapping[str, FeedSpec], hub: str, clock: Clock
    ) -> None:
        self.store, self.specs, self.hub, self.clock = store, specs, hub, clock

    async def start(self) -> None:
        """Start the background task."""

    def wake(self) -> None:
        """A write was just committed in this process: look at the queue now."""

    async def stop(self) -> None:
        """Stop the background task (pending notifications stay queued in the store)."""
