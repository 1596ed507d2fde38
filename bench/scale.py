"""Benchmark: one site with years of groups, on PostgreSQL — do pages and exports stay flat?

Starts a throwaway PostgreSQL cluster (``tests.support.pgcluster``), migrates it and builds one
synthetic site through the actions layer (``create_cohort_from_template``,
``enrol_participant``, ``submit_response``, ``submit_checkin``, ``change_cohort_status``): groups
of 12 started a week apart going back in time, three in four of each course's questionnaires
answered once open (entered as an import, the answers drawn from each instrument's printed
options), a weekly check-in for every week gone by, groups older than 12 weeks finished. It
grows the site to each size in ``--sizes`` (10, 100, 500 groups) and at each prints, measured
in-process with Django's test client (the app's own time, no network):

- time (median of ``--repeats``) and queries of the staff home page, a running group's page,
  a participant record and the due list (``GET /api/assessments/due``);
- both site exports (scores, check-ins): rows, seconds, rows per second, queries, and the
  peak of Python memory allocated while streaming them (``tracemalloc``).

Goals (issue 15): every page within 20% of its 10-group time at 500 groups with the same query
count; exports at least 50,000 rows per second with memory growth under 30 MB. Figures are
printed, never asserted; the machine may be loaded, so rerun on a quiet one.

Usage: ``.venv/bin/python bench/scale.py [--sizes 10,100,500] [--repeats 5] [--durable]``.
Building is the slow part (about 300 actions per group); 500 groups take a long while.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # for tests.support.pgcluster

from tests.support import pgcluster  # noqa: E402

GROUP_SIZE = 12
ANSWERED = 0.75
CHECKIN = {"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 20}


@dataclass
class Site:
    site: Any
    template: Any
    staff: Any
    groups: list[Any] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(15))


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "balm.web.settings"
    import django

    django.setup()


def answers_for(instrument_id: str, rng: random.Random) -> dict[str, float]:
    """Every choice or number item answered with a printed option (or a value in range)."""
    from balm.instruments import get_instrument
    from balm.instruments.schema import ItemKind

    instrument = get_instrument(instrument_id)
    out: dict[str, float] = {}
    for item in instrument.items:
        if item.kind is ItemKind.CHOICE:
            options = instrument.options_for(item)
            out[item.id] = rng.choice(options).value
        elif item.minimum is not None and item.maximum is not None:
            out[item.id] = rng.randint(int(item.minimum), int(item.maximum))
    return out


def new_site() -> Site:
    from balm.accounts import actions as accounts
    from balm.accounts.models import User
    from balm.programmes.loader import load_template
    from balm.wording.actions import declare_printed_order

    site = accounts.create_site(
        name="Scale pain service (synthetic)",
        slug="scale",
        crisis_contacts="Call 999 in an emergency (synthetic benchmark site).",
        by=None,
    )
    # The default template schedules CPAQ-8, whose printed order a site declares first.
    declare_printed_order(site=site, instrument_id="cpaq8", variant="alternating", by=None)
    staff = User.objects.create_user("scale-facilitator", password=uuid.uuid4().hex)
    accounts.add_membership(user=staff, site=site, role="facilitator", by=None)
    template, _ = load_template()
    return Site(site, template, staff)


def add_group(state: Site) -> None:
    """One more group of 12, started a week before the oldest so far, with its history."""
    from django.utils import timezone

    from balm.accounts import actions as accounts
    from balm.outcomes import actions as outcomes
    from balm.programmes import actions as programmes

    today = timezone.localdate()
    number = len(state.groups)
    start = today - timedelta(weeks=number)
    group = programmes.create_cohort_from_template(
        template=state.template,
        site=state.site,
        name=f"Group {number + 1:04d}",
        start_date=start,
        format="in_person",
        by=None,
    )
    programmes.change_cohort_status(
        cohort=group, status="running" if number < 12 else "finished", by=None
    )
    rng = state.rng
    for seat in range(GROUP_SIZE):
        person = accounts.create_participant(
            site=state.site, pseudonym=f"S{number:04d}{seat:02d}", by=None
        )
        enrolment = programmes.enrol_participant(
            participant=person, cohort=group, diagnosis_category="other", by=None
        )
        for assessment in enrolment.assessments.all():
            if assessment.opens_on <= today and rng.random() < ANSWERED:
                outcomes.submit_response(
                    assessment=assessment,
                    answers=answers_for(assessment.instrument_id, rng),
                    client_id=uuid.uuid4().hex,
                    entry_mode="import",
                    by=None,
                )
        for week in range(1, min(12, (today - start).days // 7) + 1):
            outcomes.submit_checkin(
                enrolment=enrolment,
                week=week,
                answers={**CHECKIN, "q1": rng.randint(0, 10)},
                client_id=uuid.uuid4().hex,
                by=None,
            )
    state.groups.append(group)


class Counter:
    """Counts the statements a block sends (a database execute wrapper: no debug cursor, and
    unlike ``connection.queries`` not reset when the test client starts a request)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> Counter:
        from django.db import connection

        self._wrapped = connection.execute_wrapper(self)
        self._wrapped.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._wrapped.__exit__(*exc)


