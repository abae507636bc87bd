"""The clock: one source of "now" for the app and the store, injectable for tests.

A clock is a callable returning seconds since the Unix epoch, like
:func:`time.time`. The app and the store share one, so tests move time
instead of sleeping, and a write's stamp and a feed's ``Last-Modified`` come
from the same source.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]

system_clock: Clock = time.time


def utc_now(clock: Clock) -> datetime:
    """The clock's time as an aware UTC datetime."""
    return datetime.fromtimestamp(clock(), UTC)
