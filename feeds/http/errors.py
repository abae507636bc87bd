"""The one map from errors to HTTP answers, for Starlette's routes and the raw feed endpoint.

Anything raised while answering a request becomes an :class:`HttpError`
here, and only here (``/healthz``, whose job is to report a failing store,
answers that itself): a store that fails is a logged 503 ("try again": every
write is idempotent), or one that needs the operator (its file deleted or
replaced under the server) a logged 503 saying so, a write that lost a race
a 409, Starlette's own 404 and 405 keep their status. The publishing API
answers in JSON, everything else in plain text; both bodies come from the
same :class:`HttpError`.
Anything unforeseen is left to propagate: uvicorn logs it and answers 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ExceptionHandler, Send

from store.errors import NashraError, StoreConflict, StoreError, StoreFileLost

log = logging.getLogger("nashra.http")

JSON = dict[str, Any]


class HttpError(NashraError):
    """An answer other than success: status, message, headers, and JSON details for the API."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        details: JSON | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.details = details or {}
        super().__init__(status, message)

    def json(self) -> JSON:
        return {"error": self.message, **self.details}

    def plain_body(self) -> bytes:
        return f"{self.message}\n".encode()

    def plain_headers(self) -> list[tuple[bytes, bytes]]:
        """Content type and length of :meth:`plain_body`, and the error's own headers."""
        own = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        return [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(self.plain_body())).encode()),
            *own,
        ]


def http_error(exc: Exception) -> HttpError:
    """The answer for ``exc``; re-raises what has no place in the map."""
    match exc:
        case HttpError():
            return exc
        case StoreConflict():
            return HttpError(409, str(exc))
        case StoreFileLost():  # "try again" would not help: it needs the operator
            log.error("the store failed: %s", exc)
            return HttpError(
                503,
                "the store's file was deleted or replaced under the server; nothing is"
                " written until an operator restores it and restarts the server",
            )
        case StoreError():
            log.error("the store failed: %s", exc)
            return HttpError(503, "the store is unavailable; try again (writes are idempotent)")
        case HTTPException():
            return HttpError(exc.status_code, exc.detail, headers=exc.headers)
    raise exc


async def _plain_handler(request: Request, exc: Exception) -> Response:
    error = http_error(exc)
    return PlainTextResponse(f"{error.message}\n", error.status, headers=error.headers)


async def _json_handler(request: Request, exc: Exception) -> Response:
    error = http_error(exc)
    return private_json(error.json(), error.status, error.headers)


def private_json(
    body: JSON, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer of the API, which no cache keeps: it may hold an embargoed article."""
    return JSONResponse(body, status, headers={**(headers or {}), "Cache-Control": "no-store"})


def handlers(*, json: bool) -> Mapping[Any, ExceptionHandler]:
    """Starlette exception handlers answering through the map, in JSON or plain text."""
    handler = _json_handler if json else _plain_handler
    return {HTTPException: handler, NashraError: handler}


async def send_plain(send: Send, error: HttpError, headers: list[tuple[bytes, bytes]]) -> None:
    """Send ``error`` as a plain-text answer from a raw ASGI endpoint (``headers`` added)."""
    head = [*headers, *error.plain_headers()]
    await send({"type": "http.response.start", "status": error.status, "headers": head})
    await send({"type": "http.response.body", "body": error.plain_body()})
