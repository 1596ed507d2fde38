"""Benchmark: one site with years of groups, on PostgreSQL — do pages and exports stay flat?

Starts a throwaway PostgreSQL cluster (``tests.support.pgcluster``), migrates it and builds one
synthetic site (``tests/support/scale_site.py``): groups of 12 started four weeks apart going
back in time (the ten newest hold every questionnaire open today, so the present is the same at
every size and growing the site adds only history), three in four of each course's
questionnaires answered once open (entered as an import, the answers drawn from each
instrument's printed options), a weekly check-in for every week gone by, groups older than 12
weeks finished. The first ``--actions`` groups are built
through the actions layer (``create_participant``, ``enrol_participant``, ``submit_response``,
``submit_checkin``: about 300 actions a group), the rest by the bulk builder, which writes the
same rows (audit events and their hash chain included) with one ``bulk_create`` per table;
``tests/web/test_scale_bulk.py`` builds one group both ways and compares every row. It grows
the site to each size in ``--sizes`` (10, 100, 500 groups) and at each prints, measured
in-process with Django's test client (the app's own time, no network):

- the machine's yardstick (``bench/machine.py``), so runs on a shared machine can be compared;
- time (median of ``--repeats``) and queries of the staff home page, a running group's page,
  a participant record and the due list (``GET /api/assessments/due``: its first page of 100,
  and ``?limit=10``, the same answer size at every size), with how many are open;
- the site exports (scores and scores with ``?items=1``, both read from the rows kept merged
  as responses are written; check-ins): rows, seconds, rows per second (median of up to
  three), this process's CPU (the Python side), the time spent executing the statements (the
  database side, fetching excluded; the ``COPY`` that writes the scores and check-ins lines on
  PostgreSQL, ``balm.outcomes.export_copy``, goes past Django's cursor and is not among them),
  queries, and the peak of Python memory allocated while streaming them (``tracemalloc``); with
  ``--profile``, each one's dearest functions.

Goals (issue 15): every page within 20% of its 10-group time at 500 groups with the same query
count; exports at least 50,000 rows per second with memory growth under 30 MB. Figures are
printed, never asserted; the machine may be loaded, so rerun on a quiet one.

At the end it checks the audit trail's hash chains (as ``balm manage verify_audit``).

With ``--side-by-side ROUNDS`` it then builds a second site of the smallest size in the same
database and times each page of both sites in turn, ROUNDS rounds: two sizes measured minutes
apart on a shared machine often differ by more than the 20% asked, from the machine alone.

Usage: ``.venv/bin/python bench/scale.py [--sizes 10,100,500] [--repeats 5] [--actions 3]
[--durable] [--statements] [--explain N] [--profile] [--side-by-side ROUNDS]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # for tests.support.pgcluster

from tests.support import pgcluster, scale_site  # noqa: E402

from machine import yardstick  # noqa: E402


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "balm.web.settings"
    import django

    django.setup()


class Counter:
    """Counts the statements a block sends (a database execute wrapper: no debug cursor, and
    unlike ``connection.queries`` not reset when the test client starts a request)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0  # inside the statements' execute calls (not fetching their rows)
        self.each: list[tuple[float, str, Any]] = []  # (seconds, statement, its parameters)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - began
            self.seconds += took
            self.each.append((took, sql, params))

    def __enter__(self) -> Counter:
        from django.db import connection

        self._wrapped = connection.execute_wrapper(self)
        self._wrapped.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._wrapped.__exit__(*exc)


def timed_page(client: Any, url: str, repeats: int) -> tuple[float, Counter]:
    """Median seconds of ``repeats`` views, and the statements of the last."""
    times = []
    for _ in range(repeats):
        with Counter() as counter:
            began = time.perf_counter()
            page = client.get(url)
            page.getvalue()
            times.append(time.perf_counter() - began)
        assert page.status_code == 200, (url, page.status_code)
    return statistics.median(times), counter


@dataclass(frozen=True)
class Export:
    rows: int
    columns: int
    seconds: float  # wall, median of the runs
    cpu: float  # this process's CPU (Python), median
    executing: float  # inside the statements' execute calls, median
    queries: int
    peak_mb: float
    last: Counter  # the statements of the last timed run


