"""Tests of feeds.version: the version comes from pyproject.toml, through the install."""

from __future__ import annotations

import tomllib
from pathlib import Path

from feeds.version import __version__

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_version_is_the_one_in_pyproject() -> None:
    with PYPROJECT.open("rb") as file:
        assert __version__ == tomllib.load(file)["project"]["version"]
