"""The one exception root of nashra, and the store's own errors.

Every error nashra raises on purpose derives from :class:`NashraError`, so the
CLI and the HTTP layer can map them to exit codes and statuses in one place.
It lives in ``store`` because ``store`` is the lowest layer: ``feeds`` imports
it, never the reverse.
"""

from __future__ import annotations


class NashraError(Exception):
    """Root of every error nashra raises deliberately."""


class StoreError(NashraError):
    """The store could not be opened, migrated, read or written."""


class StoreConflict(StoreError):
    """An article changed between a caller's read and its write; nothing was written."""

    def __init__(self, article_id: str) -> None:
        self.article_id = article_id
        super().__init__(f"article {article_id!r} changed meanwhile; nothing was written")
