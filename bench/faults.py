"""Check: what survives faults under a steady stream of submissions on PostgreSQL.

Starts a throwaway PostgreSQL cluster with its default durability (fsync, synchronous commit),
creates a site and ``--people`` participants with a PHQ-9 due (through the actions layer, as
``bench/web.py`` does), starts ``balm serve`` (gunicorn) and ``balm worker``, and runs
``--clients`` threads that submit questionnaires through ``POST /api/responses`` the way a
phone would: open the personal link, open the form, send the answers with a client id made
once per questionnaire, and on a connection error or a 5xx wait a little and send the same
body again (so a retry is idempotent), until the server acknowledges it (200 or 201).

Meanwhile, one after the other, each after ``--seconds`` of steady load:

1. ``kill -9`` one gunicorn worker process (the master starts another);
2. ``kill -9`` the whole server (master and workers), then start it again at once, as a
   service manager would;
3. restart PostgreSQL with ``pg_ctl restart -m fast`` (connections closed, clean shutdown);
4. restart it with ``pg_ctl restart -m immediate`` (no shutdown checkpoint: crash recovery);
5. give ``--mailed`` participants who have not answered an e-mail address, so the worker's
   next check queues their "due" e-mails, and ``kill -9`` the worker once some have been
   written and others not, then start it again.

E-mail goes to files (``BALM_EMAIL_FILE_DIR``, one ``To:`` per message, counted as
``bench/many_servers.py`` counts them); a send interrupted by the kill is retried by the
worker's check ``BALM_REMINDER_RETRY_MINUTES`` (1) after its last attempt, so the script waits
for every claimed e-mail to settle before counting.

For each fault it prints the submissions that failed and were retried, the longest time with
no submission acknowledged, and the seconds from the fault until every client had a submission
acknowledged again. At the end it compares the client ids the server acknowledged with the
responses stored: acknowledged but missing (goal 0), stored twice (goal 0; the database allows
one response per questionnaire), and e-mails sent more than once (the design promises at least
once, so a kill between sending and recording may send one twice: reported, not a failure).
It also says whether ``balm worker`` survived the PostgreSQL restarts. Exit code 0 when
nothing acknowledged is missing or doubled, 1 otherwise.

Usage: ``.venv/bin/python bench/faults.py [--seconds 6] [--clients 20] [--people 1500]
[--mailed 200] [--pause 0.5]``. Runs in about ten minutes with the defaults on a loaded
2-core machine: creating the participants and starting ``balm serve`` twice take most of it.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_many_servers", HERE / "many_servers.py")
assert _spec is not None and _spec.loader is not None
servers = importlib.util.module_from_spec(_spec)
sys.modules["bench_many_servers"] = servers
_spec.loader.exec_module(servers)
web = servers.web  # bench/web.py, loaded by many_servers.py
BALM = servers.BALM

RETRYABLE = {500, 502, 503, 504}


# --- clients ------------------------------------------------------------------------------


@dataclass
class Event:
    at: float  # time.monotonic()
    client: int
    ok: bool


@dataclass
class Log:
    """What the clients saw, shared by their threads."""

    events: list[Event] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # client id -> assessment
    statuses: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)  # answers that are not retried
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, client: int, ok: bool, what: str) -> None:
        with self.lock:
            self.events.append(Event(time.monotonic(), client, ok))
            self.statuses[what] += 1


class Phone:
    """One participant's phone after another: link, form, answers; retried until answered."""

    def __init__(self, index: int, port: int, people: list, log: Log, pause: float) -> None:  # type: ignore[type-arg]
        self.index, self.port, self.people, self.log, self.pause = index, port, people, log, pause
        self.stop = threading.Event()
        self.ran_out = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def send(self, client: object, method: str, path: str, body=None, headers=None):  # type: ignore[no-untyped-def]
        """The request until it gets an answer that is not a 5xx; ``None`` if told to stop."""
        backoff = 0.2
        while not self.stop.is_set():
            try:
                status, _, content = client.request(method, path, body, headers)  # type: ignore[attr-defined]
            except OSError as error:
                client.close()  # type: ignore[attr-defined]
                self.log.add(self.index, False, type(error).__name__)
            else:
                if status not in RETRYABLE:
                    return status, content
                self.log.add(self.index, False, str(status))
            self.stop.wait(backoff)
            backoff = min(backoff * 2, 1.0)
        return None

    def run(self) -> None:
        for person in self.people:
            if self.stop.is_set():
                return
            client = web.Client(self.port)
            try:
                if not self.answer(client, person):
                    return
            finally:
                client.close()
            self.stop.wait(self.pause)
        self.ran_out = True

    def answer(self, client: object, person: object) -> bool:
        opened = self.send(client, "GET", f"/p/{person.token}/")  # type: ignore[attr-defined]
        form = self.send(client, "GET", f"/me/q/{person.assessment_id}/")  # type: ignore[attr-defined]
        if opened is None or form is None:
            return False
        if opened[0] != 302 or form[0] != 200:
            with self.log.lock:
                self.log.refused.append(
                    f"at {time.monotonic():.1f} {person.pseudonym}: link {opened[0]}, "  # type: ignore[attr-defined]
                    f"form {form[0]} {form[1][:120]!r}"
                )
            return True
        client_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "assessment_id": person.assessment_id,  # type: ignore[attr-defined]
                "answers": {f"q{i}": (i + self.index) % 4 for i in range(1, 9)} | {"q9": 0},
                "client_id": client_id,
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": client.cookies["csrftoken"],  # type: ignore[attr-defined]
        }
        answer = self.send(client, "POST", "/api/responses", body, headers)
        if answer is None:
            return False
        status, content = answer
        if status in (200, 201):
            with self.log.lock:
                self.log.acknowledged[client_id] = person.assessment_id  # type: ignore[attr-defined]
            self.log.add(self.index, True, str(status))
        else:
            self.log.add(self.index, False, str(status))
            with self.log.lock:
                self.log.refused.append(
                    f"at {time.monotonic():.1f} {person.pseudonym}: {status} {content[:200]!r}"  # type: ignore[attr-defined]
                )
        return True


