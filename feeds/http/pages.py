"""``GET /``: the human page listing every feed, with autodiscovery links."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from feeds.config.settings import Settings
from feeds.formats.registry import FORMATS
from feeds.model.language import direction
from feeds.model.spec import FeedSpec


def index_html(settings: Settings, specs: Iterable[FeedSpec]) -> bytes:
    """The page: the site's lang and dir, one row per feed, one link per format."""
    site = settings.site
    specs = list(specs)
    discovery = "\n".join(
        f'<link rel="alternate" type="{fmt.media_type}" '
        f'title="{escape(spec.title)} ({fmt.label})" href="{escape(spec.url(fmt.extension))}">'
        for spec in specs
        for fmt in FORMATS
    )
    rows = "\n".join(
        f'<tr><td lang="{spec.language}" dir="{spec.direction}">{escape(spec.title)}</td>'
        f"<td><code>{spec.language}</code></td>"
        + "".join(
            f'<td><a href="{escape(spec.url(fmt.extension))}">{fmt.label}</a></td>'
            for fmt in FORMATS
        )
        + "</tr>"
        for spec in specs
    )
    page = f"""<!DOCTYPE html>
<html lang="{site.language}" dir="{direction(site.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(site.title)}</title>
{discovery}
<style>
body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}
td,th{{padding:.4rem;border-bottom:1px solid #ddd;text-align:start}}
</style>
</head>
<body>
<h1>{escape(site.title)}</h1>
<p>{escape(site.description)}</p>
<table>
<thead><tr><th>feed</th><th>language</th><th colspan="{len(FORMATS)}">formats</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""
    return page.encode("utf-8")
