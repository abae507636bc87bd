"""Deterministic test articles: import records in five languages, and store articles.

The project's tests must not depend on ``../shared``, so they make their own
articles, in every language and shape the feeds must handle.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from store.types import Article

BASE = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)

WORDS = {
    "ar": "الحكومة المجلس الاقتصاد الأسواق المنتخب الوزير العاصمة المؤتمر المدينة الطلاب".split(),
    "fa": "دولت مجلس اقتصاد بازار تیم وزیر پایتخت همایش شهر دانشجویان".split(),
    "ur": "حکومت اسمبلی معیشت بازار ٹیم وزیر دارالحکومت کانفرنس شہر طلبہ".split(),
    "en": "government council economy markets team minister capital summit city students".split(),
    "fr": "gouvernement conseil économie marchés équipe ministre capitale sommet ville".split(),
}
#: category slug of each language in the test configuration (tests/support/config.py)
CATEGORY = {"ar": "politics", "fa": "farsi", "ur": "urdu", "en": "english", "fr": "francais"}
OFFSETS = {"ar": "+03:00", "fa": "+03:30", "ur": "+05:00", "en": "+00:00", "fr": "+01:00"}


def rfc3339(moment: datetime, offset: str) -> str:
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    delta = timedelta(hours=hours, minutes=minutes) * sign
    local = (moment + delta).replace(tzinfo=None)
    return local.isoformat(timespec="seconds") + offset


def record(index: int, language: str = "ar", **overrides: Any) -> dict[str, Any]:
    """One valid import record; ``overrides`` replace or (with None) drop fields."""
    rng = random.Random(index)
    words = WORDS[language]
    published = BASE + timedelta(minutes=37 * index)
    title = " ".join(rng.choice(words) for _ in range(6))
    data: dict[str, Any] = {
        "id": f"t-{index:05d}",
        "title": title,
        "link": f"https://news.example/{published:%Y/%m/%d}/t-{index:05d}/",
        "published": rfc3339(published, OFFSETS[language]),
        "updated": rfc3339(published + timedelta(minutes=rng.randrange(0, 90)), OFFSETS[language]),
        "author": rng.choice(["ليلى منصور", "Karim Saleh", "مریم احمدی", "Jeanne Martin"]),
        "summary": " ".join(rng.choice(words) for _ in range(15)),
        "content": "".join(
            f"<p>{' '.join(rng.choice(words) for _ in range(20))}</p>" for _ in range(3)
        )
        + f'<p><a href="/related/{index}/">{words[0]}</a></p>',
        "categories": [CATEGORY[language]],
        "language": language,
        "breaking": index % 7 == 0,
        "image": {
            "url": f"https://news.example/media/t-{index:05d}.jpg",
            "type": "image/jpeg",
            "length": 1000 + index,
        },
    }
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def mixed_records(count: int) -> list[dict[str, Any]]:
    """``count`` records cycling through the five languages; some in two categories."""
    languages = list(WORDS)
    records = []
    for index in range(count):
        language = languages[index % len(languages)]
        data = record(index, language)
        if index % 4 == 0 and language != "ar":
            data["categories"].append("politics")  # a foreign-language entry in an Arabic feed
        records.append(data)
    return records


#: The moment :func:`article` dates its articles from, and a day after it.
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


def article(index: int, **changes: Any) -> Article:
    """Article ``a-{index}`` as the store takes it (valid and clean already).

    Published ``index`` hours before :data:`NOW`; even ones are breaking.
    ``changes`` replace fields. Tests of the import and the feeds build
    records with :func:`record` instead, and let nashra validate them.
    """
    when = NOW - timedelta(hours=index)
    fields: dict[str, Any] = {
        "id": f"a-{index}",
        "title": f"عنوان {index}",
        "link": f"https://news.example/a-{index}/",
        "published": when,
        "updated": when,
        "categories": ("politics",),
        "language": "ar",
        "breaking": index % 2 == 0,
    }
    fields.update(changes)
    return Article(**fields)