# --- processes ----------------------------------------------------------------------------


class Services:
    """The app server, the worker and PostgreSQL, each started, killed and restarted."""

    def __init__(self, env: dict[str, str], work: Path, port: int, workers: int) -> None:
        self.env, self.work, self.port, self.workers = env, work, port, workers
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_exits: list[int] = []

    def start_server(self) -> float:
        """Start ``balm serve``; the seconds until it answered ``/healthz``."""
        began = time.monotonic()
        log = self.work / "serve.log"
        command = [
            BALM,
            "serve",
            f"--port={self.port}",
            "--no-migrate",
            f"--workers={self.workers}",
        ]
        self.server = servers.start(command, self.env, log)
        servers.wait_healthy(self.port, self.server, log)
        return time.monotonic() - began

    def start_worker(self) -> None:
        command = [BALM, "worker", "--interval=0.5"]
        self.worker = servers.start(command, self.env, self.work / "worker.log")

    def check_worker(self) -> bool:
        """Whether the worker is still running; if it is not, note its exit and start it."""
        assert self.worker is not None
        if self.worker.poll() is None:
            return True
        self.worker_exits.append(self.worker.returncode)
        self.start_worker()
        return False

    def gunicorn_workers(self) -> list[int]:
        assert self.server is not None
        return children(self.server.pid)  # ``balm serve`` is gunicorn's master itself

    def kill_server(self) -> None:
        assert self.server is not None
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait()

    def kill_worker(self) -> None:
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def stop(self) -> None:
        servers.stop([p for p in (self.worker, self.server) if p is not None])


