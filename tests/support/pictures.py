"""Lead images on loopback: a tiny HTTP server that draws an SVG picture for any name.

Articles' images live on the publisher's host, which tests never reach; a
test that wants a browser to show them points the records' ``image.url``
at :func:`picture_server`, which answers ``GET /media/{name}.svg`` with a
landscape whose colours follow the name, and records every path asked for.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MEDIA_TYPE = "image/svg+xml"
SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120">
<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="hsl({hue},70%,55%)"/><stop offset="1" stop-color="hsl({hue},60%,85%)"/>
</linearGradient></defs>
<rect width="160" height="120" fill="url(#sky)"/>
<circle cx="{sun}" cy="38" r="16" fill="hsl(45,95%,70%)"/>
<path d="M0 90 Q40 60 80 85 T160 78 V120 H0Z" fill="hsl({land},45%,40%)"/>
<path d="M0 105 Q50 88 100 102 T160 98 V120 H0Z" fill="hsl({land},40%,28%)"/>
</svg>
"""


@dataclass(slots=True)
class PictureServer:
    """Where the pictures are, and which paths were asked for."""

    base: str
    requested: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{self.base}/media/{name}.svg"

    def image(self, name: str) -> dict[str, object]:
        """An import record's ``image`` field for the picture ``name``."""
        return {"url": self.url(name), "type": MEDIA_TYPE, "length": len(picture(name))}


def picture(name: str) -> bytes:
    seed = hashlib.sha256(name.encode()).digest()
    hue, land, sun = seed[0] * 360 // 256, 80 + seed[1] % 60, 30 + seed[2] % 100
    return SVG.format(hue=hue, land=land, sun=sun).encode()


@contextmanager
def picture_server() -> Iterator[PictureServer]:
    """Serve pictures on a free loopback port until the block ends."""
    server_state: PictureServer | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            assert server_state is not None
            server_state.requested.append(self.path)
            name = self.path.removeprefix("/media/").removesuffix(".svg")
            if not self.path.startswith("/media/") or not self.path.endswith(".svg"):
                self.send_error(404)
                return
            body = picture(name)
            self.send_response(200)
            self.send_header("Content-Type", MEDIA_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test reads ``requested``

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state = PictureServer(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
