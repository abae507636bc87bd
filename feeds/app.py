"""The ASGI application: ``create_app(settings)``; the lifespan opens what it serves from.

Requests under ``/feeds/`` go straight to :class:`~feeds.http.feed_endpoint.FeedEndpoint`,
the hot path; everything else (the index page, ``/feeds.opml``, ``/healthz``, the API, and
the lifespan) goes through Starlette. The lifespan opens the store (unless
one is given), makes the feed cache and starts an outbox worker per sink,
and hands them to every route as one typed :class:`~feeds.http.state.AppState`.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Message, Receive, Scope, Send

from feeds import orphans
from feeds.config.loader import config_path, load_settings
from feeds.config.settings import Settings
from feeds.http import errors, opml
from feeds.http.api import api_routes
from feeds.http.cache import FeedCache
from feeds.http.conditional import http_date
from feeds.http.feed_endpoint import PREFIX, FeedEndpoint
from feeds.http.pages import index_html
from feeds.http.state import STATE_KEY, AppState, app_state
from feeds.model.language import direction
from feeds.model.spec import feed_specs
from feeds.notify.names import goes_after
from feeds.notify.outbox import OutboxWorker
from feeds.notify.sinks import configured_sinks
from store.clock import Clock, system_clock
from store.errors import StoreError
from store.protocol import Store
from store.sqlite.store import SQLiteStore


class NashraApp:
    """The whole application: the feed endpoint beside a Starlette app for the rest."""

    def __init__(self, settings: Settings, store: Store | None, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.specs = feed_specs(settings)
        self._given_store = store
        self._feeds: FeedEndpoint | None = None  # made in the lifespan
        self._state: AppState | None = None
        self.opml = opml.OpmlEndpoint(settings, self.specs.values())
        self.web = Starlette(
            routes=[
                Route("/", self.index, methods=["GET"]),
                Route(opml.PATH, self.opml.get, methods=["GET", "OPTIONS"]),
                Route("/healthz", healthz, methods=["GET"]),
                Mount("/api", routes=api_routes()),
            ],
            lifespan=self.lifespan,
            exception_handlers=errors.handlers(json=False),
        )
        self.page = index_html(settings, self.specs.values())

    @property
    def state(self) -> AppState:
        """The opened application; only between the lifespan's start and end."""
        if self._state is None:
            raise RuntimeError("the application is not started (its lifespan opens it)")
        return self._state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            assert self._feeds is not None, "the lifespan has run: the server waits for it"
            await self._feeds(scope, receive, send)
        elif scope["type"] == "http":
            await self.web(scope, receive, self._dated(send))
        else:
            await self.web(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[Mapping[str, AppState]]:
        """Open everything, hand it to the routes, and close it all, even after a failed start."""
        async with contextlib.AsyncExitStack() as stack:
            store = self._given_store
            if store is None:
                store = await SQLiteStore.open(self.settings.store.path, clock=self.clock)
                stack.push_async_callback(store.close)
            cache = FeedCache(store, self.settings, self.clock)
            workers = []
            for sink in configured_sinks(self.settings, self.specs):
                after = goes_after(self.settings, sink.name)
                worker = OutboxWorker(store, sink, self.specs, self.clock, after)
                stack.push_async_callback(worker.stop)  # closes the sink, started or not
                await worker.start()
                workers.append(worker)
            await self._warm_up(cache)
            state = AppState(self.settings, self.specs, self.clock, store, cache, workers)
            self._feeds = FeedEndpoint(self.specs, cache, self.clock, self.settings.cdn)
            self._state = state
            try:
                yield {STATE_KEY: state}
            finally:
                self._state = None

    async def _warm_up(self, cache: FeedCache) -> None:
        """Do once, at start, what the first request would otherwise pay for.

        The feed states are loaded, the language data behind ``direction`` is
        read, and one feed is queried and rendered empty in every format (the
        first use of feedgen and lxml loads modules and builds tables). Then
        every object alive now (modules, language tables, the settings) is
        moved out of the garbage collector's sight with :func:`gc.freeze`: a
        render allocates tens of thousands of objects, and the collections
        they set off would otherwise walk all of those long-lived ones again
        and again (it cuts a cold render from about 7 ms to 4.5 ms).
        """
        for spec in self.specs.values():
            direction(spec.language)
        await cache.warm_up(next(iter(self.specs.values())))
        gc.collect()
        gc.freeze()

    async def index(self, request: Request) -> Response:
        return Response(self.page, media_type="text/html; charset=utf-8")

    def _dated(self, send: Send) -> Send:
        """``send`` adding a Date header from this app's clock to each response."""

        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"date", http_date(int(self.clock())).encode()))
                message = {**message, "headers": headers}
            await send(message)

        return dated


async def healthz(request: Request) -> Response:
    """200 if the store answers, else 503 with the reason.

    Reporting the failure is this route's job, not an error: it answers for
    itself, with the store's own message for the operator, and logs nothing
    (a probe that asks every few seconds would flood the log).
    """
    try:
        await app_state(request).store.ping()
    except StoreError as error:
        return PlainTextResponse(f"store unavailable: {error}\n", status_code=503)
    return PlainTextResponse("ok\n")


def create_app(
    settings: Settings, *, store: Store | None = None, clock: Clock = system_clock
) -> NashraApp:
    """The nashra application for ``settings``.

    ``store`` defaults to the embedded SQLite store at ``settings.store.path``,
    opened in the lifespan with ``clock``, so that the app and its store share
    one time, which tests move; a store given is the caller's to open (with
    the clock it wants) and to close.
    """
    return NashraApp(settings, store, clock)


def app_from_environment() -> NashraApp:
    """The app for ``nashra serve``'s workers, configured through the environment.

    uvicorn starts each worker process by importing a factory, so the CLI
    passes ``--config`` and ``--db`` as ``NASHRA_CONFIG`` and ``NASHRA_DB``.
    """
    orphans.die_with_parent_from_environment()  # a worker of `serve --workers N`
    db = os.environ.get("NASHRA_DB")
    settings = load_settings(config_path(None), db=Path(db) if db else None)
    return create_app(settings)
