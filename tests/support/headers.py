"""Reading response headers as a cache would."""

from __future__ import annotations


def cache_directives(value: str) -> dict[str, int | None]:
    """``Cache-Control``'s directives: ``{"public": None, "max-age": 300, …}``."""
    directives: dict[str, int | None] = {}
    for part in value.split(","):
        name, _, argument = part.strip().partition("=")
        directives[name.lower()] = int(argument) if argument else None
    return directives
