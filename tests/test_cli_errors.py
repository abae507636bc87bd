"""Hostile config values and arguments: ``nashra`` stops with one line naming the key.

Each case runs the real ``nashra`` in-process (the ``nashra`` fixture) on a
config written by ``make_config``: exit status 2 and exactly one line on
stderr, which names the key or option at fault, never a traceback. Config
cases run ``import`` (which reads the config first, like ``serve``) so that
a value that wrongly passes shows up as a finished import, not a server left
running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.support.commands import Nashra
from tests.support.config import MakeConfig, token

HUB = "https://hub.example/"
TOKEN = token("cms", "hostile-test-token")

#: (dotted key named in the message, make_config overrides)
CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("site.link", {"site": {"link": "https://news\x00.example/"}}),
    ("site.link", {"site": {"link": "https://news.example/a\x00b/"}}),
    ("site.link", {"site": {"link": "https://news.example/\x7f/"}}),
    ("site.link", {"site": {"link": "https://news.example/\x85/"}}),
    ("site.link", {"site": {"link": "http://[::1/"}}),
    ("site.link", {"site": {"link": "http://[news]/"}}),
    ("site.link", {"site": {"link": "https://news.example:80000/"}}),
    ("site.link", {"site": {"link": ["https://news.example/"]}}),
    ("site.title", {"site": {"title": "a\x00b"}}),
    ("site.title", {"site": {"title": float("nan")}}),
    ("site.language", {"site": {"language": "\x00"}}),
    ("site.tag_date", {"site": {"tag_date": "nan"}}),
    ("websub.hub", {"websub": {"hub": "https://hub\x00.example/"}}),
    ("websub.hub", {"websub": {"hub": "https://hub.example/\x1b[2J"}}),
    ("websub.hub", {"websub": {"hub": "https://hub.example/\x7f"}}),
    ("websub.hub", {"websub": {"hub": "http://[::1"}}),
    ("websub.hub", {"websub": {"hub": "http://[hub]/"}}),
    ("websub.hub", {"websub": {"hub": "https://hub.example:99999/"}}),
    ("websub.hub", {"websub": {"hub": "https://hub.example:-1/"}}),
    ("websub.hub", {"websub": {"hub": 443}}),
    ("websub", {"websub": [{"hub": HUB}]}),
    ("feeds.items", {"feeds": {"items": 2**64}}),
    ("feeds.items", {"feeds": {"items": float("inf")}}),
    ("feeds.ttl", {"feeds": {"ttl": -(2**63) - 1}}),
    ("feeds.max_age", {"feeds": {"max_age": float("nan")}}),
    ("feeds.max_age", {"feeds": {"max_age": "nan"}}),
    ("feeds.rtl_mark", {"feeds": {"rtl_mark": "true"}}),
    ("api.max_batch", {"api": {"max_batch": 10**30}}),
    ("api.max_body", {"api": {"max_body": 1.5}}),
    ("store.path", {"store": {"path": "var/a\x00b.db"}}),
    ("store.path", {"store": {"path": ""}}),
    ("store", {"store": [{"path": "x.db"}]}),
    ("categories[0].slug", {"categories": [{"slug": "a\x00", "title": "x"}]}),
    ("categories[0].title", {"categories": [{"slug": "x", "title": []}]}),
    ("feeds", {"feeds": [{"items": 5}]}),
    ("tokens[0].categories[0]", {"tokens": [TOKEN | {"categories": [["politics"]]}]}),
    ("tokens[0].categories[0]", {"tokens": [TOKEN | {"categories": [[]]}]}),
    ("tokens[0].categories[0]", {"tokens": [TOKEN | {"categories": [2**64]}]}),
    ("tokens[0].categories", {"tokens": [TOKEN | {"categories": "politics"}]}),
    ("tokens[0].name", {"tokens": [TOKEN | {"name": "a\x00b"}]}),
    ("tokens[0].name", {"tokens": [TOKEN | {"name": "cms\nINFO: forged log line"}]}),
    ("tokens[0].breaking", {"tokens": [TOKEN | {"breaking": "yes"}]}),
    ("tokens[0].hash", {"tokens": [TOKEN | {"hash": "sha256:\x00"}]}),
    ("tokens[0].name", {"tokens": [{"hash": TOKEN["hash"]}]}),
]


@pytest.fixture
def config_file(make_config: MakeConfig, request: pytest.FixtureRequest) -> Path:
    """The test configuration with the case's hostile value (none for argument cases)."""
    return make_config(**getattr(request, "param", {}))


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    return path


def assert_one_line_naming(err: str, key: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("nashra") and key in lines[0], err


@pytest.mark.parametrize(
    ("key", "config_file"),
    [pytest.param(key, changes, id=f"{i}-{key}") for i, (key, changes) in enumerate(CONFIGS)],
    indirect=["config_file"],
)
def test_a_hostile_config_value_stops_with_one_line_naming_the_key(
    nashra: Nashra, records: Path, key: str
) -> None:
    run = nashra("import", str(records))
    assert run.code == 2, run
    assert_one_line_naming(run.err, f"{key}: ")


@pytest.mark.parametrize(
    ("option", "args"),
    [
        ("--port", ["serve", "--port", "80000"]),
        ("--port", ["serve", "--port", "65536"]),
        ("--port", ["serve", "--port", "0"]),
        ("--port", ["serve", "--port", "-1"]),
        ("--port", ["serve", "--port", "nan"]),
        ("--port", ["serve", "--port", "8e3"]),
        ("--port", ["serve", "--port", "9" * 5000]),
        ("--workers", ["serve", "--workers", "0"]),
        ("--workers", ["serve", "--workers", "-3"]),
        ("--workers", ["serve", "--workers", "1.5"]),
        ("--workers", ["serve", "--workers", "9" * 5000]),
        ("--skip-invalid", ["import", "x.jsonl", "--skip-invalid=yes"]),
        ("--frobnicate", ["import", "x.jsonl", "--frobnicate"]),
        ("COMMAND", ["launch"]),
        ("FILE", ["import"]),
    ],
)
def test_a_hostile_argument_stops_with_one_line_naming_the_option(
    nashra: Nashra, option: str, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_server(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a server was started with {kwargs}")

    monkeypatch.setattr(uvicorn, "run", no_server)  # a bad value that passes must not serve
    run = nashra(*args)
    assert run.code == 2, run
    assert run.out == ""
    assert_one_line_naming(run.err, option)
