"""The one exception root of nashra, and the store's own errors.

Every error nashra raises on purpose derives from :class:`NashraError`, so the
edges that answer for errors, the CLI (a message and an exit code) and the
HTTP layer (a status), tell a problem nashra understood from a bug by
catching one class. It lives in ``store`` because ``store`` is the lowest
layer: ``feeds`` imports it, never the reverse.
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


class StoreFileLost(StoreError):
    """The store's file was deleted or replaced while it was open: no write can be kept.

    The open connections still reach the old file, so a write would succeed
    into a file no later start will find; it is refused (or, if the file went
    during the write, not acknowledged) instead.
    """
