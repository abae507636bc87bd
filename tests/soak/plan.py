"""When the soak's trouble happens: the kills, the hub's outage and the import, from its length."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

DEFAULT_SECONDS = 120.0
KILL_EVERY = (15.0, 20.0)  # seconds between two kills, drawn in this range
FIRST_KILL = 15.0  # seconds into the run, or 30 % of a shorter one
LAST_KILL_MARGIN = 3.0  # no kill later than this before the end: the restart is watched
HUB_DOWN = (0.35, 0.55)  # the hub's outage, as fractions of the run
IMPORT_AT = 0.25  # the import starts at this fraction of the run
IMPORT_PER_SECOND = 25  # records imported per second of run: 3,000 for two minutes
IMPORT_MAX = 3000


class PlanError(ValueError):
    """``SOAK_SECONDS`` is not a usable length."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Offsets in seconds from the start of the load."""

    seconds: float
    kills: tuple[float, ...]
    hub_down: float
    hub_up: float
    import_at: float
    import_size: int


def seconds_from_environment() -> float:
    text = os.environ.get("SOAK_SECONDS", "").strip()
    if not text:
        return DEFAULT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 5 <= seconds <= 86400:
        raise PlanError(f"SOAK_SECONDS must be a number of seconds from 5 to 86400, not {text!r}")
    return seconds


def make_plan(seconds: float, rng: random.Random) -> Plan:
    kills = []
    moment = min(FIRST_KILL, 0.3 * seconds)
    while moment <= seconds - LAST_KILL_MARGIN:
        kills.append(round(moment, 1))
        moment += rng.uniform(*KILL_EVERY)
    return Plan(
        seconds=seconds,
        kills=tuple(kills),
        hub_down=HUB_DOWN[0] * seconds,
        hub_up=HUB_DOWN[1] * seconds,
        import_at=IMPORT_AT * seconds,
        import_size=max(200, min(IMPORT_MAX, int(IMPORT_PER_SECOND * seconds))),
    )
