"""nashra's version, as installed: the one number, kept in ``pyproject.toml``."""

from __future__ import annotations

from importlib.metadata import version

__version__ = version("nashra")
