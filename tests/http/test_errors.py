"""The one error map: what each error becomes as an HTTP answer."""

from __future__ import annotations

import logging

import pytest
from starlette.exceptions import HTTPException

from feeds.http.errors import HttpError, http_error
from store.errors import StoreConflict, StoreError


def test_each_error_has_its_answer(caplog: pytest.LogCaptureFixture) -> None:
    own = HttpError(422, "bad", details={"errors": []})
    assert http_error(own) is own
    assert http_error(StoreConflict("a-1")).status == 409
    assert http_error(HTTPException(405, headers={"Allow": "GET"})).headers == {"Allow": "GET"}
    with caplog.at_level(logging.ERROR, logger="nashra.http"):
        failed = http_error(StoreError("reading the store /srv/x.db failed: disk I/O error"))
    assert (failed.status, "/srv/x.db" in failed.message) == (503, False)  # no path to clients
    assert "disk I/O error" in caplog.text  # the operator's log has the reason


def test_what_the_map_does_not_know_propagates() -> None:
    with pytest.raises(ZeroDivisionError):
        http_error(ZeroDivisionError())


def test_plain_and_json_bodies_come_from_one_error() -> None:
    error = HttpError(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    assert error.plain_body() == b"a bearer token is required\n"
    assert (b"www-authenticate", b"Bearer") in error.plain_headers()
    assert (b"content-length", b"27") in error.plain_headers()
    assert error.json() == {"error": "a bearer token is required"}
