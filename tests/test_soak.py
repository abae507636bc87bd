"""The soak's own parts: its schedule, its one-line error, and the check that finds lost writes.

The soak itself (``make soak``) is not run here: see the README's "Soak".
"""

from __future__ import annotations

import os
import random
import subprocess
import sys

from starlette.testclient import TestClient

from tests.soak.plan import make_plan
from tests.soak.verify import feed_entries, feed_problems
from tests.soak.writer import Expected, Ledger
from tests.support.builders import record
from tests.support.commands import ImportRecords


def test_kills_come_every_15_to_20_seconds_and_the_hub_is_down_in_the_middle() -> None:
    plan = make_plan(120, random.Random(1))
    gaps = [later - earlier for earlier, later in zip(plan.kills, plan.kills[1:], strict=False)]
    assert plan.kills[0] == 15
    assert all(15 <= gap <= 20 for gap in gaps), gaps
    assert plan.kills[-1] <= 117 and len(plan.kills) >= 5
    assert (plan.import_at, plan.hub_down, plan.hub_up) == (30, 42, 66)
    assert plan.import_size == 3000


def test_a_short_soak_still_kills_once_and_imports_a_few_hundred() -> None:
    plan = make_plan(10, random.Random(1))
    assert plan.kills == (3.0,)
    assert plan.import_size == 250


def test_a_wrong_soak_seconds_is_one_line_and_status_2() -> None:
    env = {**os.environ, "SOAK_SECONDS": "two minutes"}
    run = subprocess.run(
        [sys.executable, "-m", "tests.soak"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert run.stderr == (
        "soak: error: SOAK_SECONDS must be a number of seconds from 5 to 86400, not 'two minutes'\n"
    )
    assert run.stdout == ""


def test_the_final_check_finds_lost_stale_and_undead_writes(
    client: TestClient, import_records: ImportRecords
) -> None:
    """What a feed serves against the ledger: the soak fails on each kind of lost write."""
    stored = [record(1), record(2), record(3)]
    assert import_records(stored).code == 0
    ledger = Ledger()
    kept, renamed, deleted = stored
    never = record(4)
    ledger.articles = {
        kept["id"]: Expected(kept["link"], kept, 1),
        renamed["id"]: Expected(renamed["link"], {**renamed, "title": "آخر عنوان"}, 2),
        deleted["id"]: Expected(deleted["link"], None, 2),
        never["id"]: Expected(never["link"], never, 1),
    }
    for extension in ("rss", "atom", "json"):
        answer = client.get(f"/feeds/politics.{extension}")
        entries = {("politics", extension): feed_entries(extension, answer.content)}
        checked, problems = feed_problems(entries, ledger, items=50)
        where = f"in politics.{extension}"
        assert checked == 3
        assert problems == [
            f"{renamed['id']} {where}: shows {renamed['title']!r}, not 'آخر عنوان'",
            f"{deleted['id']} {where}: deleted, yet shown",
            f"{never['id']} {where}: acknowledged, among the newest, yet missing",
        ]
