"""Benchmark: questionnaire submissions offered at a steady rate (open loop) on PostgreSQL.

``bench/web.py`` drives the server with closed-loop clients (each waits for its answer before
sending again), which measures capacity but hides queueing: a slow answer delays the next
request instead of being counted. Here submissions are offered on a fixed schedule,
``--rate`` per second for ``--seconds`` (50 per second by default, as issue 15 asks), each sent
at its scheduled time by a pool of ``--senders`` keep-alive connections; a latency is measured
from the scheduled time, so time spent waiting for a free sender or a busy server counts.

Same setup as ``bench/web.py`` (whose helpers it uses): a throwaway PostgreSQL cluster with
default durability (fsync, synchronous commit), the site and participants created through the
actions layer, gunicorn ``gthread`` workers, each submission a different participant's complete
baseline PHQ-9 through the session of their personal link. Prints the offered and achieved
rates, p50/p95/p99 latency, statuses, CPU per submission of the app server and PostgreSQL
(from /proc; this cluster's processes only, so other PostgreSQL servers on a shared machine
are not counted), and checks that every accepted submission was stored once; before the runs,
the machine's yardstick (``bench/machine.py``). The goal in the issue
is p95 under 100 ms at 50 per second, and under 5 ms of server plus database CPU per
submission; figures are printed, never asserted.

With ``--with-reads``, each run's people then read their questionnaire
(``GET /api/assessments/{id}``, the same session and link checks, no write) at the same rate on
the same server, and its CPU per request is printed beside the submission's.

Usage: ``.venv/bin/python bench/submit_openloop.py [--rate 50] [--seconds 20] [--senders 32]
[--workers N] [--threads N] [--servers gthread:5x4,sync:5] [--rounds N] [--no-durable]
[--server-side-binding] [--with-reads]``. ``--servers`` runs each server configuration in
turn (``--rounds`` times) against the same cluster, each with its own participants:
configurations compared alternately on a shared machine. ``--server-side-binding``
runs psycopg with server-side parameters (``OPTIONS["server_side_binding"]``), with which it
prepares a statement run five times on a connection: to measure what prepared statements
would save PostgreSQL; balm does not run that way.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import queue
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_web", HERE / "web.py")
assert _spec is not None and _spec.loader is not None
web = importlib.util.module_from_spec(_spec)
sys.modules["bench_web"] = web
_spec.loader.exec_module(web)

from machine import yardstick  # noqa: E402  (bench/, this script's folder, is on the path)


def percentile(values: list[float], share: float) -> float:
    return web.percentile(values, share)


def offer(port: int, jobs: list[tuple[float, str, bytes, dict[str, str]]], senders: int):  # type: ignore[no-untyped-def]
    """Send each job at its scheduled offset (seconds from the start) from a pool of
    ``senders`` connections; returns (latencies from the scheduled time, statuses, errors)."""
    ready: queue.Queue[tuple[float, str, bytes, dict[str, str]] | None] = queue.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def sender() -> None:
        client = web.Client(port)
        while (job := ready.get()) is not None:
            due, path, body, headers = job
            client.cookies = json.loads(headers.pop("_cookies"))
            method = "POST" if body else "GET"
            try:
                status, _, content = client.request(method, path, body or None, headers)
            except OSError as error:
                with lock:
                    errors.append(repr(error))
                continue
            done = time.perf_counter()
            with lock:
                latencies.append(done - due)
                statuses[status] = statuses.get(status, 0) + 1
                if status >= 400 and len(errors) < 5:
                    errors.append(f"{status}: {content[:200]!r}")
        client.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    start = time.perf_counter() + 0.5
    for offset, path, body, headers in jobs:
        due = start + offset
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        ready.put((due, path, body, headers))
    for _ in threads:
        ready.put(None)
    for thread in threads:
        thread.join()
    return latencies, statuses, errors, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="submissions per second (50)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to offer them (20)")
    parser.add_argument("--senders", type=int, default=32, help="connections sending (32)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--durable", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--server-side-binding", action="store_true")
    parser.add_argument(
        "--servers",
        help="server configurations run in turn on the same cluster, e.g. "
        "gthread:5x4,sync:5 (instead of --workers/--threads)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="times through --servers (1)")
    parser.add_argument(
        "--with-reads",
        action="store_true",
        help="after each run's submissions, the same people read their questionnaire at the "
        "same rate (GET /api/assessments/{id}): the cost of a request without the write",
    )
    args = parser.parse_args()
    count = int(args.rate * args.seconds)
    if count < 1 or args.senders < 1 or args.rounds < 1:
        parser.error("need rate x seconds >= 1, senders >= 1 and rounds >= 1")
    if args.servers:
        try:
            parse_servers(args.servers)
        except ValueError as error:
            parser.error(str(error))
    try:
        bin_dir = web.pgcluster.find_bin_dir()
    except web.pgcluster.PostgresUnavailable as error:
        print(f"cannot run: {error}", file=sys.stderr)
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="balm-bench-openloop-"))
    try:
        with web.pgcluster.cluster(bin_dir, durable=args.durable) as url:
            if args.server_side_binding:
                url += "?server_side_binding=true"  # read by dj-database-url into OPTIONS
            env = web.server_env(url, data_dir)
            return bench(args, env, count)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def parse_servers(text: str) -> list[tuple[str, int, int]]:
    """``gthread:5x4,sync:5x1`` -> [("gthread", 5, 4), ("sync", 5, 1)]."""
    servers = []
    for item in text.split(","):
        kind, _, size = item.strip().partition(":")
        workers, _, threads = size.partition("x")
        if kind not in ("gthread", "sync") or not workers.isdigit():
            raise ValueError(f"server {item!r}: expected gthread:WxT or sync:W")
        servers.append((kind, int(workers), int(threads or 1)))
    return servers


def bench(args: argparse.Namespace, env: dict[str, str], count: int) -> int:
    web.setup_django(env)
    from django.core.management import call_command
    from django.db import connections

    servers = (
        parse_servers(args.servers) if args.servers else [("gthread", args.workers, args.threads)]
    )
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    runs = [server for _ in range(args.rounds) for server in servers]
    people = web.create_data(count * len(runs))
    database = web.database_postmaster()  # this cluster's processes only
    connections.close_all()
    print(
        f"{len(people)} participants; {args.rate:g} submissions/s offered for {args.seconds:g} s "
        f"per run; {args.senders} senders; PostgreSQL {'durable' if args.durable else 'no fsync'}"
        f"{', server-side binding' if args.server_side_binding else ''}"
    )
    print(yardstick(), flush=True)
    stored_before = 0
    for number, (kind, workers, threads) in enumerate(runs):
        batch = people[number * count : (number + 1) * count]
        print(f"--- run {number + 1}: gunicorn {kind} {workers} x {threads} threads")
        stored_before = run(args, env, batch, (kind, workers, threads), database, stored_before)
    return 0


def run(  # type: ignore[no-untyped-def]
    args: argparse.Namespace,
    env: dict[str, str],
    people,
    server_kind: tuple[str, int, int],
    database: int | None,
    stored_before: int,
) -> int:
    """One server configuration offered ``people``'s submissions; the responses now stored."""
    kind, workers, threads = server_kind
    count = len(people)
    port = web.pgcluster.free_port()
    with web.gunicorn(env, port, workers, threads, kind) as server:
        rng = random.Random(15)
        jobs = []
        for n, person in enumerate(people):
            cookies = web.open_link(port, person)
            body = json.dumps(
                {
                    "assessment_id": person.assessment_id,
                    "answers": web.phq9_answers(rng),
                    "client_id": str(uuid.uuid4()),
                }
            ).encode()
            headers = {
                "Content-Type": "application/json",
                "X-CSRFToken": cookies["csrftoken"],
                "_cookies": json.dumps(cookies),
            }
            jobs.append((n / args.rate, "/api/responses", body, headers))
        # The reads' headers copied now: sending a job takes its cookies out of them.
        reads = [
            (offset, f"/api/assessments/{person.assessment_id}", b"", dict(headers))
            for (offset, _, _, headers), person in zip(jobs, people, strict=True)
            if args.with_reads
        ]
        before = web.cpu_seconds(server, database)
        latencies, statuses, errors, elapsed = offer(port, jobs, args.senders)
        after = web.cpu_seconds(server, database)
        read_latencies, read_statuses, _, _ = offer(port, reads, args.senders)
        read_cpu = web.cpu_seconds(server, database)
    done = len(latencies)
    print(
        f"offered {count / args.seconds:.1f}/s, completed {done} in {elapsed:.1f} s "
        f"({done / elapsed:.1f}/s); statuses {dict(sorted(statuses.items()))}"
    )
    if latencies:
        print(
            f"latency from the scheduled time: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms (goal: p95 under 100 ms)"
        )
        server_ms = (after["server"] - before["server"]) / done * 1000
        database_ms = (after["database"] - before["database"]) / done * 1000
        print(
            f"CPU per submission: server {server_ms:.2f} ms, database {database_ms:.2f} ms, "
            f"together {server_ms + database_ms:.2f} ms (goal: under 5 ms)"
        )
    for error in errors[:5]:
        print("error:", error)
    if read_latencies:
        per = {k: (read_cpu[k] - after[k]) / len(read_latencies) * 1000 for k in after}
        print(
            f"reads of the same questionnaires: statuses {dict(sorted(read_statuses.items()))}, "
            f"p95 {percentile(read_latencies, 0.95) * 1000:.1f} ms; CPU per read: server "
            f"{per['server']:.2f} ms, database {per['database']:.2f} ms, together "
            f"{per['server'] + per['database']:.2f} ms"
        )
    stored = web.count_responses()
    print(
        f"responses stored: {stored - stored_before}; 201s: {statuses.get(201, 0)} (each stored "
        f"once: {'yes' if stored - stored_before == statuses.get(201, 0) else 'NO'})"
    )
    return stored


if __name__ == "__main__":
    raise SystemExit(main())
