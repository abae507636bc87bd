"""nashra sync wordpress against the recorded WordPress: what becomes of each post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from feeds.config.settings import Settings
from tests.support.clock import Clock
from tests.wordpress.conftest import articles
from tests.wordpress.replay import ReplayWordPress

#: The "before" state's public posts that make articles: all but 17 (uncategorized only)
#: and 18 (password-protected). Drafts (19), pending (20), private (21), scheduled (22)
#: and trashed (23) posts are not in what WordPress shows a visitor at all.
BEFORE = {6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, *range(25, 35)}


def ids(numbers: set[int]) -> set[str]:
    return {f"wp-{n}" for n in numbers}


def test_a_first_sync_maps_every_public_post(settings: Settings, sync: Any) -> None:
    run = sync()
    assert run.messages == []
    assert run.summary.counts["added"] == len(BEFORE)
    assert dict(run.summary.skipped) == {"in no configured category": 1, "password-protected": 1}
    stored = articles(settings)
    assert set(stored) == ids(BEFORE)

    # texturized titles decoded once: quotes, dashes, ellipses, &; markup dropped, < kept
    assert stored["wp-8"].title == "Markets rally — oil & gas up “sharply”…"
    assert stored["wp-7"].title.startswith("الوزير: “لا ضرائب جديدة” في")
    assert stored["wp-12"].title == "نتيجة المباراة: 5 < 7 & الجمهور غاضب"
    assert stored["wp-9"].title == "عاجل: عاصفة تضرب الساحل & الموانئ تغلق"

    # categories by Arabic slugs (decoded and percent-encoded in the config), two at once
    assert stored["wp-7"].categories == ("politics", "economy")
    assert stored["wp-12"].categories == ("sports",)
    assert stored["wp-6"].categories == ("politics",)

    # breaking: filed under عاجل alone, it is still in all and breaking, for 6 hours
    flash = stored["wp-9"]
    assert flash.categories == () and flash.breaking
    assert flash.breaking_until == flash.published + timedelta(hours=6)
    assert stored["wp-8"].breaking  # by its tag
    assert not stored["wp-6"].breaking

    # dates from the *_gmt fields, which are UTC without an offset
    assert stored["wp-6"].published == datetime(2026, 11, 20, 5, 0, tzinfo=UTC)

    # the language of the text where it clearly is not the category's
    assert stored["wp-8"].language == "en"  # an English post in an Arabic category
    assert stored["wp-14"].language == "en"
    assert stored["wp-6"].language == "ar"
    assert stored["wp-25"].language == "ar"

    # author, excerpt as text, image from the embedded featured media
    assert stored["wp-6"].author == "سارة الأحمد"
    assert stored["wp-6"].summary == "ملخص: القمة تبحث الطاقة والتجارة."
    image = stored["wp-6"].image
    assert image is not None
    assert (image.type, image.width, image.height) == ("image/jpeg", 640, 360)
    assert image.alt == "أفق مدينة الرياض عند الغروب"
    assert image.url.endswith("/riyadh-skyline.jpg") and image.length
    assert stored["wp-7"].image is None
    # no excerpt written: WordPress makes one from the content, as text here
    assert stored["wp-7"].summary and stored["wp-7"].summary.startswith("قالت مصادر مطلعة")
    assert "<" not in stored["wp-7"].summary


def test_the_next_sync_takes_updates_and_removals(
    settings: Settings, sync: Any, wordpress: ReplayWordPress
) -> None:
    sync()
    wordpress.state("after")  # the newsroom's edits: see tests/fixtures/wordpress/mutate.php
    run = sync()
    stored = articles(settings)
    # 7 updated; 10 and 11 updated in the same second; 40 new; 19, a draft published
    # without a modification, found by the id listing; 13 private, 15 trashed, 17 deleted
    assert stored["wp-7"].title.endswith("— تحديث")
    assert stored["wp-10"].summary == "النفط يرتفع إلى 90 دولاراً."
    assert stored["wp-11"].title == "It’s “the” deal of the year — it is"
    assert "wp-40" in stored and stored["wp-40"].breaking and stored["wp-40"].language == "en"
    assert "wp-19" in stored
    assert not ids({13, 15, 17}) & set(stored)
    assert run.summary.counts["removed"] == 2  # 13 and 15; 17 was never stored
    assert run.summary.counts["updated"] == 3
    # the modified_after asked for is one second before the newest modification stored
    changed = [s for s in wordpress.post_requests() if "modified_after" in s.query]
    assert changed[-1].query["modified_after"] == "2026-11-21T07:56:59Z"

    again = sync()
    assert again.summary.counts["added"] == again.summary.counts["updated"] == 0
    assert again.summary.counts["removed"] == 0


def test_a_featured_image_set_without_an_edit_comes_with_full(
    settings: Settings, sync: Any, wordpress: ReplayWordPress
) -> None:
    """WordPress does not count it as a modification: the cursor cannot see it; --full does."""
    sync()
    wordpress.state("after")
    sync()
    assert articles(settings)["wp-12"].image is None
    sync(full=True)
    assert articles(settings)["wp-12"].image is not None


def test_a_post_dated_in_the_future_does_not_move_the_cursor_past_the_present(
    settings: Settings, sync: Any, wordpress: ReplayWordPress
) -> None:
    """WordPress gives a scheduled post its date as modified_gmt: a cursor there would skip
    every edit made before that date."""
    future = next(p for p in wordpress.posts if p["id"] == 33)
    future["modified_gmt"] = "2099-01-01T00:00:00"
    sync(clock=Clock.at(datetime(2026, 11, 22, tzinfo=UTC)))  # between "before" and "after"
    wordpress.state("after")
    sync()
    assert articles(settings)["wp-7"].title.endswith("— تحديث")
