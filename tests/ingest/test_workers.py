"""The validation workers: forked when that is safe, so an import starts at once."""

from __future__ import annotations

import threading

import pytest

from feeds.ingest.pipeline import validation_workers

#: Changed in the test process after start-up: a forked worker sees the change, a spawned one
#: (a new interpreter, which imports this module afresh) does not.
changed_after_start = {"value": "as imported"}


def seen_by_worker() -> str:
    return changed_after_start["value"]


@pytest.fixture
def one_thread() -> None:
    if threading.active_count() != 1:
        pytest.skip("the test runner runs threads of its own here")


def test_workers_are_forked_from_a_process_with_one_thread(
    one_thread: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(changed_after_start, "value", "changed")
    with validation_workers(2) as workers:
        assert workers is not None
        assert workers.pool.submit(seen_by_worker).result() == "changed"


def test_workers_are_spawned_once_another_thread_runs(
    one_thread: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(changed_after_start, "value", "changed")
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        with validation_workers(2) as workers:
            assert workers is not None
            assert workers.pool.submit(seen_by_worker).result() == "as imported"
    finally:
        release.set()
        other.join()


def test_one_cpu_validates_in_the_importing_process() -> None:
    with validation_workers(1) as workers:
        assert workers is None
