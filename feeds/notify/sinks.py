"""The outbox sinks the settings ask for, as objects that send (names: :mod:`.names`)."""

from __future__ import annotations

from collections.abc import Mapping

from feeds.config.settings import Settings
from feeds.model.spec import FeedSpec
from feeds.notify import cdn, websub
from feeds.notify.outbox import Sink


def configured_sinks(settings: Settings, specs: Mapping[str, FeedSpec]) -> list[Sink]:
    """A sink object per configured sink (each holds an HTTP client: close it)."""
    sinks: list[Sink] = []
    if settings.cdn.purge:
        sinks.append(cdn.CdnSink(settings.cdn.purge, settings.cdn.purge_timeout))
    if settings.websub.hub:
        sinks.append(websub.WebSubSink(settings.websub.hub, specs))
    return sinks
