"""What every request of the soak got, with when: statuses, or the transport error's name."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Answer:
    """One request's end: ``at`` on the monotonic clock, ``what`` a status or an error's name."""

    at: float
    who: str  # "poll" or "api"
    path: str
    what: int | str

    @property
    def failed(self) -> bool:
        """A 5xx, or no HTTP answer at all."""
        return isinstance(self.what, str) or self.what >= 500


@dataclass(slots=True)
class Outcomes:
    """Every answer, in order, and the feed bodies that did not parse."""

    answers: list[Answer] = field(default_factory=list)
    unparsable: list[str] = field(default_factory=list)

    def add(self, who: str, path: str, what: int | str) -> None:
        self.answers.append(Answer(time.monotonic(), who, path, what))

    def by_status(self, who: str | None = None) -> Counter[int | str]:
        return Counter(a.what for a in self.answers if who is None or a.who == who)

    def failures_outside(self, moments: list[float], window: float) -> list[Answer]:
        """The failed answers more than ``window`` seconds from every one of ``moments``."""
        return [
            a
            for a in self.answers
            if a.failed and not any(abs(a.at - moment) <= window for moment in moments)
        ]
