"""uvicorn's httptools protocol with limits on what a client may make the server read.

uvicorn bounds neither the request head nor the time it takes to arrive:
httptools (llhttp) gathers a header of any size in memory, and a connection
that never finishes its head is never cut off (uvicorn's keep-alive timer
only runs between requests, and the first byte of the next one stops it).
:class:`BoundedHttpProtocol` adds, per connection:

* a request head still arriving past ``max_head`` bytes: a 431 (it is
  counted as it is read, from the start of the read in which it began, so
  the parser never holds more than the limit and one read, at most 256 KiB);
* more than ``max_headers`` header fields: a 431, checked after every read;
* a request target past ``max_request_line`` bytes (a 414), one header
  field past ``max_header`` bytes or more than ``max_head`` bytes of them
  (a 431): checked once the head is parsed;
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
        self.received = 0  # bytes read on the connection
        self.last_read = 0  # bytes of the read being parsed
        # bytes read before the read in which the current head began: received - head_floor
        # is at least the head's size, and at most one read more
        self.head_floor = 0
        # a head no longer than this cannot break a size limit
        self.small_head = min(
            self.limits.max_header, self.limits.max_head, self.limits.max_request_line
        )
        # when the head being awaited must be complete; None while a request is handled
        self.head_deadline: float | None = None
        self.head_timer: asyncio.TimerHandle | None = None
        self.rejected: RequestRejected | None = None  # what a parser callback refused

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.last_read = len(data)
        self.received += self.last_read
        self.rejected = None
        super().data_received(data)
        if not self.in_head or self.rejected is not None or self.transport.is_closing():
            return
        # so the parser holds at most the limit and one read (up to 256 KiB),
        # and between reads no more than max_headers parsed fields
        if self.received - self.head_floor > self.limits.max_head:
            self._reject(431, "Request Header Fields Too Large", "request head too large")
        elif self.headers is not None and len(self.headers) > self.limits.max_headers:
            self._reject(431, "Request Header Fields Too Large", "too many header fields")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head = True
        self.head_floor = self.received - self.last_read

    def send_400_response(self, msg: str) -> None:
        """What uvicorn sends when the parser fails, which a refusal here makes it do."""
        if self.rejected is None:
            super().send_400_response(msg)
        else:
            self._reject(self.rejected.status, self.rejected.reason, str(self.rejected))

    def on_headers_complete(self) -> None:
        """Check the target and fields once they are all there: a check per field costs 4 µs.

        Until then, :meth:`data_received` bounds them after every read; a
        head that came in no more bytes than :attr:`small_head` needs no count.
        """
        self.in_head = False
        self.head_deadline = None
        limits = self.limits
        if len(self.headers) > limits.max_headers:
            self._refuse(431, "Request Header Fields Too Large", "too many header fields")
        if self.received - self.head_floor <= self.small_head:
            super().on_headers_complete()
            return
        if len(self.url) > limits.max_request_line:
            self._refuse(414, "URI Too Long", "request target too long")
        size = len(self.url)
        for name, value in self.headers:
            field = len(name) + len(value)
            if field > limits.max_header:
                self._refuse(431, "Request Header Fields Too Large", "header field too large")
            size += field + 4  # ": " and CRLF
        if size > limits.max_head:
            self._refuse(431, "Request Header Fields Too Large", "request head too large")
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # idle, not a pipelined request
            self._await_head()  # the next head has the same time to arrive

    def _await_head(self) -> None:
        """Start the time for a head; one timer per connection, moved only when it fires.

        A timer per request (call_later, then cancel) costs 4 µs a request.
        """
        self.head_deadline = self.loop.time() + self.limits.header_timeout
        if self.head_timer is None:
            self.head_timer = self.loop.call_at(self.head_deadline, self._head_timer_fired)

    def _head_timer_fired(self) -> None:
        self.head_timer = None
        deadline = self.head_deadline
        if deadline is None or self.transport.is_closing():
            return  # a request is being handled: _await_head starts the next wait
        if self.loop.time() >= deadline:
            self.logger.info("Connection closed: no complete request head in time.")
            self.transport.close()
        else:  # a later head is awaited
            self.head_timer = self.loop.call_at(deadline, self._head_timer_fired)

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
        self.head_deadline = None
        self.transport.close()
