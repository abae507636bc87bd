"""The Starlette application: ``create_app(settings)`` opens the store in its lifespan."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from feeds.cache import FeedCache
from feeds.feed_endpoint import FeedEndpoint
from feeds.index_page import index_html
from feeds.settings import Settings, config_path, load_settings
from feeds.spec import feed_specs
from store.errors import StoreError
from store.sqlite import SQLiteStore

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Lazy:
    """An ASGI app that is built once the lifespan has opened the store."""

    def __init__(self) -> None:
        self.app: FeedEndpoint | None = None

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        assert self.app is not None, "the store is opened in the lifespan"
        await self.app(scope, receive, send)


def create_app(settings: Settings, *, clock: Clock = utc_now) -> Starlette:
    """The nashra application for ``settings``; ``clock`` is injectable for tests."""
    specs = feed_specs(settings)
    page = index_html(settings, specs.values())
    feeds = _Lazy()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = await SQLiteStore.open(settings.store.path)
        app.state.store = store
        feeds.app = FeedEndpoint(specs, FeedCache(store, settings, clock), clock)
        try:
            yield
        finally:
            await store.close()

    async def index(request: Request) -> Response:
        return Response(page, media_type="text/html; charset=utf-8")

    async def healthz(request: Request) -> Response:
        try:
            await request.app.state.store.ping()
        except StoreError as error:
            return PlainTextResponse(f"store unavailable: {error}\n", status_code=503)
        return PlainTextResponse("ok\n")

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("Not Found\n", status_code=404)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/feeds/{name}", feeds),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found})


def app_from_environment() -> Starlette:
    """The app for ``nashra serve``'s workers, configured through the environment.

    uvicorn starts each worker process by importing a factory, so the CLI
    passes ``--config`` and ``--db`` as ``NASHRA_CONFIG`` and ``NASHRA_DB``.
    """
    db = os.environ.get("NASHRA_DB")
    settings = load_settings(config_path(None), db=Path(db) if db else None)
    return create_app(settings)
