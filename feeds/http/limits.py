"""uvicorn's httptools protocol with limits on what a client may make the server read.

uvicorn bounds neither the request head nor the time it takes to arrive:
httptools (llhttp) gathers a header of any size in memory, and a connection
that never finishes its head is never cut off (uvicorn's keep-alive timer
only runs between requests, and the first byte of the next one stops it).
:class:`BoundedHttpProtocol` adds, per connection:

* the request head (request line and headers) past ``max_head`` bytes: a
  431, whether its fields are all there (counted as they are parsed) or
  still arriving (counted as they are read: the parser never holds more
  than the limit and one read, at most 256 KiB, beyond it);
* the request target past ``max_request_line`` bytes: a 414;
* one header line past ``max_header`` bytes, or more than ``max_headers``
  headers: a 431;
* ``header_timeout`` seconds for a whole head to arrive, from the
  connection's start or the end of the previous response: then it is closed.

A request refused here never reaches the app. The limits come from the
``[server]`` section of the config ``nashra serve`` passes in
``$NASHRA_CONFIG``, read once per worker process.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from feeds.config.loader import config_path, load_settings
from feeds.config.settings import ServerOptions


@functools.cache
def configured_limits() -> ServerOptions:
    """The ``[server]`` options of the config in ``$NASHRA_CONFIG``."""
    return load_settings(config_path(None)).server


class RequestRejected(Exception):
    """Raised from a parser callback: the head broke a limit; answer ``status`` and close."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing heads over the ``[server]`` limits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = configured_limits()
        self.in_head = True  # from a request's first byte until its headers are complete
        self.head_bytes = 0  # bytes read while in_head
        self.header_count = 0
        self.header_bytes = 0  # of the header fields parsed so far, names and values
        self.head_timer: asyncio.TimerHandle | None = None
        self.rejected: RequestRejected | None = None  # what a parser callback refused

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.in_head:
            self.head_bytes += len(data)
        self.rejected = None
        super().data_received(data)
        if self.rejected is not None or self.transport.is_closing():
            return
        if self.in_head and self.head_bytes > self.limits.max_head:
            # the parser holds at most the limit and this read (up to 256 KiB)
            self._reject(431, "Request Header Fields Too Large", "request head too large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head = True
        self.header_count = 0
        self.header_bytes = 0

    def send_400_response(self, msg: str) -> None:
        """What uvicorn sends when the parser fails, which a refusal here makes it do."""
        if self.rejected is None:
            super().send_400_response(msg)
        else:
            self._reject(self.rejected.status, self.rejected.reason, str(self.rejected))

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.max_request_line:
            self._refuse(414, "URI Too Long", "request target too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        if self.header_count > self.limits.max_headers:
            self._refuse(431, "Request Header Fields Too Large", "too many header fields")
        if len(name) + len(value) > self.limits.max_header:
            self._refuse(431, "Request Header Fields Too Large", "header field too large")
        self.header_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if len(self.url) + self.header_bytes > self.limits.max_head:
            self._refuse(431, "Request Header Fields Too Large", "request head too large")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head_bytes = 0
        self._stop_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # idle, not a pipelined request
            self._start_head_timer()  # the next head has the same time to arrive

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self.head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if not self.transport.is_closing():
            self.logger.info("Connection closed: no complete request head in time.")
            self.transport.close()

    def _refuse(self, status: int, reason: str, message: str) -> None:
        """From a parser callback: stop the parser; uvicorn then calls send_400_response."""
        self.rejected = RequestRejected(status, reason, message)
        raise self.rejected

    def _reject(self, status: int, reason: str, message: str) -> None:
        self.logger.warning("Request refused: %s.", message)
        body = message.encode("ascii")
        self.transport.write(
            b"HTTP/1.1 %d %s\r\n" % (status, reason.encode("ascii"))
            + b"content-type: text/plain; charset=utf-8\r\n"
            + b"content-length: %d\r\n" % len(body)
            + b"connection: close\r\n\r\n"
            + body
        )
        self.in_head = False
        self._stop_head_timer()
        self.transport.close()
