"""A clock for the app that the test moves instead of sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """The real time until the test stops or moves it; from then on, where it was put.

    Give it to ``create_app(settings, clock=...)`` (the ``client`` fixture
    does): a test that never touches it sees the real time, as the server
    would; one that calls :meth:`stop` or :meth:`advance` holds the app's
    "now" in its hand.
    """

    def __init__(self) -> None:
        self._now: float | None = None

    @classmethod
    def at(cls, moment: datetime) -> Clock:
        """A clock standing still at ``moment`` until the test moves it."""
        clock = cls()
        clock._now = moment.timestamp()
        return clock

    def __call__(self) -> float:
        return time.time() if self._now is None else self._now

    @property
    def now(self) -> float:
        return self()

    @property
    def moment(self) -> datetime:
        """The time as the store reads it: an aware UTC datetime, to the microsecond."""
        return datetime.fromtimestamp(self(), UTC)

    def stop(self) -> float:
        """Stand still at the current time; returns it."""
        self._now = self()
        return self._now

    def set(self, moment: float) -> float:
        """Stand still at ``moment`` (seconds since the epoch), earlier or later; returns it."""
        self._now = moment
        return moment

    def advance(self, seconds: float) -> float:
        """Move ``seconds`` ahead of where it stands (stopping it first); returns the time."""
        self._now = self() + seconds
        return self._now