def show_statements(counter: Counter, most: int = 6, *, explain: int = 0) -> None:
    """The dearest statements of the last run (a server-side cursor's execute only declares
    it: the fetching, where its rows are made, is not in these times); the ``EXPLAIN ANALYZE``
    of the ``explain`` dearest SELECTs."""
    from django.db import connection

    dearest = sorted(counter.each, key=lambda each: -each[0])[:most]
    for took, sql, _params in dearest:
        print(f"      {took * 1000:7.1f} ms  {' '.join(sql.split())[:110]}")
    selects = [(sql, params) for _, sql, params in dearest if sql.lstrip().startswith("SELECT")]
    for sql, params in selects[:explain]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(f"        {line}" for (line,) in cursor.fetchall()))


def timed_export(client: Any, url: str, repeats: int) -> Export:
    """Rows, wall seconds, Python CPU seconds, seconds executing statements and queries of a
    streamed download (medians of ``repeats``); then, in another pass, the peak Python memory
    allocated while streaming it (MB)."""
    runs = []
    for _ in range(repeats):
        with Counter() as counter:
            began, cpu = time.perf_counter(), time.process_time()
            chunks = list(client.get(url).streaming_content)
            lines = sum(chunk.count(b"\n") for chunk in chunks)
            width = chunks[0].split(b"\n", 1)[0].count(b",") + 1  # the header's columns
            runs.append((time.perf_counter() - began, time.process_time() - cpu, counter.seconds))
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    for _chunk in client.get(url).streaming_content:
        pass
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    wall, cpu, executing = (statistics.median(run[n] for run in runs) for n in range(3))
    return Export(lines - 1, width, wall, cpu, executing, counter.count, peak / 2**20, counter)


def profile_export(client: Any, url: str, most: int = 18) -> None:
    """cProfile of one streamed download (CPU clock: waiting on the database is not counted),
    the ``most`` dearest functions by their own time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _chunk in client.get(url).streaming_content:
        pass
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(most)


def pages_of(state: scale_site.Site) -> tuple[Any, dict[str, str]]:
    """A test client signed in as the site's facilitator, and the pages timed."""
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(state.staff)
    running = state.groups[min(1, len(state.groups) - 1)]  # started four weeks ago
    enrolment = running.enrolments.first()
    return client, {
        "home": reverse("home"),
        "group page": reverse("cohort", args=[running.pk]),
        "participant record": reverse("record", args=[enrolment.pk]),
        "due list (API)": "/api/assessments/due",
        # The same answer size at every size: the first page holds 100 of the open ones,
        # fewer at 10 groups (all under ten weeks old: no end or follow-up open yet).
        "due list, first 10": "/api/assessments/due?limit=10",
    }


