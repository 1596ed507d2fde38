"""Benchmark: questionnaire submissions against a real server on PostgreSQL.

Starts a throwaway PostgreSQL cluster (``tests.support.pgcluster``), migrates it, creates a
synthetic site, groups, participants and their PHQ-9 questionnaires through the actions layer,
then serves the app with gunicorn (``gthread`` workers, persistent database connections) on
loopback and drives it with ``--clients`` concurrent keep-alive clients (threads using
``http.client``), first against the health endpoint (``GET /healthz``, one database round
trip), then against questionnaire submission: ``POST /api/responses`` as the participant, with
the browser session from their personal link (``/p/<token>/``) and the CSRF token, as the
participant's browser would send it. Every submission is a different participant's baseline
PHQ-9 (a submitted questionnaire cannot be sent twice), with complete answers and no safety
answer.

Prints requests per second, p50/p95/p99 latency for both, and the ratio of the rates. The goal
in the issue is p95 under 100 ms and submissions at least half the health endpoint's rate;
figures are printed, never asserted. Everything runs on 127.0.0.1 and stops within
``--seconds`` per phase.

PostgreSQL keeps its default durability (fsync, synchronous commit), as a real server would;
``--no-durable`` runs it as the tests do (no fsync), to see what the disk costs. Beside the rates
it prints the CPU time each request cost the app server, PostgreSQL and the clients (from
/proc), since all three share the machine's cores.

Usage: ``.venv/bin/python bench/web.py [--clients 20] [--submissions 2000] [--seconds 20]
[--workers N] [--threads N] [--no-durable]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # for tests.support.pgcluster

from tests.support import pgcluster  # noqa: E402

HOST = "127.0.0.1"
GROUP_SIZE = 20


@dataclass
class Participant:
    pseudonym: str
    token: str
    assessment_id: int


@dataclass
class Timings:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0


# --- data ---------------------------------------------------------------------------------


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "balm.web.settings"
    import django

    django.setup()


def server_env(url: str, data_dir: Path, **more: str) -> dict[str, str]:
    """The environment of a server on loopback against the database at ``url`` (also used by
    ``bench/submit_openloop.py`` and ``bench/many_servers.py``)."""
    return {
        "DATABASE_URL": url,
        "BALM_SECRET_KEY": uuid.uuid4().hex,
        "BALM_DATA_DIR": str(data_dir),
        "BALM_ALLOWED_HOSTS": HOST,
        "BALM_SITE_URL": f"http://{HOST}",
        "BALM_DB_CONN_MAX_AGE": "60",
        "BALM_TASKS_BACKEND": "database",
        "BALM_LOG_LEVEL": "WARNING",
        **more,
    }


def create_data(count: int, *, emails: bool = False) -> list[Participant]:
    """A site with PHQ-9 enabled, groups of 20 that started a week ago, and ``count``
    participants, each enrolled with a personal link (and with ``emails`` an address for
    reminders): all through the actions layer."""
    from django.utils import timezone

    from balm.accounts import actions as accounts
    from balm.programmes import actions as programmes
    from balm.programmes.loader import load_template

    site = accounts.create_site(
        name="Benchmark pain service (synthetic)",
        slug="bench",
        crisis_contacts="Call 999 in an emergency (synthetic benchmark site).",
        enabled_instruments=["phq9"],
        by=None,
    )
    template, _ = load_template()
    start = timezone.localdate() - timedelta(weeks=1)
    people: list[Participant] = []
    cohort = None
    for number in range(count):
        if number % GROUP_SIZE == 0:
            cohort = programmes.create_cohort_from_template(
                template=template,
                site=site,
                name=f"Benchmark group {number // GROUP_SIZE + 1}",
                start_date=start,
                format="online",
                by=None,
            )
        assert cohort is not None
        participant = accounts.create_participant(
            site=site,
            pseudonym=f"B{number:05d}",
            email=f"b{number:05d}@example.org" if emails else "",
            by=None,
        )
        enrolment = programmes.enrol_participant(
            participant=participant, cohort=cohort, diagnosis_category="other", by=None
        )
        assessment = enrolment.assessments.get(instrument_id="phq9", timepoint="baseline")
        _, token = accounts.issue_participant_link(participant=participant, by=None)
        people.append(Participant(participant.pseudonym, token, assessment.pk))
    return people


def count_responses() -> int:
    from balm.outcomes.models import Response

    return Response.objects.count()


# --- server -------------------------------------------------------------------------------


@contextmanager
def gunicorn(
    env: dict[str, str], port: int, workers: int, threads: int, worker_class: str = "gthread"
) -> Iterator[int]:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "balm.web.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--worker-class={worker_class}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--keep-alive=30",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = Client(port).request("GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield server.pid
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


# --- CPU accounting -----------------------------------------------------------------------


def _cpu_of(pid_dir: Path) -> tuple[str, int, float, int] | None:
    """(command name, session id, CPU seconds, parent's pid) of one process from /proc, or
    None if gone."""
    try:
        stat = (pid_dir / "stat").read_text()
    except OSError:
        return None
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    # utime + stime, and cutime + cstime: the CPU of its children that have exited (a
    # PostgreSQL backend whose connection closed, a restarted worker), so nothing is lost.
    ticks = sum(int(value) for value in fields[11:15])
    return name, int(fields[3]), ticks / os.sysconf("SC_CLK_TCK"), int(fields[1])


def database_postmaster() -> int | None:
    """The pid of this benchmark's PostgreSQL server (the parent of every process of the
    cluster, which each start a session of their own), found from the backend of the Django
    connection; None if it cannot be read. With it, :func:`cpu_seconds` counts this cluster
    only, not other PostgreSQL servers on a shared machine."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    seen = _cpu_of(Path("/proc") / str(pid))
    return seen[3] if seen is not None else None


