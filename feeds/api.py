"""The publishing API under ``/api/`` (being built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from feeds.app import NashraApp


def api_routes(app: NashraApp) -> list[BaseRoute]:
    return []
