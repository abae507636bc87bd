"""The ``nashra`` command: parse arguments, call the library, map errors to exit codes.

No logic lives here; every :class:`~store.errors.NashraError` becomes one
message on stderr and exit status 2 (1 is reserved for "the import rejected
records").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

from feeds import orphans
from feeds.config.loader import DEFAULT_CONFIG, config_path, load_settings
from feeds.config.settings import Settings
from feeds.ingest.language_id import LanguageIdentifyingSource
from feeds.ingest.pipeline import ImportSummary, Workers, import_records, validation_workers
from feeds.ingest.source import Source
from feeds.ingest.sources.jsonl import JsonLinesSource
from feeds.model.spec import feed_specs
from feeds.notify.names import register_sinks
from store.clock import system_clock
from store.errors import NashraError
from store.protocol import Store
from store.sqlite.store import SQLiteStore

if TYPE_CHECKING:
    from feeds.publish.site import PublishRound

# The modules of the other commands, and of the outbox, are imported by the commands that use
# them: each command's start pays only for its own (`nashra import` is timed whole), and
# `nashra import`'s workers, when they cannot be forked, import this module again.

EXIT_REJECTED = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        return int(args.run(args))
    except NashraError as error:
        print(f"nashra: error: {error}", file=sys.stderr)
        return EXIT_ERROR


class _Parser(argparse.ArgumentParser):
    """argparse, with a wrong argument reported as one line naming it (see ``--help``)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("nashra").strip()  # "serve", "token create"
        raise NashraError(f"{command}: {message} (see --help)" if command else message)


def _port(text: str) -> int:
    """A TCP port to listen on: 1 to 65535 (uvicorn would take 80000 as 14464)."""
    return _whole(text, 1, 65535)


def _workers(text: str) -> int:
    return _whole(text, 1, 1024)


def _whole(text: str, low: int, high: int) -> int:
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        shown = text if len(text) <= 20 else f"{text[:20]}…"
        raise argparse.ArgumentTypeError(
            f"must be a whole number from {low} to {high}, not {shown!r}"
        )
    return number


