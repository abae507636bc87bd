"""The ``nashra`` command line, and a real server started by it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import feedparser
import httpx2 as httpx
import pytest

from feeds.cli import main
from tests.support.builders import record
from tests.support.live import Serve


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ([], ["serve", "import"]),
        (["serve"], ["--config", "--db", "--host", "--port", "--workers", "NASHRA_CONFIG"]),
        (["import"], ["FILE", "--config", "--db", "--skip-invalid", "standard input"]),
    ],
)
def test_help_is_complete(
    command: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for word in expected:
        assert word in out


def test_bad_config_stops_with_one_message_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[site]\ntitle = "x"\nlink = "/news/"\nlanguage = "ar"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "feeds.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "site.link" in lines[0]
    assert "absolute" in lines[0]


def test_config_from_environment(tmp_path: Path, config_file: Path) -> None:
    data = tmp_path / "one.jsonl"
    data.write_text(json.dumps(record(1)) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "feeds.cli", "import", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**_env(), "NASHRA_CONFIG": str(config_file)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("added 1, updated 0, unchanged 0")
    assert (tmp_path / "nashra.db").exists()


def test_live_server_serves_feeds_and_sees_an_import(nashra, serve: Serve, tmp_path: Path):  # type: ignore[no-untyped-def]
    data = tmp_path / "a.jsonl"
    data.write_text(json.dumps(record(1), ensure_ascii=False) + "\n", encoding="utf-8")
    assert nashra("import", str(data)).code == 0
    with serve(workers=2) as server, httpx.Client(base_url=server.url) as client:
        first = client.get("/feeds/politics.atom")
        assert first.status_code == 200
        assert first.headers["content-type"] == "application/atom+xml; charset=utf-8"
        parsed = feedparser.parse(first.content)
        assert not parsed.bozo
        assert [e.link for e in parsed.entries] == [record(1)["link"]]
        data.write_text(json.dumps(record(2), ensure_ascii=False) + "\n", encoding="utf-8")
        assert nashra("import", str(data)).code == 0
        # every request after the commit, whichever worker answers it, has the change
        for _ in range(20):
            with httpx.Client(base_url=server.url) as fresh:
                response = fresh.get(
                    "/feeds/politics.atom", headers={"If-None-Match": first.headers["etag"]}
                )
            assert response.status_code == 200
            assert record(2)["link"].encode() in response.content


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