def side_by_side(small: scale_site.Site, big: scale_site.Site, rounds: int) -> None:
    """Each page of a small and a big site in one database, timed in turn (``--side-by-side``):
    the machine's drift between two sizes measured minutes apart is often larger than 20%, so
    the two are compared round by round (which goes first alternates). Prints each page's
    median on both, their ratio, how many rounds the big site was the slower, and the queries."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sites = {"small": pages_of(small), "big": pages_of(big)}
    print(
        f"\nside by side, {rounds} rounds: a site of {len(small.groups)} groups and one of "
        f"{len(big.groups)} in one database, each page of each in turn"
    )
    print(f"  ({yardstick()})", flush=True)
    for name in sites["small"][1]:
        times: dict[str, list[float]] = {"small": [], "big": []}
        queries: dict[str, int] = {}
        for round_ in range(rounds):
            for which in ("small", "big") if round_ % 2 else ("big", "small"):
                client, pages = sites[which]
                seconds, counter = timed_page(client, pages[name], 1)
                times[which].append(seconds)
                queries[which] = counter.count
        small_ms, big_ms = (statistics.median(times[w]) * 1000 for w in ("small", "big"))
        slower = sum(b > s for s, b in zip(times["small"], times["big"], strict=True))
        print(
            f"  {name:<20} {small_ms:7.1f} ms / {big_ms:7.1f} ms  ({big_ms / small_ms - 1:+.0%})"
            f"  big slower in {slower} of {rounds}  queries {queries['small']} / {queries['big']}",
            flush=True,
        )


def measure(
    state: scale_site.Site,
    repeats: int,
    *,
    statements: bool = False,
    explain: int = 0,
    profile: bool = False,
) -> None:
    from django.db import connection
    from django.urls import reverse

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client, pages = pages_of(state)
    from balm.outcomes.models import Assessment, CheckIn, Response

    print(
        f"\n{len(state.groups)} groups: {state.groups[0].site.participants.count()} people, "
        f"{Assessment.objects.count()} questionnaires, {Response.objects.count()} responses, "
        f"{CheckIn.objects.count()} check-ins"
    )
    print(f"  ({yardstick()})", flush=True)
    for name, url in pages.items():
        seconds, counter = timed_page(client, url, repeats)
        print(f"  {name:<20} {seconds * 1000:8.1f} ms  {counter.count:3d} queries", flush=True)
        if statements or explain:
            show_statements(counter, most=3, explain=explain)
    due = client.get(pages["due list (API)"]).json()
    print(f"  (due list: {due['count']} open, {len(due['items'])} on the first page)")
    exports = {
        "scores export": reverse("export-site", args=[state.site.pk]),
        "scores with items": reverse("export-site", args=[state.site.pk]) + "?items=1",
        "check-ins export": reverse("export-checkins") + f"?site={state.site.pk}",
    }
    for name, url in exports.items():
        e = timed_export(client, url, min(repeats, 3))
        print(
            f"  {name:<20} {e.rows:7d} rows x {e.columns:3d} {e.seconds:6.2f} s "
            f"{e.rows / e.seconds:7.0f} rows/s "
            f"(Python CPU {e.cpu:5.2f} s, executing statements {e.executing:5.2f} s) "
            f"{e.queries:3d} queries  peak +{e.peak_mb:.1f} MB",
            flush=True,
        )
        if statements or explain:
            show_statements(e.last, explain=explain)
        if profile:
            profile_export(client, url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,500", help="group counts (10,100,500)")
    parser.add_argument("--repeats", type=int, default=5, help="timings per page (5)")
    parser.add_argument(
        "--durable",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="PostgreSQL with fsync (slower to build); default without, as the tests run it",
    )
    parser.add_argument(
        "--actions",
        type=int,
        default=3,
        help="groups built through the actions before the bulk builder takes over (3)",
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="print each export's dearest statements (their execute time)",
    )
    parser.add_argument(
        "--explain",
        type=int,
        default=0,
        help="with the statements, EXPLAIN ANALYZE the N dearest SELECTs of each (0)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a CPU profile of each export (its dearest functions)",
    )
    parser.add_argument(
        "--side-by-side",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="then build a second site of the smallest size and time both sites' pages in "
        "turn over ROUNDS rounds (0: not)",
    )
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[0] < 1:
        parser.error("--sizes: positive group counts, e.g. 10,100,500")
    try:
        bin_dir = pgcluster.find_bin_dir()
    except pgcluster.PostgresUnavailable as error:
        print(f"cannot run: {error}", file=sys.stderr)
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="balm-bench-scale-"))
    try:
        with pgcluster.cluster(bin_dir, durable=args.durable) as url:
            setup_django(
                {
                    "DATABASE_URL": url,
                    "BALM_SECRET_KEY": uuid.uuid4().hex,
                    "BALM_DATA_DIR": str(data_dir),
                    "BALM_ALLOWED_HOSTS": "testserver",
                    "BALM_TASKS_BACKEND": "dummy",  # no e-mails: alerts stay queued
                    "BALM_LOG_LEVEL": "WARNING",
                }
            )
            from django.core.management import call_command

            from balm.audit.verify import first_broken_links

            call_command("migrate", verbosity=0)
            call_command("collectstatic", verbosity=0, interactive=False)
            print(
                f"PostgreSQL {bin_dir.parent.name}; groups of {scale_site.GROUP_SIZE}; "
                f"sizes {sizes}; the first {args.actions} groups through the actions, "
                "the rest in bulk"
            )
            state = scale_site.new_site()
            for size in sizes:
                began = time.perf_counter()
                scale_site.grow(state, size, actions=args.actions)
                print(
                    f"(built to {size} groups in {time.perf_counter() - began:.0f} s)", flush=True
                )
                measure(
                    state,
                    args.repeats,
                    statements=args.statements,
                    explain=args.explain,
                    profile=args.profile,
                )
            if args.side_by_side:
                small = scale_site.new_site("scale-small")
                scale_site.grow(small, sizes[0], actions=min(args.actions, sizes[0]))
                side_by_side(small, state, args.side_by_side)
            began = time.perf_counter()
            checked, broken = first_broken_links()
            print(
                f"\naudit trail: {checked} events, "
                f"{'chains intact' if not broken else f'BROKEN: {broken}'} "
                f"(verify_audit, {time.perf_counter() - began:.0f} s)"
            )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
