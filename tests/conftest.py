"""Fixtures: a real temporary SQLite store, the app behind a test client, the CLI in-process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.cli import main
from feeds.config.settings import Settings, load_settings
from tests.support.live import LiveServer, Serve, live_server

# CI runs the property tests with a fixed seed, so a submission's result does not
# depend on chance; locally each run explores new examples.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

CONFIG = """\
[site]
title = "نشرة"
link = "https://news.example/"
language = "ar"
description = "آخر الأخبار"

[feeds]
items = 50

[store]
path = "{db}"

[[categories]]
slug = "politics"
title = "سياسة"
description = "أخبار السياسة"

[[categories]]
slug = "economy"
title = "اقتصاد"

[[categories]]
slug = "farsi"
title = "فارسی"
language = "fa"

[[categories]]
slug = "urdu"
title = "اردو"
language = "ur"

[[categories]]
slug = "english"
title = "English edition"
language = "en"

[[categories]]
slug = "francais"
title = "Édition française"
language = "fr"
"""


@dataclass
class Run:
    """What one ``nashra`` command did."""

    code: int
    out: str
    err: str


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "nashra.toml"
    path.write_text(CONFIG.format(db=tmp_path / "nashra.db"), encoding="utf-8")
    return path


@pytest.fixture
def settings(config_file: Path) -> Settings:
    return load_settings(config_file)


@pytest.fixture
def nashra(config_file: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the ``nashra`` CLI in-process against the test config: ``nashra("import", ...)``."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main([*args, "--config", str(config_file)])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def import_records(tmp_path: Path, nashra):  # type: ignore[no-untyped-def]
    """Write records (dicts, or raw lines) to a JSON Lines file and import it."""

    def run(records: list[Any], *options: str) -> Run:
        path = tmp_path / "articles.jsonl"
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return nashra("import", str(path), *options)

    return run


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="https://news.example") as test_client:
        yield test_client


@pytest.fixture
def serve(config_file: Path, tmp_path: Path) -> Serve:
    """``with serve(workers=2) as server:`` runs ``nashra serve`` on the test config.

    Its log is ``tmp_path/serve-N.log``; see :func:`tests.support.live.live_server`.
    """

    def start(workers: int = 1) -> AbstractContextManager[LiveServer]:
        return live_server(config_file, workers=workers, log_dir=tmp_path)

    return start
