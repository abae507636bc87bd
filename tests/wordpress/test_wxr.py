"""nashra import --format wxr: WordPress's own export gives the articles the REST sync gives."""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path
from typing import Any

from feeds.config.settings import Settings
from tests.support.commands import Nashra
from tests.wordpress.conftest import articles
from tests.wordpress.replay import FIXTURES, ReplayWordPress

EXPORT = FIXTURES / "export.xml"  # export_wp() of the "after" state

#: What WordPress's display filters change between what it stores (the export) and what it
#: shows (the REST API): wptexturize's typography.
TEXTURIZED = str.maketrans({"“": '"', "”": '"', "’": "'", "—": "--", "…": "..."})


def _as_stored(value: str | None) -> str | None:
    return unicodedata.normalize("NFC", value).translate(TEXTURIZED) if value else value


def test_the_export_gives_the_articles_of_a_full_sync(
    settings: Settings, sync: Any, wordpress: ReplayWordPress, nashra: Nashra
) -> None:
    wordpress.state("after")
    sync(full=True)
    synced = articles(settings)
    settings.store.path.rename(settings.store.path.with_name("synced.db"))
    for extra in ("-wal", "-shm"):
        settings.store.path.with_name(settings.store.path.name + extra).unlink(missing_ok=True)

    run = nashra("import", "--format", "wxr", str(EXPORT))
    assert run.code == 0, run.err
    assert run.err == "skipped 1 published posts: password-protected\n"
    imported = articles(settings)

    assert imported.keys() == synced.keys()
    for key, article in imported.items():
        rest = synced[key]
        same = ("link", "published", "updated", "author", "categories", "language", "breaking",
                "breaking_until", "image")  # fmt: skip
        assert {f: getattr(article, f) for f in same} == {f: getattr(rest, f) for f in same}, key
        assert _as_stored(article.title) == _as_stored(rest.title), key
    # the one field that differs by nature: an excerpt WordPress makes up for the REST API
    assert imported["wp-7"].summary is None and synced["wp-7"].summary


def test_only_published_posts_with_their_featured_images(
    settings: Settings, nashra: Nashra
) -> None:
    assert nashra("import", "--format", "wxr", str(EXPORT)).code == 0
    stored = articles(settings)
    assert "wp-2" not in stored  # a page
    assert not {"wp-13", "wp-15", "wp-20", "wp-21", "wp-22"} & set(stored)  # private, trash, …
    image = stored["wp-12"].image  # _thumbnail_id resolved to the attachment
    assert image is not None and image.alt == "أفق مدينة الرياض عند الغروب"
    assert dataclasses.astuple(image)[1:] == ("image/jpeg", 6616, image.alt, 640, 360)


def test_a_wxr_file_from_standard_input_is_refused(nashra: Nashra) -> None:
    run = nashra("import", "--format", "wxr", "-")
    assert run.code == 2
    assert run.err == "nashra: error: import: a WXR file is read twice: give its path, not -\n"


def test_a_file_that_is_not_xml_is_one_line(tmp_path: Any, nashra: Nashra) -> None:
    bad = tmp_path / "export.xml"
    bad.write_text("<rss><channel><item>", encoding="utf-8")
    run = nashra("import", "--format", "wxr", str(bad))
    assert run.code == 2
    assert run.err.startswith("nashra: error: not a well-formed WordPress export: ")
    assert run.err.count("\n") == 1


def test_a_store_kept_in_step_by_sync_refuses_an_export(
    settings: Settings, sync: Any, wordpress: ReplayWordPress, nashra: Nashra
) -> None:
    wordpress.state("after")
    sync(full=True)
    synced = articles(settings)
    run = nashra("import", "--format", "wxr", str(EXPORT))
    assert run.code == 2
    assert "nashra sync wordpress --full" in run.err and len(run.err.splitlines()) == 1
    assert articles(settings) == synced  # the texturized text stays: no flip-flop


def test_a_post_listed_twice_is_one_article(
    settings: Settings, nashra: Nashra, tmp_path: Path
) -> None:
    text = EXPORT.read_text(encoding="utf-8")
    post = text.index("<wp:post_type><![CDATA[post]]>")
    start = text.rindex("<item>", 0, post)
    end = text.index("</item>", post) + len("</item>")
    doubled = tmp_path / "doubled.xml"
    doubled.write_text(text[:end] + "\n" + text[start:end] + text[end:], encoding="utf-8")
    run = nashra("import", "--format", "wxr", str(doubled))
    assert run.code == 0, run.err  # was a UNIQUE constraint error from the staging table
    once = articles(settings)
    again = nashra("import", "--format", "wxr", str(EXPORT))
    assert again.code == 0 and "added 0, updated 0" in again.out
    assert articles(settings) == once
