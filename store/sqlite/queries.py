"""The store's hot reads, named: a feed's articles, and every feed's version and timed changes.

They run whenever a feed is rendered anew and the feed states are reloaded,
so each must read only the rows it returns. They live here, apart from the
store, so that the tests can run ``EXPLAIN QUERY PLAN`` on these very texts,
on a connection of their own, and the store carries no test-only methods.
"""

from __future__ import annotations

from store.sqlite.rows import ARTICLE_COLUMNS

# The newest ?3 articles of feed ?1 visible at ?2 (µs): one backwards range
# scan of feed_entries' primary key, joined to articles by rowid.
FEED_QUERY = f"""
    SELECT {", ".join(f"a.{c.strip()}" for c in ARTICLE_COLUMNS.split(","))}
    FROM feed_entries AS e JOIN articles AS a ON a.pk = e.article
    WHERE e.feed = ?1 AND e.published_us <= ?2 AND (e.expires_us IS NULL OR e.expires_us > ?2)
    ORDER BY e.published_us DESC, e.article DESC
    LIMIT ?3
"""

# Per feed: its version, and the moments around ?1 (now, µs) at which its
# visible content changes by itself (an embargo ending, a breaking article
# expiring). Each subquery is one seek in feed_entries' primary key or
# expiry index.
FEED_TIMES_QUERY = """
    SELECT v.feed, v.version, v.modified_us,
        max(
            coalesce((SELECT max(published_us) FROM feed_entries
                WHERE feed = v.feed AND published_us <= ?1 AND published_us > v.modified_us), 0),
            coalesce((SELECT max(expires_us) FROM feed_entries
                WHERE feed = v.feed AND expires_us <= ?1 AND expires_us > v.modified_us), 0)
        ),
        (SELECT min(published_us) FROM feed_entries WHERE feed = v.feed AND published_us > ?1),
        (SELECT min(expires_us) FROM feed_entries WHERE feed = v.feed AND expires_us > ?1)
    FROM feed_versions AS v
"""
