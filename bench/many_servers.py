"""Check: two app servers and two workers on one PostgreSQL store every submission once and
send every reminder once.

Starts a throwaway PostgreSQL cluster, creates a site and ``--people`` participants with a
PHQ-9 due and an e-mail address (through the actions layer, as ``bench/web.py`` does), then
starts two ``balm serve`` processes (two ports) and sends half of the participants' PHQ-9s,
each opened on one server and submitted to the other (sessions live in the database), and each
sent a second time to the first server with the same client id, as a phone retrying after a
lost answer would. Then it starts two ``balm worker`` processes, which both check for due
e-mails at once (every ``--reminder-interval`` seconds) and share the database queue, and
waits until the e-mails settle. E-mail goes to files (``BALM_EMAIL_FILE_DIR``).

It checks, and prints: one response per submitted questionnaire (never two, none lost), and
exactly one "due" e-mail to each participant who had not answered, none to those who had.
Exit code 0 when both hold, 1 otherwise. Runs in about a minute.

Usage: ``.venv/bin/python bench/many_servers.py [--people 200] [--reminder-interval 2]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_web", HERE / "web.py")
assert _spec is not None and _spec.loader is not None
web = importlib.util.module_from_spec(_spec)
sys.modules["bench_web"] = web
_spec.loader.exec_module(web)

BALM = str(Path(sys.executable).with_name("balm"))


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, env={**os.environ, **env}, stdout=out, stderr=out, start_new_session=True
        )


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"balm serve on {port} exited with {process.returncode}:\n{tail}")
        try:
            if web.Client(port).request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"balm serve on {port} did not start:\n{tail}")


def recipients(mail_dir: Path) -> Counter[str]:
    """Recipients of every e-mail written by Django's file backend (``To:`` per message)."""
    found: Counter[str] = Counter()
    for path in mail_dir.glob("*"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("To: "):
                found[line[4:].strip()] += 1
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200, help="participants (200)")
    parser.add_argument("--reminder-interval", type=float, default=2.0)
    args = parser.parse_args()
    try:
        bin_dir = web.pgcluster.find_bin_dir()
    except web.pgcluster.PostgresUnavailable as error:
        print(f"cannot run: {error}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="balm-many-servers-"))
    (work / "mail").mkdir()
    try:
        with web.pgcluster.cluster(bin_dir) as url:
            env = web.server_env(
                url,
                work,
                BALM_EMAIL_FILE_DIR=str(work / "mail"),
                BALM_REMINDER_INTERVAL=str(args.reminder_interval),
            )
            return run(args, env, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, env: dict[str, str], work: Path) -> int:
    web.setup_django(env)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    people = web.create_data(args.people, emails=True)
    connections.close_all()
    ports = [web.pgcluster.free_port(), web.pgcluster.free_port()]
    servers: list[subprocess.Popen[bytes]] = []
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:  # one after the other: each collects the static files at start
            log = work / f"serve-{port}.log"
            command = [BALM, "serve", f"--port={port}", "--no-migrate", "--workers=2"]
            servers.append(start(command, env, log))
            wait_healthy(port, servers[-1], log)
        print(f"two servers on ports {ports}; {len(people)} participants with a PHQ-9 due")
        answered = people[::2]
        statuses: Counter[int] = Counter()
        for n, person in enumerate(answered):
            first, second = ports[n % 2], ports[(n + 1) % 2]
            cookies = web.open_link(first, person)
            body = json.dumps(
                {
                    "assessment_id": person.assessment_id,
                    "answers": {f"q{i}": i % 4 for i in range(1, 9)} | {"q9": 0},
                    "client_id": str(uuid.uuid4()),
                }
            ).encode()
            for port in (second, first):  # sent, then sent again (a retry) to the other
                client = web.Client(port)
                client.cookies = dict(cookies)
                headers = {"Content-Type": "application/json", "X-CSRFToken": cookies["csrftoken"]}
                statuses[client.request("POST", "/api/responses", body, headers)[0]] += 1
                client.close()
        print(f"submitted {len(answered)} questionnaires twice each: statuses {dict(statuses)}")
        workers = [
            start([BALM, "worker", "--interval=0.5"], env, work / f"worker-{n}.log")
            for n in range(2)
        ]
        expected = {f"{p.pseudonym.lower()}@example.org" for p in people[1::2]}
        deadline = time.monotonic() + 120
        seen: Counter[str] = Counter()
        while time.monotonic() < deadline:
            time.sleep(max(args.reminder_interval, 1) * 2)
            now = recipients(work / "mail")
            if now == seen and set(now) >= expected:
                break
            seen = now
        time.sleep(max(args.reminder_interval, 1) * 3)  # a few more checks: nothing more goes
        sent = recipients(work / "mail")
    finally:
        stop(workers + servers)
    from balm.outcomes.models import Response

    stored = Counter(Response.objects.values_list("assessment_id", flat=True))
    ok_stored = set(stored) == {p.assessment_id for p in answered} and set(stored.values()) == {1}
    ok_sent = set(sent) == expected and set(sent.values()) == {1}
    print(
        f"responses stored: {sum(stored.values())} for {len(answered)} questionnaires "
        f"(each once: {'yes' if ok_stored else 'NO'})"
    )
    twice = sorted(r for r, n in sent.items() if n > 1)
    print(
        f"due e-mails: {sum(sent.values())} to {len(sent)} people; expected one each to "
        f"{len(expected)} who had not answered ({'yes' if ok_sent else 'NO'}"
        f"{f'; more than once: {twice[:5]}' if twice else ''})"
    )
    return 0 if ok_stored and ok_sent else 1


if __name__ == "__main__":
    raise SystemExit(main())
