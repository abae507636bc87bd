"""The layering the code is built on: dependencies point down, and feeds/ sees only the protocol.

``store/`` never imports ``feeds/``. In ``feeds/``, only the two modules
that put the application together (``app.py`` and ``cli.py``) name the
concrete SQLite store; everything else depends on :mod:`store.protocol` and
the values of :mod:`store.types`, so a second backend needs no change there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
COMPOSITION_ROOTS = {"feeds/app.py", "feeds/cli.py"}
#: What the rest of feeds/ may import from store/: the interface and its values.
STORE_INTERFACE = {"store.protocol", "store.types", "store.clock", "store.errors"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from store import sqlite` imports the module store.sqlite
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("store"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_store_never_imports_feeds(path: Path) -> None:
    assert not {name for name in _imports(path) if name.split(".")[0] == "feeds"}


@pytest.mark.parametrize("path", _modules("feeds"), ids=lambda p: str(p.relative_to(ROOT)))
def test_feeds_see_only_the_store_interface_except_where_the_app_is_put_together(
    path: Path,
) -> None:
    if str(path.relative_to(ROOT)) in COMPOSITION_ROOTS:
        return
    modules = {name for name in _imports(path) if name.split(".")[0] == "store"}
    # a from-import lists both the module and module.name: either must be the interface
    assert all(
        name in STORE_INTERFACE or name.rpartition(".")[0] in STORE_INTERFACE for name in modules
    ), sorted(modules)
