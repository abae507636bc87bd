"""The benchmark's results: one object, printed as a table or written as JSON."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench.cases import Case
from tests.bench.cold import ColdResult
from tests.bench.ingest import LINK_HEAVY_ARTICLES, LINKS_PER_ARTICLE, ImportResult
from tests.bench.publish import PublishResult
from tests.bench.results import LoadResult
from tests.bench.varnish import PurgeLatency


@dataclass(frozen=True, slots=True)
class CaseRun:
    case: Case
    result: LoadResult


@dataclass(slots=True)
class BenchResult:
    """Everything measured, with the settings it was measured with."""

    settings: dict[str, Any]
    imported: ImportResult
    #: a few articles of thousands of links each (see ``ingest.link_heavy_file``)
    link_heavy: ImportResult
    cold: ColdResult | None = None  # None when only the publish cases ran
    cases: list[CaseRun] = field(default_factory=list)
    published: PublishResult | None = None  # None when only the serve cases ran
    peak_rss_mib: float = 0.0
    server_processes: int = 0
    #: lines of the server logs that report errors or warnings
    server_trouble: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    #: API write to visible through Varnish, when Varnish ran
    purge: PurgeLatency | None = None


def write_json(result: BenchResult, path: Path) -> None:
    data = dataclasses.asdict(result)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def table(result: BenchResult) -> str:
    """The results as text for a terminal."""
    return "\n".join(
        [
            _header(result.settings),
            "",
            *_import_lines(result.imported, result.settings["articles"]),
            _link_heavy_line(result.link_heavy),
            *(_serve_lines(result) if result.cold is not None else []),
            *(_publish_lines(result.published) if result.published is not None else []),
            *(f"FAILED: {failure}" for failure in result.failures),
        ]
    )


def _serve_lines(result: BenchResult) -> list[str]:
    assert result.cold is not None
    return [
        "",
        *_cold_lines(result.cold),
        "",
        *_load_lines(result.cases),
        *_purge_lines(result.purge),
        "",
        f"Server peak RSS: {result.peak_rss_mib:.1f} MiB "
        f"(VmHWM summed over {result.server_processes} process(es), after the load)",
        *_trouble_lines(result.server_trouble),
    ]


def _publish_lines(published: PublishResult) -> list[str]:
    first, again = published.first, published.again
    return [
        "",
        f"Publish (nashra publish DIR; {published.site_mib:.1f} MiB of files)",
        f"  into an empty directory: {first.seconds:.2f} s ({first.wall_s:.2f} s wall with "
        f"start-up), {first.files_written} files written",
        f"  again, nothing changed:  {again.seconds:.2f} s ({again.wall_s:.2f} s wall), "
        f"{again.files_written} written, {again.files_unchanged} unchanged",
        f"  --watch idle: {published.idle_cpu_percent:.2f} % of one CPU over "
        f"{published.idle_s:.0f} s (/proc/PID/stat user + system)",
    ]


def _header(settings: dict[str, Any]) -> str:
    return (
        f"nashra benchmark: {settings['articles']:,} articles, {settings['workers']} worker(s), "
        f"load by {settings['load']}, {settings['connections']} connections, "
        f"{settings['duration']} s per case, {settings['pinning']}"
    )


def _import_lines(imported: ImportResult, articles: int) -> list[str]:
    lines = [
        f"Import: {imported.articles_per_s:,.0f} articles/s ({imported.seconds:.2f} s by nashra's "
        f"count, {imported.wall_s:.2f} s wall for {articles:,} articles); "
        f"store {imported.store_mib:.1f} MiB",
        f"  nashra: {imported.summary}",
    ]
    if imported.stderr_lines:
        lines.append(f"  and {imported.stderr_lines:,} lines of warnings or problems on stderr")
    return lines


def _link_heavy_line(imported: ImportResult) -> str:
    return (
        f"Import of {LINK_HEAVY_ARTICLES} articles of {LINKS_PER_ARTICLE:,} links each: "
        f"{imported.seconds:.2f} s by nashra's count ({imported.wall_s:.2f} s wall)"
    )


def _cold_lines(cold: ColdResult) -> list[str]:
    lines = [
        f"Cold renders (median of {cold.runs} fresh start(s); start to /healthz "
        f"{cold.startup_ms:.0f} ms)",
        f"  {'feed':<28} {'cold ms':>9} {'render ms':>9} {'warm ms':>9} {'KiB':>8}",
    ]
    lines += [
        f"  {feed.path:<28} {feed.cold_ms:9.1f} {_ms(feed.render_ms):>9} {feed.warm_ms:9.1f} "
        f"{feed.bytes / 1024:8.1f}"
        for feed in cold.feeds
    ]
    lines.append(
        "  (render ms: the server's Server-Timing; a feed's first render includes its query, "
        "the others reuse it)"
    )
    return lines


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _load_lines(cases: list[CaseRun]) -> list[str]:
    width = max([len(_name(run.case)) for run in cases] + [4])
    lines = [
        "Load",
        f"  {'case':<{width}} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'bytes/resp':>10} "
        f"{'non-2/3xx':>9} {'sock err':>8}  statuses",
    ]
    for run in cases:
        r = run.result
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(r.statuses.items())) or "-"
        lines.append(
            f"  {_name(run.case):<{width}} {r.rps:9.1f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} "
            f"{r.bytes_per_response:10,.0f} {r.bad_status:9d} {r.socket_errors:8d}  {statuses}"
        )
    return lines


def _purge_lines(purge: PurgeLatency | None) -> list[str]:
    if purge is None:
        return []
    return [
        f"Purge to visible through Varnish: median {purge.median_ms:.1f} ms, worst "
        f"{purge.worst_ms:.1f} ms over {purge.writes} API writes (from the write's answer "
        "to the article in the feed)"
    ]


def _name(case: Case) -> str:
    return f"{case.key}) {case.title}"


def _trouble_lines(trouble: list[str], shown: int = 10) -> list[str]:
    if not trouble:
        return ["Server logs: no errors or warnings"]
    lines = [f"Server logs: {len(trouble)} line(s) of errors or warnings, first ones:"]
    return lines + [f"  {line}" for line in trouble[:shown]]
