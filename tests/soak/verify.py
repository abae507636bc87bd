"""The end-of-run checks: what the API and the feeds serve against what was acknowledged.

Every feed is fetched afresh in every format, several times on new
connections (so each worker answers some), and must pass the strict
validators. Then each article the CMS wrote: the API returns its last
acknowledged version (or 404 once deleted); a feed it belongs to shows it
with that title whenever it is among the feed's newest entries (newer than
the oldest entry of a full feed); no feed shows a deleted article, or an
article in a feed it has left.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx2 as httpx
from lxml import etree

from tests.soak.writer import Ledger, feeds_of
from tests.support.fetch import VALIDATORS

ATOM = "{http://www.w3.org/2005/Atom}"
ROUNDS = 4  # fetches of each feed, each on a new connection
RTL_MARK = "\u200f"  # put before titles that open with a Latin word in an RTL feed


@dataclass(frozen=True, slots=True)
class Entry:
    link: str
    title: str
    published: datetime


def feed_entries(extension: str, body: bytes) -> list[Entry]:
    """The entries of a feed document, in any of the three formats."""
    if extension == "json":
        items = json.loads(body)["items"]
        return [
            Entry(i["url"], i.get("title", ""), datetime.fromisoformat(i["date_published"]))
            for i in items
        ]
    root = etree.fromstring(body)
    if extension == "atom":
        return [
            Entry(
                e.find(f"{ATOM}link[@rel='alternate']").get("href"),
                e.findtext(f"{ATOM}title", ""),
                datetime.fromisoformat(e.findtext(f"{ATOM}published")),
            )
            for e in root.iter(f"{ATOM}entry")
        ]
    return [
        Entry(
            i.findtext("link"),
            i.findtext("title", ""),
            parsedate_to_datetime(i.findtext("pubDate")),
        )
        for i in root.iter("item")
    ]


def fetch_feeds(
    base: str, site: str, feeds: Iterable[str], extensions: Iterable[str]
) -> tuple[dict[tuple[str, str], list[Entry]], list[str]]:
    """Each feed's entries by (feed, extension), and every problem met fetching or validating."""
    entries: dict[tuple[str, str], list[Entry]] = {}
    problems: list[str] = []
    for feed in feeds:
        for extension in extensions:
            path = f"/feeds/{feed}.{extension}"
            for _ in range(ROUNDS):
                with httpx.Client(base_url=base, timeout=30) as client:
                    response = client.get(path)
                if response.status_code != 200:
                    problems.append(f"{path}: {response.status_code}")
                    continue
                check = VALIDATORS[f".{extension}"]
                found = check(response.content, url=f"{site}feeds/{feed}.{extension}")
                problems += [f"{path}: {p}" for p in found[:5]]
                seen = feed_entries(extension, response.content)
                if (feed, extension) in entries and entries[feed, extension] != seen:
                    problems.append(f"{path}: two fetches on new connections differ")
                entries[feed, extension] = seen
    return entries, problems


def api_problems(base: str, secret: str, ledger: Ledger) -> list[str]:
    """Where ``GET /api/articles/{id}`` disagrees with the last acknowledged write."""
    problems = []
    auth = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=base, timeout=30, headers=auth) as client:
        for article_id, expected in ledger.articles.items():
            response = client.get(f"/api/articles/{article_id}")
            status = response.status_code
            if expected.record is None:
                if status != 404:
                    problems.append(f"{article_id}: deleted, yet the API answers {status}")
                continue
            if status != 200:
                problems.append(f"{article_id}: acknowledged, yet the API answers {status}")
            elif response.json() != expected.record:
                problems.append(
                    f"{article_id}: the API holds {response.json()['title']!r}, "
                    f"the last acknowledged write {expected.record['title']!r}"
                )
    return problems


def feed_problems(
    entries: dict[tuple[str, str], list[Entry]], ledger: Ledger, items: int
) -> tuple[int, list[str]]:
    """How many (article, feed, format) placements were checked, and every wrong one."""
    checked = 0
    problems = []
    for (feed, extension), shown in entries.items():
        by_link = {e.link: e for e in shown}
        oldest = min((e.published for e in shown), default=None)
        full = len(shown) >= items
        for article_id, expected in ledger.articles.items():
            record = expected.record
            where = f"{article_id} in {feed}.{extension}"
            if record is None or feed not in feeds_of(record):
                if expected.link in by_link:
                    why = "deleted" if record is None else "moved out"
                    problems.append(f"{where}: {why}, yet shown")
                continue
            published = datetime.fromisoformat(record["published"])
            if full and oldest is not None and published <= oldest:
                continue  # older than the feed's window: rightly left out
            checked += 1
            entry = by_link.get(record["link"])
            if entry is None:
                problems.append(f"{where}: acknowledged, among the newest, yet missing")
            elif entry.title.removeprefix(RTL_MARK) != record["title"]:
                problems.append(f"{where}: shows {entry.title!r}, not {record['title']!r}")
    return checked, problems
