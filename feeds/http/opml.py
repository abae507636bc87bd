"""``GET /feeds.opml``: every feed as one OPML 2.0 subscription list (http://opml.org/spec2.opml).

A reader imports the whole site in one step: one ``<outline type="rss">``
per feed (each category, ``all``, ``breaking``), in one format, Atom unless
``?format=`` names another registered extension; an unknown one is a 400.

The document depends only on the settings (and on this code), never on the
articles, so each format's bytes are built once, when the app is made, and
their ETag is a hash of those bytes: it changes exactly when they do,
whether a setting or a new nashra release changed them. For the same reason
the head has no ``dateCreated`` or ``dateModified``: the newest article
would be a date of the feeds, not of this list, and the only date of the
list (the config file's) differs from one machine to the next.

The document is built with lxml, so every attribute is escaped by the
serializer, not by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lxml import etree
from starlette.requests import Request
from starlette.responses import Response

from feeds.config.settings import Settings
from feeds.formats.base import FeedFormat
from feeds.formats.registry import BY_EXTENSION, FORMATS, HTML_VIEW
from feeds.http.conditional import etag, not_modified
from feeds.http.errors import HttpError
from feeds.http.feed_endpoint import PREFLIGHT
from feeds.model.spec import FeedSpec

PATH = "/feeds.opml"
#: What readers and servers call OPML; sent with ``; charset=utf-8``.
MEDIA_TYPE = "text/x-opml"
#: The format of the feeds listed when the request names none.
DEFAULT_FORMAT = "atom"
SPEC = "http://opml.org/spec2.opml"


def url(site_link: str) -> str:
    """Where the list is served for a site whose link is ``site_link`` (ending with ``/``)."""
    return site_link + PATH.removeprefix("/")


def opml_document(settings: Settings, specs: Iterable[FeedSpec], fmt: FeedFormat) -> bytes:
    """The subscription list of every feed in ``specs``, each at its URL in ``fmt``.

    ``htmlUrl`` is the feed's page for people (``/feeds/{slug}.html``).
    """
    site = settings.site
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = site.title
    etree.SubElement(head, "ownerName").text = site.title
    etree.SubElement(head, "docs").text = SPEC
    body = etree.SubElement(root, "body")
    for spec in specs:
        etree.SubElement(
            body,
            "outline",
            {
                "type": "rss",
                "text": spec.title,
                "title": spec.title,
                "description": spec.description,
                "xmlUrl": spec.url(fmt.extension),
                "htmlUrl": spec.url(HTML_VIEW.extension),
                "language": spec.language,
            },
        )
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


@dataclass(frozen=True, slots=True)
class OpmlDocument:
    """One format's subscription list and the headers it is always sent with."""

    body: bytes
    headers: Mapping[str, str]  # ETag, Cache-Control, CORS: sent with 200 and 304 alike

    @property
    def etag(self) -> str:
        return self.headers["ETag"]


class OpmlEndpoint:
    """Serves :data:`PATH`: the list in each registered format, with an ETag and 304s."""

    def __init__(self, settings: Settings, specs: Iterable[FeedSpec]) -> None:
        assert DEFAULT_FORMAT in BY_EXTENSION, "the default OPML format is a registered one"
        specs = list(specs)
        self.documents = {
            fmt.extension: _document(opml_document(settings, specs, fmt), settings)
            for fmt in FORMATS
        }

    async def get(self, request: Request) -> Response:
        """GET and HEAD: the list, or 304; OPTIONS: the CORS preflight the feeds answer."""
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=_PREFLIGHT)
        document = self.documents.get(request.query_params.get("format", DEFAULT_FORMAT))
        if document is None:
            raise _unknown_format()
        # No Last-Modified is sent (see the module's docstring): only If-None-Match counts.
        if not_modified(request.headers.get("if-none-match"), None, document.etag, 0, 0):
            return Response(status_code=304, headers=document.headers)
        return Response(
            document.body, media_type=f"{MEDIA_TYPE}; charset=utf-8", headers=document.headers
        )


def _document(body: bytes, settings: Settings) -> OpmlDocument:
    return OpmlDocument(
        body,
        {
            "ETag": etag(f"opml-{hashlib.sha256(body).hexdigest()[:16]}", "identity"),
            "Cache-Control": f"public, max-age={settings.feeds.max_age}",
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Expose-Headers": "ETag",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _unknown_format() -> HttpError:
    """A new error each time: raising one instance again would grow its traceback forever."""
    known = ", ".join(sorted(BY_EXTENSION))
    return HttpError(400, f"Unknown format: format= takes one of {known}.")


_PREFLIGHT = {name.decode(): value.decode() for name, value in PREFLIGHT}
