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
from typing import IO

from feeds.config.loader import DEFAULT_CONFIG, config_path, load_settings
from feeds.config.settings import Settings
from feeds.http.tokens import new_token
from feeds.ingest.pipeline import ImportSummary, import_records
from feeds.ingest.sources.jsonl import JsonLinesSource
from feeds.notify.sinks import register_sinks
from store.errors import NashraError
from store.protocol import Store
from store.sqlite.store import SQLiteStore

EXIT_REJECTED = 1
EXIT_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except NashraError as error:
        print(f"nashra: error: {error}", file=sys.stderr)
        return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nashra",
        description="nashra: RSS 2.0 and Atom 1.0 feeds for news publishers, "
        "per category, site-wide and breaking, right-to-left aware.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
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
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (default: %(default)s)"
    )
    serve.set_defaults(run=_serve)

    imp = commands.add_parser(
        "import",
        parents=[common],
        help="import articles from a JSON Lines file",
        description="Import articles from a JSON Lines file (one article per line; see README). "
        "By default a file with any invalid record imports nothing and exits 1.",
    )
    imp.add_argument("file", metavar="FILE", help="JSON Lines file, or - for standard input")
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
    create.set_defaults(run=_token_create)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(config_path(args.config), db=args.db)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(args)  # fail here, once, with a clear message
    os.environ["NASHRA_CONFIG"] = str(settings.source or config_path(args.config))
    os.environ["NASHRA_DB"] = str(settings.store.path)
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
    return asyncio.run(_import_async(args, settings))


def _token_create(args: argparse.Namespace) -> int:
    categories = args.categories.split(",") if args.categories is not None else None
    token, config_lines = new_token(args.name, categories)
    print("Token (shown only this once; give it to the client, nashra keeps only its hash):")
    print(token)
    print()
    print("Add to the config file:")
    print(config_lines, end="")
    return 0


async def _import_async(args: argparse.Namespace, settings: Settings) -> int:
    store = await SQLiteStore.open(settings.store.path)
    try:
        if args.if_empty and (count := await store.count_articles()):
            print(f"{settings.store.path} already holds {count} articles; nothing imported")
            return 0
        await register_sinks(store, settings)  # announced even if no server ran yet
        summary = await _run_import(args.file, store, settings, args.skip_invalid)
    finally:
        await store.close()
    print(summary.line())
    return EXIT_REJECTED if summary.rejected else 0


async def _run_import(
    name: str, store: Store, settings: Settings, skip_invalid: bool
) -> ImportSummary:
    def report(message: str) -> None:
        print(message, file=sys.stderr)

    if name == "-":
        source = JsonLinesSource(sys.stdin.buffer)
        return await import_records(
            source, store, settings, skip_invalid=skip_invalid, report=report
        )
    try:
        stream: IO[bytes] = open(name, "rb")  # noqa: SIM115 - closed below
    except OSError as error:
        raise NashraError(f"cannot read {name}: {error.strerror}") from error
    with stream:
        source = JsonLinesSource(stream, os.fstat(stream.fileno()).st_size)
        return await import_records(
            source, store, settings, skip_invalid=skip_invalid, report=report
        )


if __name__ == "__main__":
    sys.exit(main())
