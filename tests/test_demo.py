"""``make run``: the demo imports and serves one config, whose links point where it serves.

config/demo.toml is config/nashra.toml (the documented reference) with
site.link at the demo server, so the links of the page, the feeds and the
OPML list work on the machine running it. Both commands of ``make run`` must
read it: the import checks the categories that are served, and the ids,
built from site.link, stay those of the demo.
"""

from __future__ import annotations

import dataclasses
import shlex
import subprocess
from pathlib import Path

from feeds.config.loader import load_settings
from feeds.config.settings import Settings

ROOT = Path(__file__).parent.parent


def make_run_commands() -> dict[str, list[str]]:
    """The ``nashra`` commands ``make run`` would run, by subcommand (``make -n``: none runs)."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    commands = {}
    for line in printed.splitlines():
        words = shlex.split(line)
        if words and Path(words[0]).name == "nashra":
            commands[words[1]] = words[2:]
    return commands


def option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


def without_link(settings: Settings) -> Settings:
    site = dataclasses.replace(settings.site, link="-")
    return dataclasses.replace(settings, site=site, source=None)


def test_make_run_imports_and_serves_the_demo_config_at_its_own_address() -> None:
    commands = make_run_commands()
    assert set(commands) == {"import", "serve"}
    config = option(commands["serve"], "--config")
    assert option(commands["import"], "--config") == config
    demo = load_settings(ROOT / config)
    serve = commands["serve"]
    assert demo.site.link == f"http://{option(serve, '--host')}:{option(serve, '--port')}/"


def test_the_demo_config_is_the_reference_but_for_the_link() -> None:
    demo = load_settings(ROOT / "config/demo.toml")
    reference = load_settings(ROOT / "config/nashra.toml")
    assert demo.site.link != reference.site.link
    assert without_link(demo) == without_link(reference)
