"""What the lifespan hands every route: the application's parts, all opened.

Routes reach it through :func:`app_state` (Starlette copies the lifespan's
state into each request), so nothing is ``None`` until start-up and no
route module imports the application.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starlette.requests import Request

from feeds.config.settings import Settings
from feeds.http.cache import FeedCache
from feeds.model.spec import FeedSpec
from feeds.notify.outbox import OutboxWorker
from store.clock import Clock
from store.protocol import Store

STATE_KEY = "nashra"


@dataclass(frozen=True, slots=True)
class AppState:
    """The opened application: settings, feeds, the store, the feed cache, the outbox workers."""

    settings: Settings
    specs: Mapping[str, FeedSpec]
    clock: Clock
    store: Store
    cache: FeedCache
    outbox: Sequence[OutboxWorker]

    def wake_outbox(self) -> None:
        """This process just committed a write: let every outbox worker look now."""
        for worker in self.outbox:
            worker.wake()


def app_state(request: Request) -> AppState:
    state: AppState = getattr(request.state, STATE_KEY)
    return state
