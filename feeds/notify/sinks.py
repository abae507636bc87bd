"""The outbox sinks the settings ask for, by name and as objects.

Every process that writes must register them with the store (see
:meth:`store.protocol.Store.register_sink`) before its first write, or the
write queues nothing for them: ``nashra import`` does so as well as the
server, so an import made before the first server start is announced when
it starts.
"""

from __future__ import annotations

from collections.abc import Mapping

from feeds.config.settings import Settings
from feeds.model.spec import FeedSpec
from feeds.notify import cdn, websub
from feeds.notify.outbox import Sink
from store.protocol import Store


def sink_names(settings: Settings) -> list[str]:
    """The outbox keys of the configured sinks."""
    names = []
    if settings.cdn.purge:
        names.append(cdn.SINK)
    if settings.websub.hub:
        names.append(websub.SINK)
    return names


def configured_sinks(settings: Settings, specs: Mapping[str, FeedSpec]) -> list[Sink]:
    """A sink object per configured sink (each holds an HTTP client: close it)."""
    sinks: list[Sink] = []
    if settings.cdn.purge:
        sinks.append(cdn.CdnSink(settings.cdn.purge, settings.cdn.purge_timeout))
    if settings.websub.hub:
        sinks.append(websub.WebSubSink(settings.websub.hub, specs))
    return sinks


def goes_after(settings: Settings, sink: str) -> str | None:
    """The sink whose change of a feed must be delivered before ``sink``'s, if any.

    Caches are purged before WebSub subscribers are told: told first, they
    would fetch the old feed from a cache.
    """
    return cdn.SINK if sink == websub.SINK and settings.cdn.purge else None


async def register_sinks(store: Store, settings: Settings) -> None:
    for name in sink_names(settings):
        await store.register_sink(name)