def cpu_seconds(server_session: int, database: int | None = None) -> dict[str, float]:
    """CPU time used so far by the app server (its process session), PostgreSQL's processes
    (the server ``database`` and its children if given, else every process named postgres),
    and this process (the clients), read from /proc (Linux)."""
    used = {"server": 0.0, "database": 0.0, "clients": time.process_time()}
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        seen = _cpu_of(pid_dir)
        if seen is None:
            continue
        name, session, seconds, parent = seen
        if session == server_session:
            used["server"] += seconds
        elif name == "postgres" and database in (None, int(pid_dir.name), parent):
            used["database"] += seconds
    return used


def report_cpu(before: dict[str, float], after: dict[str, float], requests: int) -> None:
    if not requests:
        return
    per = {key: (after[key] - before[key]) / requests * 1000 for key in before}
    print(
        f"{'':<26} CPU per request: server {per['server']:.2f} ms, database "
        f"{per['database']:.2f} ms, clients {per['clients']:.2f} ms "
        f"(total {sum(per.values()):.2f} ms on {os.cpu_count()} cores)"
    )


# --- clients ------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection to the server, with its own cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        sent = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
            try:
                self.connection.request(method, path, body=body, headers=sent)
                reply = self.connection.getresponse()
                content = reply.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # the server closed an idle keep-alive connection: retry once
                if attempt == 2:
                    raise
                continue
            for header in reply.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if reply.headers.get("Connection", "").lower() == "close":
                self.close()
            return reply.status, dict(reply.headers.items()), content
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def open_link(port: int, person: Participant) -> dict[str, str]:
    """The participant opens their link and the form (not timed): their cookies."""
    client = Client(port)
    status, _, _ = client.request("GET", f"/p/{person.token}/")
    if status != 302:
        raise RuntimeError(f"opening {person.pseudonym}'s link gave {status}")
    status, _, _ = client.request("GET", f"/me/q/{person.assessment_id}/")
    if status != 200 or "csrftoken" not in client.cookies:
        raise RuntimeError(f"{person.pseudonym}'s questionnaire gave {status}")
    client.close()
    return dict(client.cookies)


def phq9_answers(rng: random.Random) -> dict[str, int]:
    answers = {f"q{i}": rng.randint(0, 3) for i in range(1, 9)}
    answers["q9"] = 0
    return answers


def run_phase(
    port: int,
    clients: int,
    seconds: float,
    work: Callable[[int, Client], Iterator[tuple[str, str, bytes | None, dict[str, str]]]],
) -> Timings:
    """``clients`` threads, each on one keep-alive connection, sending the requests ``work``
    yields until it runs out or ``seconds`` pass; latency is measured per request."""
    results = Timings()
    lock = threading.Lock()
    start_line = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client_thread(index: int) -> None:
        client = Client(port)
        mine: list[float] = []
        statuses: dict[int, int] = {}
        errors: list[str] = []
        requests = work(index, client)
        start_line.wait()
        try:
            for method, path, body, headers in requests:
                if time.perf_counter() >= stop_at[0]:
                    break
                began = time.perf_counter()
                try:
                    status, _, content = client.request(method, path, body, headers)
                except OSError as error:
                    errors.append(f"{type(error).__name__}: {error}")
                    continue
                mine.append(time.perf_counter() - began)
                statuses[status] = statuses.get(status, 0) + 1
                if status >= 400 and len(errors) < 3:
                    errors.append(f"{status} {path}: {content[:200]!r}")
        finally:
            client.close()
            with lock:
                results.latencies.extend(mine)
                for status, n in statuses.items():
                    results.statuses[status] = results.statuses.get(status, 0) + n
                results.errors.extend(errors)

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start_line.wait()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    results.elapsed = time.perf_counter() - began
    return results


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def report(name: str, timings: Timings) -> float:
    n = len(timings.latencies)
    rate = n / timings.elapsed if timings.elapsed else 0.0
    if not n:
        print(f"{name}: no requests completed; errors: {timings.errors[:3]}")
        return 0.0
    ms = [t * 1000 for t in timings.latencies]
    print(
        f"{name:<26} {n:>6} requests in {timings.elapsed:5.1f} s = {rate:7.1f} req/s   "
        f"p50 {percentile(ms, 0.50):6.1f} ms   p95 {percentile(ms, 0.95):6.1f} ms   "
        f"p99 {percentile(ms, 0.99):6.1f} ms   mean {statistics.fmean(ms):6.1f} ms   "
        f"statuses {dict(sorted(timings.statuses.items()))}"
    )
    for error in timings.errors[:3]:
        print(f"    error: {error}")
    return rate