def timed_page(client: Any, url: str, repeats: int) -> tuple[float, int]:
    times = []
    queries = 0
    for _ in range(repeats):
        with Counter() as counter:
            began = time.perf_counter()
            page = client.get(url)
            page.getvalue()
            times.append(time.perf_counter() - began)
        assert page.status_code == 200, (url, page.status_code)
        queries = counter.count
    return statistics.median(times), queries


def timed_export(client: Any, url: str) -> tuple[int, float, int, float]:
    """Rows, seconds and queries of one streamed download; then, in a second pass, the peak
    Python memory allocated while streaming it (MB)."""
    with Counter() as counter:
        began = time.perf_counter()
        lines = sum(chunk.count(b"\n") for chunk in client.get(url).streaming_content)
        seconds = time.perf_counter() - began
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    for _chunk in client.get(url).streaming_content:
        pass
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return lines - 1, seconds, counter.count, peak / 2**20


def measure(state: Site, repeats: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(state.staff)
    running = state.groups[min(3, len(state.groups) - 1)]
    enrolment = running.enrolments.first()
    pages = {
        "home": reverse("home"),
        "group page": reverse("cohort", args=[running.pk]),
        "participant record": reverse("record", args=[enrolment.pk]),
        "due list (API)": "/api/assessments/due",
    }
    from balm.outcomes.models import Assessment, CheckIn, Response

    print(
        f"\n{len(state.groups)} groups: {state.groups[0].site.participants.count()} people, "
        f"{Assessment.objects.count()} questionnaires, {Response.objects.count()} responses, "
        f"{CheckIn.objects.count()} check-ins"
    )
    for name, url in pages.items():
        seconds, queries = timed_page(client, url, repeats)
        print(f"  {name:<20} {seconds * 1000:8.1f} ms  {queries:3d} queries", flush=True)
    exports = {
        "scores export": reverse("export-site", args=[state.site.pk]),
        "check-ins export": reverse("export-checkins") + f"?site={state.site.pk}",
    }
    for name, url in exports.items():
        rows, seconds, queries, peak = timed_export(client, url)
        print(
            f"  {name:<20} {rows:7d} rows {seconds:6.2f} s {rows / seconds:9.0f} rows/s "
            f"{queries:3d} queries  peak +{peak:.1f} MB",
            flush=True,
        )


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

            call_command("migrate", verbosity=0)
            call_command("collectstatic", verbosity=0, interactive=False)
            print(f"PostgreSQL {bin_dir.parent.name}; groups of {GROUP_SIZE}; sizes {sizes}")
            state = new_site()
            for size in sizes:
                began = time.perf_counter()
                while len(state.groups) < size:
                    add_group(state)
                print(
                    f"(built to {size} groups in {time.perf_counter() - began:.0f} s)", flush=True
                )
                measure(state, args.repeats)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
