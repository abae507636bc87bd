"""One HTTP GET on a new loopback connection, timed: for start-up checks and cold renders."""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    ms: float


def get(
    port: int, path: str, headers: Mapping[str, str] | None = None, *, timeout: float = 60
) -> Response:
    """GET ``path`` from 127.0.0.1:``port``; ``ms`` runs from connecting to the last byte."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=dict(headers or {}))
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    elapsed = (time.perf_counter() - started) * 1000
    names = {name.lower(): value for name, value in response.getheaders()}
    return Response(response.status, names, body, elapsed)
