"""``python -m tests.bench`` (``make bench``): import, cold renders, HTTP load, one report.

Steps: make or take the articles (:mod:`.dataset`), write a config and run
``nashra import`` into a temporary directory, start ``nashra serve``
``--cold-runs`` times to time the first renders, start it once more to drive
the six load cases, read its peak memory, stop it, print the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

from tests.bench import dataset, varnish
from tests.bench.cases import Case, CaseError, cold_feeds, every_feed, load_cases
from tests.bench.cold import measure_cold
from tests.bench.config import write_config
from tests.bench.ingest import ImportFailed, link_heavy_file, run_import
from tests.bench.load import pick_tool, run_load
from tests.bench.publish import PublishFailed, measure_publish
from tests.bench.pyload import LoadFailed
from tests.bench.report import BenchResult, CaseRun, table, write_json
from tests.bench.results import LoadOptions
from tests.bench.server import ServeCommand, ServerFailed, free_port, serve, trouble
from tests.bench.wrk import WrkFailed
from tests.support.varnish import running_varnish

WARMUP_S = 1
SERVER_CPU, LOAD_CPU = "1", "0"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit)  # so that the servers are stopped on SIGTERM too
    try:
        with tempfile.TemporaryDirectory(prefix="nashra-bench-") as work:
            result = run(args, Path(work))
    except (ImportFailed, ServerFailed, CaseError, LoadFailed, WrkFailed, PublishFailed) as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    print(table(result))
    if args.json:
        write_json(result, args.json)
    return 1 if result.failures else 0


def run(args: argparse.Namespace, work: Path) -> BenchResult:
    articles = dataset.given(args.jsonl) if args.jsonl else dataset.generated(args.articles)
    if not articles.categories:
        raise SystemExit(f"bench: the records of {articles.path} name no category")
    nashra = _nashra()
    db = work / "nashra.db"
    config = write_config(work / "nashra.toml", db, articles.categories)
    print(f"importing {articles.count:,} articles from {articles.path}", file=sys.stderr)
    imported = run_import(nashra, config, db, articles.path, work / "import.log")
    category, language = next(iter(articles.categories.items()))
    links = link_heavy_file(work / "links.jsonl", category, language)
    linked = run_import(nashra, config, work / "links.db", links, work / "links.log")
    pinned = args.pin and _can_pin()
    options = _load_options(args, work, pinned)
    result = BenchResult(_settings(args, articles.count, options), imported, linked)
    if args.only in ("all", "serve"):
        command = ServeCommand(nashra, config, db, args.workers, SERVER_CPU if pinned else "")
        result.cold = measure_cold(command, cold_feeds(articles.categories), args.cold_runs, work)
        result.failures += result.cold.failures
        cache_port = free_port() if args.varnish and varnish.available() else None
        if cache_port is not None:  # the load server purges it and takes API writes
            load_config = work / "nashra-load.toml"
            load_config.write_text(config.read_text() + varnish.cdn_toml(cache_port))
            command = dataclasses.replace(command, config=load_config)
        _load(
            command, options, list(articles.categories), result, work / "serve-load.log", cache_port
        )
    if args.only in ("all", "publish"):
        print("publish: every feed, again, then --watch idle", file=sys.stderr, flush=True)
        result.published = measure_publish(nashra, config, db, work)
    result.server_trouble = [
        line for log in sorted(work.glob("serve-*.log")) for line in trouble(log)
    ]
    return result


def _load(
    command: ServeCommand,
    options: LoadOptions,
    categories: list[str],
    result: BenchResult,
    log: Path,
    cache_port: int | None,
) -> None:
    """Start a server, warm it up, run every load case, read its peak memory, stop it.

    With ``cache_port``, then start Varnish there in front of it, run the
    cases through it and time how soon API writes show through it.
    """
    with serve(command, log) as server:
        warmup = Case("-", "warm-up", every_feed(categories))
        run_load(warmup, server.port, dataclasses.replace(options, duration=WARMUP_S))
        _run_cases(load_cases(server.port, categories), server.port, options, result)
        result.peak_rss_mib = server.peak_rss_mib()
        result.server_processes = server.processes()
        if cache_port is None:
            return
        with running_varnish(server.port, port=cache_port):
            run_load(warmup, cache_port, dataclasses.replace(options, duration=WARMUP_S))
            cases = varnish.varnish_cases(cache_port, categories)
            _run_cases(cases, cache_port, options, result)
            print(f"purge to visible: {varnish.WRITES} API writes", file=sys.stderr, flush=True)
            result.purge = varnish.purge_latency(server.port, cache_port, categories)


def _run_cases(cases: list[Case], port: int, options: LoadOptions, result: BenchResult) -> None:
    for case in cases:
        print(f"load {case.key}) {case.title}", file=sys.stderr, flush=True)
        measured = run_load(case, port, options)
        result.cases.append(CaseRun(case, measured))
        if problem := measured.problem(case):
            result.failures.append(f"{case.key}) {case.title}: {problem}")


def _parser() -> argparse.ArgumentParser:
    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="Benchmark nashra end to end: import N articles into a temporary store, "
        "time the first render of each kind of feed on freshly started servers, then drive "
        "HTTP load (wrk if installed, else a Python load generator) at a started server and "
        "report requests/s, latency, response sizes, errors and the server's peak memory.",
        epilog="Load cases: a) GET of the main category's RSS feed (politics when the articles "
        "have it); b) GET of the same feed as JSON Feed; c) the RSS GET sending back the first "
        "response's ETag and Last-Modified, where every answer must be 304; d) the RSS GET with "
        "Accept-Encoding: gzip; e) a random feed on each request, among every category, all and "
        "breaking, in RSS, Atom and JSON Feed; f) GET of the main category's page (.html) with "
        "Accept-Encoding: gzip. With varnishd installed (and no --no-varnish): va), vc), vd) "
        "cases a), c) and d) through Varnish with config/varnish/nashra.vcl, and the purge "
        "latency. "
        "Exit status: 0, 1 if a check failed (e.g. case c got other than 304s), 2 on error.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--articles",
        type=_positive,
        default=100_000,
        metavar="N",
        help="generate N articles with tests/support/builders.py (cached in "
        f"{tempfile.gettempdir()} by N and the generators' source; default: %(default)s)",
    )
    source.add_argument(
        "--jsonl",
        type=_existing_file,
        metavar="FILE",
        help="import this JSON Lines file instead of generated articles; the config gets "
        "every category its records name",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="W",
        help="worker processes of the server: nashra serve --workers W (default: 1)",
    )
    parser.add_argument(
        "--cold-runs",
        type=_positive,
        default=3,
        metavar="N",
        help="fresh server starts to time the first renders on; the median is shown (default: 3)",
    )
    parser.add_argument(
        "--duration",
        type=_positive,
        default=5,
        metavar="S",
        help="seconds per load case (default: 5)",
    )
    parser.add_argument(
        "--connections",
        type=_positive,
        default=64,
        metavar="N",
        help="concurrent keep-alive connections of the load (default: 64)",
    )
    parser.add_argument(
        "--load",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk, the Python one, or auto: wrk when it is on PATH (default)",
    )
    parser.add_argument(
        "--parallel",
        type=_positive,
        metavar="N",
        help=f"wrk threads or Python load processes (default: the CPUs the load may use: "
        f"1 with --pin, else {cpus})",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help=f"run the server on CPU {SERVER_CPU} (taskset -c {SERVER_CPU}) and the load on CPU "
        f"{LOAD_CPU}, when taskset exists and there are two CPUs or more (default: no pinning)",
    )
    parser.add_argument(
        "--only",
        choices=("all", "serve", "publish"),
        default="all",
        help="after the import, run only the serve cases (cold renders and load) or only "
        "the publish ones (nashra publish of every feed, and --watch idle CPU); default: all",
    )
    parser.add_argument(
        "--no-varnish",
        dest="varnish",
        action="store_false",
        help="skip the cases through Varnish (config/varnish/nashra.vcl), which run when "
        "varnishd is installed: cached GET, 304 and gzip through it, and the delay from "
        f"each of {varnish.WRITES} API writes to its article showing through it",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def _nashra() -> Path:
    """The ``nashra`` command beside this Python (the virtualenv's), else on PATH."""
    beside = Path(sys.executable).with_name("nashra")
    found = beside if beside.exists() else shutil.which("nashra")
    if not found:
        raise SystemExit("bench: no nashra command beside this Python nor on PATH")
    return Path(found)


def _can_pin() -> bool:
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return True
    print("bench: --pin needs taskset and two CPUs; running unpinned", file=sys.stderr)
    return False


def _load_options(args: argparse.Namespace, work: Path, pinned: bool) -> LoadOptions:
    parallel = args.parallel or (1 if pinned else os.cpu_count() or 1)
    return LoadOptions(
        tool=pick_tool(args.load),
        duration=args.duration,
        connections=args.connections,
        parallel=min(parallel, args.connections),
        work=work,
        cpus=LOAD_CPU if pinned else "",
    )


def _settings(args: argparse.Namespace, articles: int, options: LoadOptions) -> dict[str, object]:
    unit = "thread" if options.tool == "wrk" else "process"
    pinning = (
        f"server on CPU {SERVER_CPU}, load on CPU {LOAD_CPU}" if options.cpus else "not pinned"
    )
    return {
        "articles": articles,
        "workers": args.workers,
        "load": f"{options.tool} ({options.parallel} {unit}(s))",
        "connections": options.connections,
        "duration": options.duration,
        "cold_runs": args.cold_runs,
        "pinning": pinning,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
