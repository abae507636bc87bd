"""The ``[server]`` limits, against a live ``nashra serve`` over raw sockets.

A client library would refuse to send most of these requests, or would
finish them; a socket sends exactly the bytes, and stops where the test says.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.config import MakeConfig
from tests.support.live import LiveServer, Serve, live_server

MAX_REQUEST_LINE = 1024
MAX_HEADER = 2048
MAX_HEAD = 8192
MAX_HEADERS = 20
HEADER_TIMEOUT = 1  # the least the config takes: the tests wait it out


@pytest.fixture
def config_file(make_config: MakeConfig) -> Path:
    return make_config(
        server={
            "max_request_line": MAX_REQUEST_LINE,
            "max_header": MAX_HEADER,
            "max_head": MAX_HEAD,
            "max_headers": MAX_HEADERS,
            "header_timeout": HEADER_TIMEOUT,
        }
    )


@pytest.fixture
def server(serve: Serve) -> Iterator[LiveServer]:
    with serve() as running:
        yield running


def _connect(server: LiveServer) -> socket.socket:
    parts = urlsplit(server.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def _head(target: str = "/feeds/all.rss", headers: list[str] | None = None) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: test", *(headers or []), "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _status(data: bytes) -> int:
    return int(data.split(b" ", 2)[1])


def _read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed (monotonic)."""
    sock.settimeout(timeout)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks), time.monotonic()


def _send_and_read(server: LiveServer, request: bytes) -> bytes:
    with _connect(server) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # refused midway
            sock.sendall(request)
        return _read_until_closed(sock, 10)[0]


def test_a_request_within_the_limits_is_served(server: LiveServer) -> None:
    headers = [f"X-Filler-{n}: {'v' * 300}" for n in range(MAX_HEADERS - 2)]
    answer = _send_and_read(server, _head(headers=[*headers, "Connection: close"]))
    assert _status(answer) == 200


def test_a_long_request_target_is_414(server: LiveServer) -> None:
    answer = _send_and_read(server, _head("/feeds/all.rss?" + "q" * MAX_REQUEST_LINE))
    assert _status(answer) == 414


def test_a_long_header_field_is_431(server: LiveServer) -> None:
    answer = _send_and_read(server, _head(headers=["If-None-Match: " + "x" * MAX_HEADER]))
    assert _status(answer) == 431


def test_too_many_header_fields_is_431(server: LiveServer) -> None:
    headers = [f"X-{n}: 1" for n in range(MAX_HEADERS + 1)]
    assert _status(_send_and_read(server, _head(headers=headers))) == 431


def test_a_head_over_its_size_is_431(server: LiveServer) -> None:
    headers = [f"X-Filler-{n}: {'v' * (MAX_HEADER - 20)}" for n in range(MAX_HEADERS - 2)]
    assert _status(_send_and_read(server, _head(headers=headers))) == 431


def test_a_huge_header_is_cut_off_while_it_is_still_arriving(server: LiveServer) -> None:
    """The server answers 431 and closes without reading the 64 MiB the client offers."""
    with _connect(server) as sock:
        sock.sendall(b"GET /feeds/all.rss HTTP/1.1\r\nHost: test\r\nIf-None-Match: ")
        sent = 0
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while sent < 64 << 20:
                sent += sock.send(b"x" * 65536)
        assert sent < 32 << 20
        answer = _read_until_closed(sock, 10)[0]
    assert _status(answer) == 431


def test_a_head_that_never_ends_is_cut_off_at_the_timeout(server: LiveServer) -> None:
    """Slowloris: one header byte at a time, never the blank line."""
    with _connect(server) as sock:
        sock.sendall(b"GET /feeds/all.rss HTTP/1.1\r\nHost: test\r\n")
        started = time.monotonic()
        sock.settimeout(0.25)
        closed = None
        while time.monotonic() - started < HEADER_TIMEOUT + 5:
            try:
                sock.send(b"X-A: b\r\n")
                if sock.recv(1024) == b"":
                    closed = time.monotonic()
                    break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = time.monotonic()
                break
    assert closed is not None, "the connection was still open"
    assert closed - started < HEADER_TIMEOUT + 1


def test_a_connection_that_sends_nothing_is_cut_off_at_the_timeout(server: LiveServer) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        answer, closed = _read_until_closed(sock, HEADER_TIMEOUT + 5)
    assert answer == b""
    assert closed - started < HEADER_TIMEOUT + 1


def test_a_kept_alive_connection_has_the_same_time_for_its_next_head(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_head())
        sock.settimeout(10)
        assert _status(sock.recv(65536)) == 200
        time.sleep(0.5)  # rest of the body, if any, is drained below
        sock.sendall(b"GET /feeds/all.rss HTTP/1.1\r\n")  # and never the rest
        started = time.monotonic()
        _read_until_closed(sock, HEADER_TIMEOUT + 5)
        closed = time.monotonic()
    assert closed - started < HEADER_TIMEOUT + 1


def test_many_half_open_connections_are_all_cut_off(server: LiveServer) -> None:
    """200 connections that each send half a head, and the server still answers meanwhile."""
    socks = [_connect(server) for _ in range(200)]
    try:
        for sock in socks:
            sock.sendall(b"GET /feeds/all.rss HTTP/1.1\r\nHost: te")
        started = time.monotonic()
        assert _status(_send_and_read(server, _head(headers=["Connection: close"]))) == 200
        for sock in socks:
            remaining = HEADER_TIMEOUT + 5 - (time.monotonic() - started)
            assert _read_until_closed(sock, max(remaining, 0.1))[0] == b""
        assert time.monotonic() - started < HEADER_TIMEOUT + 2
    finally:
        for sock in socks:
            sock.close()


def test_a_request_over_max_connections_is_503(make_config: MakeConfig, tmp_path: Path) -> None:
    config = make_config(server={"max_connections": 5})
    with live_server(config, log_dir=tmp_path) as running:
        idle = [_connect(running) for _ in range(5)]
        try:
            time.sleep(0.2)  # accepted by the server
            answer = _send_and_read(running, _head(headers=["Connection: close"]))
            assert _status(answer) == 503
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)  # their connections are gone: requests are served again
        assert _status(_send_and_read(running, _head(headers=["Connection: close"]))) == 200
