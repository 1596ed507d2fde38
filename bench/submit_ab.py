"""Benchmark: two checkouts' server CPU per submission, in process, interleaved.

On a shared machine the CPU time of the same code drifts by more than a change saves, so
``bench/submit_profile.py`` run twice (once per checkout) compares two moments as much as two
versions. Here one throwaway PostgreSQL cluster and one set of participants serve two
long-lived worker processes, this checkout's and another's (``--other SRC``, the ``src``
directory of the other checkout, put first on the worker's ``PYTHONPATH``), and the driver
has them submit in small alternating blocks, so both see the same load. Each submission is a
different participant's complete baseline PHQ-9 through the session of their personal link,
through Django's WSGI handler with the production settings, as in ``submit_profile.py``.
Prints each version's median and mean CPU time per submission (``time.process_time``), and
the median of the paired block medians' differences. The two checkouts must share the
database schema (the same migrations).

Usage: ``.venv/bin/python bench/submit_ab.py --other ../main/src [--blocks 12] [--size 25]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _web():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_web", HERE / "web.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_web"] = module
    spec.loader.exec_module(module)
    return module


def worker() -> int:
    """One version: read the participants (JSON on the first line), open their links, then
    for each line ``N`` submit the next N and print their CPU times (JSON)."""
    import random
    import time
    import uuid

    web = _web()
    web.setup_django(json.loads(os.environ["BALM_AB_ENV"]))
    from django.test import Client

    people = json.loads(sys.stdin.readline())
    rng = random.Random(15)
    prepared = []
    for token, assessment_id in people:
        client = Client(enforce_csrf_checks=True, HTTP_HOST=web.HOST)
        if client.get(f"/p/{token}/").status_code != 302:
            raise RuntimeError("opening a link failed")
        client.get(f"/me/q/{assessment_id}/")
        body = json.dumps(
            {
                "assessment_id": assessment_id,
                "answers": web.phq9_answers(rng),
                "client_id": str(uuid.uuid4()),
            }
        )
        prepared.append((client, body, client.cookies["csrftoken"].value))
    print(json.dumps({"ready": len(prepared), "balm": __import__("balm").__file__}), flush=True)
    position = 0
    for line in sys.stdin:
        times = []
        for client, body, token in prepared[position : position + int(line)]:
            start = time.process_time()
            answer = client.post(
                "/api/responses",
                data=body,
                content_type="application/json",
                HTTP_X_CSRFTOKEN=token,
            )
            times.append(time.process_time() - start)
            if answer.status_code != 201:
                raise RuntimeError(f"submission gave {answer.status_code}")
        position += int(line)
        print(json.dumps(times), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--other", required=True, help="the other checkout's src directory")
    parser.add_argument("--blocks", type=int, default=12, help="blocks per version (12)")
    parser.add_argument("--size", type=int, default=25, help="submissions per block (25)")
    parser.add_argument("--warmup", type=int, default=30, help="untimed submissions first")
    args = parser.parse_args()
    other = Path(args.other).resolve()
    if not (other / "balm" / "__init__.py").exists():
        parser.error(f"{other} holds no balm package")
    web = _web()
    try:
        bin_dir = web.pgcluster.find_bin_dir()
    except web.pgcluster.PostgresUnavailable as error:
        print(f"cannot run: {error}", file=sys.stderr)
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="balm-bench-ab-"))
    try:
        with web.pgcluster.cluster(bin_dir) as url:
            return compare(args, web, web.server_env(url, data_dir), other)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def compare(args: argparse.Namespace, web, env: dict[str, str], other: Path) -> int:  # type: ignore[no-untyped-def]
    web.setup_django(env)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    each = args.warmup + args.blocks * args.size
    people = [(p.token, p.assessment_id) for p in web.create_data(2 * each)]
    connections.close_all()
    versions = {"this checkout": None, f"other ({other})": str(other)}
    workers = {}
    for n, (name, path) in enumerate(versions.items()):
        child_env = {**os.environ, "BALM_AB_ENV": json.dumps(env)}
        if path is not None:
            child_env["PYTHONPATH"] = os.pathsep.join(
                [path, *filter(None, [os.environ.get("PYTHONPATH")])]
            )
        process = subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env,
        )
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(people[n * each : (n + 1) * each]) + "\n")
        process.stdin.flush()
        workers[name] = process
    for name, process in workers.items():
        assert process.stdout is not None
        print(f"{name}: {json.loads(process.stdout.readline())}")

    def block(process: subprocess.Popen[str], size: int) -> list[float]:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{size}\n")
        process.stdin.flush()
        return [float(t) for t in json.loads(process.stdout.readline())]

    for process in workers.values():
        block(process, args.warmup)
    times: dict[str, list[float]] = {name: [] for name in workers}
    differences = []
    for number in range(args.blocks):
        order = list(workers) if number % 2 == 0 else list(reversed(workers))
        medians = {}
        for name in order:
            taken = block(workers[name], args.size)
            times[name].extend(taken)
            medians[name] = statistics.median(taken)
        first, second = list(workers)
        differences.append(medians[first] - medians[second])
    for process in workers.values():
        assert process.stdin is not None
        process.stdin.close()
        process.wait()
    for name, taken in times.items():
        median, mean = statistics.median(taken) * 1000, statistics.fmean(taken) * 1000
        print(
            f"{name}: {len(taken)} submissions, CPU per submission median {median:.2f} ms, "
            f"mean {mean:.2f} ms"
        )
    first, second = list(workers)
    print(
        f"paired blocks: {first} minus {second}, median "
        f"{statistics.median(differences) * 1000:+.2f} ms "
        f"(range {min(differences) * 1000:+.2f} to {max(differences) * 1000:+.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(worker() if sys.argv[1:] == ["--worker"] else main())
