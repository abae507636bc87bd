"""The outbox sinks by name: which the settings ask for, and in what order they deliver.

Every process that writes must register the configured sinks with the store
(see :meth:`store.protocol.Store.register_sink`) before its first write, or
the write queues nothing for them: ``nashra import`` and ``nashra sync`` do
so as well as the server, so what they write is announced when a server
next runs. They send nothing themselves, so they need the names only: the
senders (:mod:`feeds.notify.sinks`) load HTTP clients and every feed
format, which cost an import 0.07 s at every start.
"""

from __future__ import annotations

from feeds.config.settings import Settings
from store.protocol import Store

CDN = "cdn"
WEBSUB = "websub"


def sink_names(settings: Settings) -> list[str]:
    """The outbox keys of the configured sinks."""
    names = []
    if settings.cdn.purge:
        names.append(CDN)
    if settings.websub.hub:
        names.append(WEBSUB)
    return names


def goes_after(settings: Settings, sink: str) -> str | None:
    """The sink whose change of a feed must be delivered before ``sink``'s, if any.

    Caches are purged before WebSub subscribers are told: told first, they
    would fetch the old feed from a cache.
    """
    return CDN if sink == WEBSUB and settings.cdn.purge else None


async def register_sinks(store: Store, settings: Settings) -> None:
    for name in sink_names(settings):
        await store.register_sink(name)