# --- main ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument(
        "--submissions", type=int, default=2000, help="participants, one submission each (2000)"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="time limit per phase (20)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--durable",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="PostgreSQL with fsync and synchronous commit (default) or without",
    )
    args = parser.parse_args()
    if args.clients < 1 or args.submissions < args.clients or args.seconds <= 0:
        parser.error("need clients >= 1, submissions >= clients, seconds > 0")

    try:
        bin_dir = pgcluster.find_bin_dir()
    except pgcluster.PostgresUnavailable as error:
        print(f"cannot run: {error}", file=sys.stderr)
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="balm-bench-web-"))
    try:
        with pgcluster.cluster(bin_dir, durable=args.durable) as url:
            return bench(args, server_env(url, data_dir), bin_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def bench(args: argparse.Namespace, env: dict[str, str], bin_dir: Path) -> int:
    setup_django(env)
    from django.core.management import call_command
    from django.db import connections

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    people = create_data(args.submissions)
    connections.close_all()
    print(
        f"PostgreSQL {bin_dir.parent.name} ({'durable' if args.durable else 'no fsync'}); "
        f"{len(people)} participants with a PHQ-9 due, "
        f"created through the actions layer in {time.perf_counter() - began:.1f} s"
    )
    port = pgcluster.free_port()
    print(
        f"gunicorn on {HOST}:{port}: {args.workers} gthread workers x {args.threads} threads, "
        f"keep-alive; {args.clients} clients, at most {args.seconds:g} s per phase\n"
    )
    with gunicorn(env, port, args.workers, args.threads) as server:
        shares = [people[i :: args.clients] for i in range(args.clients)]
        cookies: dict[str, dict[str, str]] = {}
        for person in people:
            cookies[person.pseudonym] = open_link(port, person)

        def health(index: int, client: Client) -> Iterator[tuple[str, str, None, dict[str, str]]]:
            while True:
                yield "GET", "/healthz", None, {}

        def warm(index: int, client: Client) -> Iterator[tuple[str, str, None, dict[str, str]]]:
            yield from [("GET", "/healthz", None, {})] * 20

        def submit(index: int, client: Client) -> Iterator[tuple[str, str, bytes, dict[str, str]]]:
            rng = random.Random(index)
            for person in shares[index]:
                client.cookies = dict(cookies[person.pseudonym])
                body = json.dumps(
                    {
                        "assessment_id": person.assessment_id,
                        "answers": phq9_answers(rng),
                        "client_id": str(uuid.uuid4()),
                    }
                ).encode()
                yield (
                    "POST",
                    "/api/responses",
                    body,
                    {
                        "Content-Type": "application/json",
                        "X-CSRFToken": client.cookies["csrftoken"],
                    },
                )

        run_phase(port, args.clients, 10, warm)
        before = cpu_seconds(server)
        checked = run_phase(port, args.clients, args.seconds, health)
        health_rate = report("GET /healthz", checked)
        report_cpu(before, cpu_seconds(server), len(checked.latencies))
        before = cpu_seconds(server)
        submitted = run_phase(port, args.clients, args.seconds, submit)
        submit_rate = report("POST /api/responses", submitted)
        report_cpu(before, cpu_seconds(server), len(submitted.latencies))
    stored = count_responses()
    print(f"\nresponses stored: {stored} (201s reported: {submitted.statuses.get(201, 0)})")
    if health_rate:
        print(
            f"submissions / health rate: {submit_rate / health_rate:.2f} "
            "(goal: at least 0.5; p95 goal: under 100 ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