def children(pid: int) -> list[int]:
    """The process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def restart_postgres(bin_dir: Path, data_dir: Path, mode: str) -> None:
    """``pg_ctl restart -m MODE``, reusing the options the server was started with
    (``postmaster.opts``); as the ``postgres`` user when we are root, as the cluster runs."""
    command = [
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data_dir),
        "-m",
        mode,
        "-l",
        str(data_dir.parent / "log"),
        "-w",
        "-t",
        "60",
        "restart",
    ]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


# --- the run ------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    began: float
    ended: float = 0.0
    detail: str = ""


def recovery(log: Log, phase: Phase, clients: int) -> tuple[int, float, float | None]:
    """(failed attempts, longest gap with nothing acknowledged, seconds until every client
    had a submission acknowledged again) within the phase."""
    with log.lock:
        events = [e for e in log.events if phase.began <= e.at < phase.ended]
    failed = sum(not e.ok for e in events)
    times = [phase.began] + [e.at for e in events if e.ok] + [phase.ended]
    gap = max(b - a for a, b in itertools.pairwise(times))
    first: dict[int, float] = {}
    for e in events:
        if e.ok and e.client not in first:
            first[e.client] = e.at
    back = max(first.values()) - phase.began if len(first) == clients else None
    return failed, gap, back


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="steady load per phase (6)")
    parser.add_argument("--clients", type=int, default=20, help="phones submitting (20)")
    parser.add_argument("--people", type=int, default=1500, help="participants (1500)")
    parser.add_argument("--mailed", type=int, default=200, help="e-mails for the worker (200)")
    parser.add_argument("--pause", type=float, default=0.5, help="a phone's pause (0.5 s)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (3)")
    args = parser.parse_args()
    if args.clients < 1 or args.people < args.clients + args.mailed or args.seconds <= 0:
        parser.error("need clients >= 1, people >= clients + mailed, seconds > 0")
    try:
        bin_dir = web.pgcluster.find_bin_dir()
    except web.pgcluster.PostgresUnavailable as error:
        print(f"cannot run: {error}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="balm-faults-"))
    (work / "mail").mkdir()
    try:
        with web.pgcluster.cluster(bin_dir, durable=True) as url:
            env = web.server_env(
                url,
                work,
                BALM_EMAIL_FILE_DIR=str(work / "mail"),
                BALM_REMINDER_INTERVAL="2",
                BALM_REMINDER_RETRY_MINUTES="1",
            )
            return run(args, env, work, bin_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, env: dict[str, str], work: Path, bin_dir: Path) -> int:
    web.setup_django(env)
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    began = time.monotonic()
    people = web.create_data(args.people)
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_dir = Path(cursor.fetchone()[0])
    connections.close_all()
    mailed, submitters = people[: args.mailed], people[args.mailed :]
    print(
        f"PostgreSQL {bin_dir.parent.name} (durable); {len(people)} participants created in "
        f"{time.monotonic() - began:.0f} s; {args.clients} phones, {args.workers} gunicorn "
        f"workers, one balm worker; {args.seconds:g} s of steady load per phase"
    )
    services = Services(env, work, web.pgcluster.free_port(), args.workers)
    log = Log()
    phases: list[Phase] = []
    phones = [
        Phone(i, services.port, submitters[i :: args.clients], log, args.pause)
        for i in range(args.clients)
    ]
    worker_alive: dict[str, bool] = {}
    try:
        print(f"balm serve answered after {services.start_server():.1f} s", flush=True)
        services.start_worker()
        for phone in phones:
            phone.thread.start()

        def phase(name: str, fault) -> Phase:  # type: ignore[no-untyped-def]
            time.sleep(args.seconds)
            current = Phase(name, time.monotonic())
            print(f"  {name} at {current.began:.1f}", flush=True)
            current.detail = fault() or ""
            time.sleep(args.seconds)
            deadline = time.monotonic() + 120
            while recovery(log, _until_now(current), args.clients)[2] is None:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            current.ended = time.monotonic()
            phases.append(current)
            print(f"  {name}: done {current.detail}", flush=True)
            return current

        def kill_one_worker() -> str:
            pids = services.gunicorn_workers()
            os.kill(pids[0], signal.SIGKILL)
            return f"(pid {pids[0]} of {len(pids)})"

        def kill_server() -> str:
            services.kill_server()
            return f"(balm serve answered again after {services.start_server():.1f} s)"

        def restart_db(mode: str):  # type: ignore[no-untyped-def]
            def fault() -> str:
                restart_postgres(bin_dir, data_dir, mode)
                return ""

            return fault

        def kill_mailing_worker() -> str:
            worker_alive["before the e-mails"] = services.check_worker()
            give_addresses(mailed)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if sum(servers.recipients(work / "mail").values()) >= len(mailed) // 4:
                    break
                time.sleep(0.05)
            written = sum(servers.recipients(work / "mail").values())
            services.kill_worker()
            services.start_worker()
            return f"(after {written} of {len(mailed)} e-mails were written)"

        phase("steady load (no fault)", lambda: "")
        phase("kill -9 one gunicorn worker", kill_one_worker)
        phase("kill -9 the server, start it", kill_server)
        phase("PostgreSQL restart -m fast", restart_db("fast"))
        worker_alive["after restart -m fast"] = services.check_worker()
        phase("PostgreSQL restart -m immediate", restart_db("immediate"))
        worker_alive["after restart -m immediate"] = services.check_worker()
        phase("kill -9 balm worker mid-e-mail", kill_mailing_worker)
        for phone in phones:
            phone.stop.set()
        for phone in phones:
            phone.thread.join(timeout=30)
        settled = wait_for_emails(deadline=time.monotonic() + 240)
        worker_alive["at the end"] = services.check_worker()
    finally:
        for phone in phones:
            phone.stop.set()
        services.stop()
    return report(
        args, log, phases, phones, mailed, work, settled, worker_alive, services.worker_exits
    )


def _until_now(current: Phase) -> Phase:
    return Phase(current.name, current.began, time.monotonic())


def give_addresses(mailed: list) -> None:  # type: ignore[type-arg]
    """The team adds e-mail addresses for participants who have not answered yet."""
    from balm.accounts.models import Participant

    for person in mailed:
        Participant.objects.filter(pseudonym=person.pseudonym).update(
            email=f"{person.pseudonym.lower()}@example.org"
        )


def wait_for_emails(deadline: float) -> bool:
    """Wait until every claimed questionnaire e-mail is sent or settled (a send interrupted by
    the kill is retried after the grace period); ``False`` if the deadline passed first."""
    from balm.outcomes.models import ReminderLog

    while time.monotonic() < deadline:
        claimed = ReminderLog.objects.count()
        if claimed and not ReminderLog.objects.filter(sent_at__isnull=True).exists():
            return True
        time.sleep(1)
    return False


def report(  # type: ignore[no-untyped-def]
    args,
    log: Log,
    phases: list[Phase],
    phones: list[Phone],
    mailed,
    work: Path,
    settled,
    worker_alive,
    exits,
) -> int:
    from django.db import connections

    from balm.outcomes.models import ReminderLog, Response

    connections.close_all()  # PostgreSQL was restarted since this process last asked
    print(f"\n{'phase':<34} {'failed tries':>12} {'longest gap s':>14} {'all back s':>11}")
    for phase in phases:
        failed, gap, back = recovery(log, phase, args.clients)
        shown = f"{back:.1f}" if back is not None else "never"
        print(f"{phase.name:<34} {failed:>12} {gap:>14.1f} {shown:>11}")
    stored = Counter(Response.objects.values_list("client_id", flat=True))
    by_assessment = Counter(Response.objects.values_list("assessment_id", flat=True))
    missing = [c for c in log.acknowledged if c not in stored]
    doubled = [c for c, n in stored.items() if n > 1] + [
        a for a, n in by_assessment.items() if n > 1
    ]
    sent = servers.recipients(work / "mail")
    twice = {r: n for r, n in sent.items() if n > 1}
    expected = {f"{p.pseudonym.lower()}@example.org" for p in mailed}
    outcomes = Counter(ReminderLog.objects.values_list("outcome", flat=True))
    print(
        f"\nanswers seen by the phones: {dict(sorted(log.statuses.items()))}"
        f"\nacknowledged submissions: {len(log.acknowledged)}; stored responses: "
        f"{sum(stored.values())}"
        f"\nacknowledged but missing: {len(missing)} (goal 0)"
        f"\nstored twice: {len(doubled)} (goal 0)"
        f"\nrefused (not retried): {len(log.refused)} {log.refused[:3]}"
        f"\ne-mails: {sum(sent.values())} to {len(sent)} of {len(expected)} participants "
        f"(all settled: {'yes' if settled else 'NO'}; outcomes {dict(outcomes)}); "
        f"sent more than once: {len(twice)} {sorted(twice)[:5]}"
        f"\nunexpected recipients: {sorted(set(sent) - expected)[:5]}; never e-mailed: "
        f"{len(expected - set(sent))}"
        f"\nbalm worker running: {worker_alive}; exits seen: {exits}"
    )
    if any(phone.ran_out for phone in phones):
        print("warning: phones ran out of participants before the end; use more --people")
    return 0 if not missing and not doubled else 1


if __name__ == "__main__":
    raise SystemExit(main())
