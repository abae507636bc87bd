"""A WebSub hub stand-in: a real HTTP server on loopback that records what it is told.

It runs under uvicorn in a background thread, so the outbox worker under test
talks to it over real sockets, with real connection errors when it is down.
Each request is kept as a :class:`Ping` (when it came, its form fields and
headers, and the status the hub answered); the hub can be told to answer the
next requests with an error, or to go down (its port then refuses
connections) and come back on the same port. It also stands in for a cache
that nashra purges: any method is recorded.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs

import uvicorn
from starlette.types import Receive, Scope, Send

from tests.support.live import free_port

ACCEPTED = 204  # what a hub answers a publish notification it takes
_ARRIVALS = itertools.count()  # shared by every stand-in: which of two got a request first


@dataclass(frozen=True, slots=True)
class Ping:
    """One request the hub received."""

    at: float  # the hub's clock on arrival (the test's clock, when it gave one)
    form: dict[str, list[str]]
    headers: dict[str, str]
    status: int  # what the hub answered
    method: str = "POST"
    order: int = 0  # its place among the requests every stand-in in this process received

    @property
    def ok(self) -> bool:
        return self.status == ACCEPTED

    @property
    def topic(self) -> str:
        """The ``hub.url`` of a one-topic notification."""
        (url,) = self.form["hub.url"]
        return url


class Hub:
    """The hub at ``url``: start it with :meth:`start`, always :meth:`stop` it."""

    def __init__(self, port: int, clock: Callable[[], float] = time.time) -> None:
        self.port = port
        self.clock = clock
        self.url = f"http://127.0.0.1:{port}/"
        self._pings: list[Ping] = []
        self._failures: list[int] = []  # statuses for the next requests, in order
        self._arrived = threading.Condition()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        with self._arrived:
            status = self._failures.pop(0) if self._failures else ACCEPTED
            ping = Ping(self.clock(), parse_qs(body.decode()), headers, status, scope["method"],
                        next(_ARRIVALS))  # fmt: skip
            self._pings.append(ping)
            self._arrived.notify_all()
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def start(self) -> None:
        """Listen on the port; return once connections are accepted."""
        config = uvicorn.Config(
            self, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
            loop="asyncio", http="h11",
        )  # fmt: skip
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"hub-{self.port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join()
                raise RuntimeError(f"the hub stand-in did not start on port {self.port}")
            time.sleep(0.01)
        self._server, self._thread = server, thread

    def stop(self) -> None:
        """Close the port (connections to it are refused) and end the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join()
            self._server = self._thread = None

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` requests with ``status`` instead of accepting them."""
        with self._arrived:
            self._failures.extend([status] * count)

    def pings(self) -> list[Ping]:
        """Every request so far, in order of arrival."""
        with self._arrived:
            return list(self._pings)

    def wait_for(self, done: Callable[[list[Ping]], bool], timeout: float) -> list[Ping]:
        """Every request so far, once ``done`` holds for them; fails after ``timeout`` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: done(self._pings), timeout):
                raise AssertionError(f"not heard within {timeout} s: {self._pings!r}"[:2000])
            return list(self._pings)


@contextlib.contextmanager
def running_hub(clock: Callable[[], float] = time.time) -> Iterator[Hub]:
    """A started :class:`Hub` on a free loopback port, stopped on exit."""
    hub = Hub(free_port(), clock)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
