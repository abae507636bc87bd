"""What the publishing tests share: a published site and what ``nashra serve`` sends for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.config.settings import Settings
from feeds.formats.registry import FORMATS, HTML_VIEW

EXTENSIONS = [fmt.extension for fmt in (*FORMATS, HTML_VIEW)]


@pytest.fixture
def served(settings: Settings) -> Iterator[TestClient]:
    """The app ``nashra serve`` runs, on the test store, at the real time as publish reads it."""
    with TestClient(create_app(settings), base_url="https://news.example") as client:
        yield client


def raw(client: TestClient, path: str, encoding: str) -> tuple[bytes, dict[str, str]]:
    """The bytes sent for ``path`` in ``encoding``, as sent (not decoded), and the headers."""
    with client.stream("GET", path, headers={"Accept-Encoding": encoding}) as response:
        assert response.status_code == 200, path
        return b"".join(response.iter_raw()), dict(response.headers)


def published_files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: its inode and modification time (ns), by relative path."""
    return {
        str(path.relative_to(root)): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
