"""An article's digest never changes: stored stores compare it to tell a re-import unchanged.

A digest computed differently (a field joined otherwise, a date written
otherwise) would make every article of every existing store look changed
on its next import: rewritten, its feeds' versions bumped, caches purged,
WebSub subscribers told. So the digests of fixed articles are pinned here,
and the digest of any article is compared with the formula as first written.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.sqlite.rows import digest, prepare
from store.types import Article, Image

RIYADH = timezone(timedelta(hours=3))
PLAIN = Article(
    id="a-1",
    title="عنوان",
    link="https://news.example/a-1/",
    published=datetime(2026, 11, 1, 11, 0, tzinfo=RIYADH),
    updated=datetime(2026, 11, 1, 11, 0, tzinfo=RIYADH),
    categories=("politics",),
    language="ar",
)
FULL = Article(
    id="a-2",
    title="Breaking: \u202bعاجل\u202c",
    link="https://news.example/a-2/?x=1",
    published=datetime(2026, 11, 1, 8, 0, 0, 250000, tzinfo=UTC),
    updated=datetime(2026, 11, 1, 9, 30, tzinfo=timezone(timedelta(hours=-4, minutes=-30))),
    categories=("politics", "economy"),
    language="ar-SA",
    author="Nour Haddad",
    summary="سطر\nسطر",
    content='<p>نص <a href="https://news.example/x/" rel="noopener noreferrer">x</a></p>',
    breaking=True,
    image=Image("https://news.example/a.jpg", "image/jpeg", 1234, "صورة", 800, 450),
    breaking_until=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
)
VARIANTS = {
    "plain": PLAIN,
    "full": FULL,
    "without image": replace(FULL, image=None),
    "image without details": replace(FULL, image=Image("https://news.example/a.jpg", "image/png")),
    "image with alt only": replace(
        FULL, image=Image("https://news.example/a.jpg", "image/png", alt="x")
    ),
    "not breaking": replace(FULL, breaking=False, breaking_until=None),
    "no categories": replace(PLAIN, categories=(), breaking=True),
}
#: Computed by the code that wrote the stores in use (before its speed-up), never recomputed.
PINNED = {
    "plain": "d81788936123f4a0f717a545ada940a3bd62ce52f7986446d2c7ffcc92186af4",
    "full": "55996a443e8221742575ba3bc9c6362ae0cb5dc1a1da65a9f434ff59af7e3ff5",
    "without image": "a61d9e8b65adf0e4403105dc7f10b4d371fdd7a97e0e7118095ce36bb42dab61",
    "image without details": "da6cdd948ce1d12904de4b3792420a7cae3d574fe6d90a506d96bedd1e1233f9",
    "image with alt only": "cb9e1269e1092c0459020f333059158d019cb6854129ba8ac5d60f3631ccd547",
    "not breaking": "42deaa207473c9d99dab9f5e1e5c4cb0e10bdd3ac6f9af067086053727a21899",
    "no categories": "937c60b735ecfaabaed445fb988530694037ade273e5c93101ade106416d789c",
}


@pytest.mark.parametrize("name", VARIANTS)
def test_the_digest_of_a_fixed_article_is_pinned(name: str) -> None:
    assert digest(VARIANTS[name]) == PINNED[name]
    assert prepare(VARIANTS[name]).digest == PINNED[name]


def digest_as_first_written(article: Article) -> str:
    """The formula of ``store.sqlite.rows.digest`` as stores were written with it."""
    image = article.image
    image_digest = None
    if image is not None:
        image_digest = f"{image.url}\x1e{image.type}\x1e{image.length}"
        details = (image.alt, image.width, image.height)
        if details != (None, None, None):
            image_digest += "".join(
                f"\x1e{'' if d is None else f'{len(str(d))}:{d}'}" for d in details
            )
    fields = (
        article.id, article.title, article.link, article.published.isoformat(),
        article.updated.isoformat(), "\x1e".join(article.categories), article.language,
        article.author, article.summary, article.content, str(article.breaking), image_digest,
        article.breaking_until.isoformat() if article.breaking_until else None,
    )  # fmt: skip
    joined = "\x00".join("\x01" if f is None else f"{len(f)}:{f}" for f in fields)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=30)
MOMENT = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
)
IMAGE = st.builds(
    Image,
    url=TEXT,
    type=TEXT,
    length=st.none() | st.integers(0, 2**63 - 1),
    alt=st.none() | TEXT,
    width=st.none() | st.integers(1, 100_000),
    height=st.none() | st.integers(1, 100_000),
)
ARTICLE = st.builds(
    Article,
    id=TEXT,
    title=TEXT,
    link=TEXT,
    published=MOMENT,
    updated=MOMENT,
    categories=st.lists(TEXT, max_size=3).map(tuple),
    language=TEXT,
    author=st.none() | TEXT,
    summary=st.none() | TEXT,
    content=st.none() | TEXT,
    breaking=st.booleans(),
    image=st.none() | IMAGE,
    breaking_until=st.none() | MOMENT,
)


@given(ARTICLE)
def test_every_article_digests_as_the_formula_was_first_written(article: Article) -> None:
    assert digest(article) == digest_as_first_written(article)
    assert prepare(article).digest == digest_as_first_written(article)
