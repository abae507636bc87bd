"""Fixtures: configs and settings, the CLI in-process, the app behind a test client, live servers.

The code behind them lives in :mod:`tests.support`; this module only makes
fixtures of it.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.cli import main
from feeds.config.loader import load_settings
from feeds.config.settings import Settings
from tests.support import fetch as fetching
from tests.support.clock import Clock
from tests.support.commands import ImportRecords, Nashra, Run
from tests.support.config import MakeConfig, config_toml
from tests.support.fetch import Fetch
from tests.support.live import LiveServer, Serve, live_server

# CI runs the property tests with a fixed seed, so a submission's result does not
# depend on chance; locally each run explores new examples.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def make_config(tmp_path: Path) -> MakeConfig:
    """``make_config(extra_toml="", **overrides) -> Path``: write a test configuration.

    The store is ``tmp_path/nashra.db`` unless ``store={"path": ...}`` says
    otherwise; see :func:`tests.support.config.config_toml` for the overrides.
    The first file is ``tmp_path/nashra.toml``, later ones ``nashra-2.toml``…
    """
    written = 0

    def make(extra_toml: str = "", **overrides: Any) -> Path:
        nonlocal written
        written += 1
        path = tmp_path / ("nashra.toml" if written == 1 else f"nashra-{written}.toml")
        text = config_toml(tmp_path / "nashra.db", extra_toml, **overrides)
        path.write_text(text, encoding="utf-8")
        return path

    return make


@pytest.fixture
def config_file(make_config: MakeConfig) -> Path:
    """The configuration the fixtures below use; a module overrides it to change it."""
    return make_config()


@pytest.fixture
def settings(config_file: Path) -> Settings:
    return load_settings(config_file)


@pytest.fixture
def nashra(config_file: Path, capsys: pytest.CaptureFixture[str]) -> Nashra:
    """Run the ``nashra`` CLI in-process against the test config: ``nashra("import", ...)``."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main([*args, "--config", str(config_file)])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def import_records(tmp_path: Path, nashra: Nashra) -> ImportRecords:
    """Write records (dicts, or raw lines) to a JSON Lines file and import it."""

    def run(records: list[Any], *options: str) -> Run:
        path = tmp_path / "articles.jsonl"
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return nashra("import", str(path), *options)

    return run


@pytest.fixture
def clock() -> Clock:
    """The ``client`` app's clock: the real time until the test stops or moves it."""
    return Clock()


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app, base_url="https://news.example") as test_client:
        yield test_client


@pytest.fixture
def fetch(client: TestClient) -> Fetch:
    """``fetch(path, headers=None)``: the 200 answer of ``client``, a feed validated."""
    return functools.partial(fetching.fetch, client)


@pytest.fixture
def serve(config_file: Path, tmp_path: Path) -> Serve:
    """``with serve(workers=2) as server:`` runs ``nashra serve`` on the test config.

    Its log is ``tmp_path/serve-N.log``; see :func:`tests.support.live.live_server`.
    """

    def start(workers: int = 1) -> AbstractContextManager[LiveServer]:
        return live_server(config_file, workers=workers, log_dir=tmp_path)

    return start
