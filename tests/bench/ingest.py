"""``nashra import`` run as a subprocess: its own articles/s figure and the wall time."""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

#: The end of the import's summary line: ``..., 12.34 s, 8,103 articles/s``.
SUMMARY = re.compile(r"(?P<seconds>[\d.]+) s, (?P<rate>[\d,.]+) articles/s\s*$", re.MULTILINE)


class ImportFailed(RuntimeError):
    """``nashra import`` exited with an error or printed no summary."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    summary: str
    seconds: float
    articles_per_s: float
    wall_s: float
    store_mib: float
    stderr_lines: int


def run_import(nashra: Path, config: Path, db: Path, jsonl: Path, log: Path) -> ImportResult:
    """Import ``jsonl`` into ``db``; stderr (warnings, problems) goes to ``log``."""
    argv = [str(nashra), "import", str(jsonl), "--config", str(config), "--db", str(db)]
    started = time.perf_counter()
    with log.open("wb") as errors:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=errors, text=True)
    wall = time.perf_counter() - started
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    match = SUMMARY.search(done.stdout)
    if done.returncode or match is None:
        tail = " | ".join(lines[-3:]) or done.stdout.strip()
        raise ImportFailed(f"nashra import exited {done.returncode}: {tail}")
    return ImportResult(
        summary=done.stdout.strip().splitlines()[-1],
        seconds=float(match["seconds"]),
        articles_per_s=float(match["rate"].replace(",", "")),
        wall_s=wall,
        store_mib=_store_bytes(db) / 2**20,
        stderr_lines=len(lines),
    )


def _store_bytes(db: Path) -> int:
    """The SQLite file and its write-ahead log, if any."""
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


#: The link-heavy import: a few articles whose bodies are nothing but relative links, the
#: shape that once made cleaning quadratic in the number of links (seconds per article).
LINK_HEAVY_ARTICLES = 5
LINKS_PER_ARTICLE = 8000


def link_heavy_file(path: Path, category: str, language: str) -> Path:
    """A JSON Lines file of :data:`LINK_HEAVY_ARTICLES` bodies of relative links each.

    Each record names its language, so that no language identification (its
    model takes longer to load than these take to clean) blurs the figure.
    """
    lines = []
    for index in range(LINK_HEAVY_ARTICLES):
        links = "".join(
            f'<a href="/{index}/related-{n}/">{n}</a> ' for n in range(LINKS_PER_ARTICLE)
        )
        record = {
            "id": f"links-{index}",
            "title": f"Links {index}",
            "link": f"https://news.example/{index}/",
            "published": "2026-10-01T08:00:00+03:00",
            "categories": [category],
            "language": language,
            "content": f"<p>{links}</p>",
        }
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")
    return path