def _seconds(text: str) -> int:
    return _whole(text, 1, 7 * 86400)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nashra",
        description="nashra: RSS 2.0 and Atom 1.0 feeds for news publishers, "
        "per category, site-wide and breaking, right-to-left aware.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    common = _Parser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        help=f"TOML config file (default: $NASHRA_CONFIG, then {DEFAULT_CONFIG})",
    )
    common.add_argument(
        "--db", type=Path, help="SQLite store file (default: [store] path in the config)"
    )

    serve = commands.add_parser(
        "serve", parents=[common], help="serve the feeds over HTTP", description="Serve the feeds."
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=_port, default=8000, help="port, 1 to 65535 (default: %(default)s)"
    )
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="worker processes, 1 to 1024 (default: %(default)s)",
    )
    serve.set_defaults(run=_serve)

    imp = commands.add_parser(
        "import",
        parents=[common],
        help="import articles from a JSON Lines file or a WordPress export",
        description="Import articles from a JSON Lines file (one article per line; see README) "
        "or a WordPress export (--format wxr). "
        "By default a file with any invalid record imports nothing and exits 1.",
    )
    imp.add_argument(
        "file", metavar="FILE", help="the file to import, or - for standard input (JSON Lines)"
    )
    imp.add_argument(
        "--format",
        choices=("jsonl", "wxr"),
        default="jsonl",
        help="jsonl: nashra's import format (default); wxr: a WordPress export (Tools → Export)",
    )
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid records, list the invalid ones, exit 1 if any were skipped",
    )
    imp.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing if the store already holds articles (used to load the demo)",
    )
    imp.set_defaults(run=_import)

    sync = commands.add_parser(
        "sync", help="keep the store in step with another system", description="Sync articles."
    )
    sync_commands = sync.add_subparsers(title="systems", required=True, metavar="SYSTEM")
    wordpress = sync_commands.add_parser(
        "wordpress",
        parents=[common],
        help="sync a WordPress site's published posts through its REST API",
        description="Add, update and remove articles as a WordPress site's published posts "
        "are (see README, From WordPress). Resumes where the last sync stopped.",
    )
    wordpress.add_argument(
        "url", metavar="URL", help="the site's address, e.g. https://news.example/"
    )
    wordpress.add_argument(
        "--full", action="store_true", help="read every post again, not only what changed"
    )
    wordpress.add_argument(
        "--every",
        type=_seconds,
        metavar="SECONDS",
        help="sync again every SECONDS until stopped (SIGINT, SIGTERM: the page read is finished)",
    )
    wordpress.set_defaults(run=_sync_wordpress)

    backup = commands.add_parser(
        "backup",
        parents=[common],
        help="copy the store, consistently, while it is in use",
        description="Write a consistent copy of the store (as of its last commit) to FILE, "
        "while servers and imports go on. See README for restoring it.",
    )
    backup.add_argument("target", metavar="FILE", help="the new file (never overwritten)")
    backup.set_defaults(run=_backup)

    publish = commands.add_parser(
        "publish",
        parents=[common],
        help="write the feeds as static files, for a web server to serve",
        description="Write every feed in every format (with .gz and .br beside each), the "
        "feed pages, the index page and the OPML lists to DIR, byte-identical to what "
        "nashra serve sends; each file replaced atomically, and only if its bytes changed.",
    )
    publish.add_argument("directory", metavar="DIR", type=Path, help="the site's root directory")
    publish.add_argument(
        "--watch",
        action="store_true",
        help="keep DIR current: publish every commit by any process, and every embargo "
        "end and breaking expiry, within a second; until SIGINT or SIGTERM",
    )
    publish.set_defaults(run=_publish)

    token = commands.add_parser(
        "token", help="manage publishing API tokens", description="Manage publishing API tokens."
    )
    token_commands = token.add_subparsers(title="commands", required=True, metavar="COMMAND")
    create = token_commands.add_parser(
        "create",
        help="make a new API token",
        description="Make a new random API token: print it once, and the [[tokens]] lines "
        "to add to the config file (they hold only its hash).",
    )
    create.add_argument("name", metavar="NAME", help="the token's name, shown in the server log")
    create.add_argument(
        "--categories",
        metavar="SLUGS",
        help="comma-separated category slugs the token may write (default: every category)",
    )
    create.add_argument(
        "--breaking",
        action="store_true",
        help="let a token limited by --categories mark articles breaking "
        "(one without --categories may already)",
    )
    create.set_defaults(run=_token_create)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(config_path(args.config), db=args.db)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(args)  # fail here, once, with a clear message
    asyncio.run(_open_and_close(settings))  # so does a store that cannot be served
    os.environ["NASHRA_CONFIG"] = str(settings.source or config_path(args.config))
    os.environ["NASHRA_DB"] = str(settings.store.path)
    if args.workers > 1:  # uvicorn spawns the workers: each ends when this process does
        os.environ[orphans.PARENT_ENV] = str(os.getpid())
    limits = settings.server
    uvicorn.run(
        "feeds.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="auto",
        # httptools with the head limits and timeout of [server] (feeds/http/limits.py)
        http="feeds.http.limits:BoundedHttpProtocol",
        timeout_keep_alive=limits.keep_alive,
        limit_concurrency=limits.max_connections,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        date_header=False,  # the app sends Date from the clock behind Last-Modified
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    settings = _settings(args)
    ended: list[ImportSummary] = []  # the import's summary, once it has one
    try:
        with validation_workers() as workers:  # before the store's thread: see there
            asyncio.run(_import_async(args, settings, workers, ended))
    except KeyboardInterrupt:  # SIGINT: the import is discarded, or waited for if publishing
        if not ended:
            print("nashra: import interrupted; nothing of it was made visible", file=sys.stderr)
            return EXIT_INTERRUPTED
    if not ended:  # --if-empty found articles
        return 0
    print(ended[0].line())
    return EXIT_REJECTED if ended[0].rejected else 0


def _sync_wordpress(args: argparse.Namespace) -> int:
    from feeds.ingest.sources.wordpress import site_url

    settings = _settings(args)
    site_url(args.url)  # a wrong URL is an error before the store is opened (or made)
    return asyncio.run(_sync_wordpress_async(args, settings))


async def _sync_wordpress_async(args: argparse.Namespace, settings: Settings) -> int:
    from feeds.ingest.wordpress_sync import sync_site

    store = await SQLiteStore.open(settings.store.path)
    try:
        await register_sinks(store, settings)
        summary = await sync_site(
            args.url, store, settings, _report, full=args.full, every=args.every
        )
    finally:
        await store.close()
    print(summary.line())
    return EXIT_REJECTED if summary.skipped["invalid"] else 0


def _report(message: str) -> None:
    print(message, file=sys.stderr)


def _backup(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return asyncio.run(_backup_async(settings, Path(args.target)))


async def _backup_async(settings: Settings, target: Path) -> int:
    store = await SQLiteStore.open(settings.store.path)
    try:
        await store.backup(target)
    finally:
        await store.close()
    print(f"backed up {settings.store.path} to {target}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return asyncio.run(_publish_async(settings, args.directory, watch=args.watch))


async def _publish_async(settings: Settings, directory: Path, *, watch: bool) -> int:
    from feeds.publish.site import StaticSite
    from feeds.publish.watcher import keep_current

    store = await SQLiteStore.open(settings.store.path)
    try:
        site = StaticSite(directory, settings, feed_specs(settings), store, system_clock)
        if watch:
            await keep_current(site, store, system_clock, _report_round, _complain)
        else:
            _report_round(await site.publish())
    finally:
        await store.close()
    return 0


def _report_round(done: PublishRound) -> None:
    print(done.line(), flush=True)


def _complain(message: str) -> None:
    print(f"nashra: {message}", file=sys.stderr, flush=True)


def _token_create(args: argparse.Namespace) -> int:
    from feeds.http.tokens import new_token

    categories = args.categories.split(",") if args.categories is not None else None
    token, config_lines = new_token(args.name, categories, breaking=args.breaking)
    print("Token (shown only this once; give it to the client, nashra keeps only its hash):")
    print(token)
    print()
    print("Add to the config file:")
    print(config_lines, end="")
    return 0


async def _open_and_close(settings: Settings) -> None:
    """Open the store (migrating it if needed) and close it: its errors are one line here,
    before uvicorn starts a worker, whose failure would be a traceback."""
    store = await SQLiteStore.open(settings.store.path)
    await store.close()


async def _import_async(
    args: argparse.Namespace,
    settings: Settings,
    workers: Workers | None,
    ended: list[ImportSummary],
) -> None:
    """Run the import; its summary goes to ``ended`` as soon as there is one.

    So an interruption after that (while the store closes) still reports
    what the import did, not that it was discarded.
    """
    store = await SQLiteStore.open(settings.store.path)
    try:
        if args.if_empty and (count := await store.count_articles()):
            print(f"{settings.store.path} already holds {count} articles; nothing imported")
            return
        await register_sinks(store, settings)  # announced even if no server ran yet
        ended.append(
            await _run_import(args.file, args.format, store, settings, args.skip_invalid, workers)
        )
    finally:
        await store.close()


async def _run_import(
    name: str,
    kind: str,
    store: Store,
    settings: Settings,
    skip_invalid: bool,
    workers: Workers | None,
) -> ImportSummary:
    if name == "-":
        if kind == "wxr":
            raise NashraError("import: a WXR file is read twice: give its path, not -")
        return await _import_source(
            JsonLinesSource(sys.stdin.buffer), store, settings, skip_invalid, workers
        )
    try:
        stream: IO[bytes] = open(name, "rb")  # noqa: SIM115 - closed below
    except OSError as error:
        raise NashraError(f"cannot read {name}: {error.strerror}") from error
    with stream:
        size = os.fstat(stream.fileno()).st_size
        if kind == "jsonl":
            return await _import_source(
                JsonLinesSource(stream, size), store, settings, skip_invalid, workers
            )
        if synced := await store.sync_cursors():
            raise NashraError(
                f"import: this store is kept in step with {synced[0].source} by nashra sync "
                "wordpress; a WXR export would replace its posts with the export's raw text, "
                "and the next sync would put them back: run nashra sync wordpress --full instead"
            )
        from feeds.ingest.sources.wxr import WxrSource

        wxr = WxrSource(stream, settings, size)
        summary = await import_records(
            wxr, store, settings, skip_invalid=skip_invalid, report=_report, workers=workers
        )
        for reason, count in sorted(wxr.skipped.items()):
            _report(f"skipped {count} published posts: {reason}")
        return summary


async def _import_source(
    source: Source[bytes],
    store: Store,
    settings: Settings,
    skip_invalid: bool,
    workers: Workers | None,
) -> ImportSummary:
    """A JSON Lines import; records without ``language`` get their text's (``[ingest]``)."""
    if settings.ingest.identify_language:
        source = LanguageIdentifyingSource(source, settings)
    return await import_records(
        source, store, settings, skip_invalid=skip_invalid, report=_report, workers=workers
    )


if __name__ == "__main__":
    sys.exit(main())
