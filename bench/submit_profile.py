"""Benchmark: the server's CPU for one questionnaire submission, in process.

``bench/submit_openloop.py`` measures a whole server under load; this measures the request
alone, to see where its CPU goes. Same setup (a throwaway PostgreSQL cluster, the production
settings, the site and participants made through the actions layer, each submission a
different participant's complete baseline PHQ-9 through the session of their personal link),
but the requests go through Django's WSGI handler in this process (the test client, with the
middleware of the production settings), one after another. Prints the median and mean CPU time
(``time.process_time``) of a submission and of its parts; with ``--profile`` it also runs
cProfile over the submissions and prints the functions with the most cumulative and own time.

The CPU counted is this process's only: PostgreSQL's share is in ``bench/submit_openloop.py``.

Usage: ``.venv/bin/python bench/submit_profile.py [--submissions 400] [--profile] [--top 40]
[--dump FILE]`` (``--dump``: cProfile's statistics to a file, for ``pstats``).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_web", HERE / "web.py")
assert _spec is not None and _spec.loader is not None
web = importlib.util.module_from_spec(_spec)
sys.modules["bench_web"] = web
_spec.loader.exec_module(web)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40, help="untimed submissions first")
    parser.add_argument("--profile", action="store_true", help="run cProfile as well")
    parser.add_argument("--top", type=int, default=40, help="functions listed by cProfile")
    parser.add_argument("--dump", help="also write cProfile's statistics to this file")
    parser.add_argument("--durable", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    try:
        bin_dir = web.pgcluster.find_bin_dir()
    except web.pgcluster.PostgresUnavailable as error:
        print(f"cannot run: {error}", file=sys.stderr)
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="balm-bench-profile-"))
    try:
        with web.pgcluster.cluster(bin_dir, durable=args.durable) as url:
            return bench(args, web.server_env(url, data_dir))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def bench(args: argparse.Namespace, env: dict[str, str]) -> int:
    web.setup_django(env)
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    timed = args.submissions * (2 if args.profile else 1)
    people = web.create_data(args.warmup + timed)
    rng = random.Random(15)
    prepared = []
    for person in people:
        client = Client(enforce_csrf_checks=True, HTTP_HOST=web.HOST)
        if client.get(f"/p/{person.token}/").status_code != 302:
            raise RuntimeError(f"opening {person.pseudonym}'s link failed")
        client.get(f"/me/q/{person.assessment_id}/")
        body = json.dumps(
            {
                "assessment_id": person.assessment_id,
                "answers": web.phq9_answers(rng),
                "client_id": str(uuid.uuid4()),
            }
        )
        prepared.append((client, body, client.cookies["csrftoken"].value))

    def submit(client: Client, body: str, token: str) -> None:
        answer = client.post(
            "/api/responses", data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token
        )
        if answer.status_code != 201:
            raise RuntimeError(f"submission gave {answer.status_code}: {answer.content[:200]!r}")

    for item in prepared[: args.warmup]:
        submit(*item)
    rest = prepared[args.warmup :]
    cpu: list[float] = []
    for item in rest[: args.submissions]:
        start = time.process_time()
        submit(*item)
        cpu.append(time.process_time() - start)
    print(
        f"{len(cpu)} submissions in process (test client, production settings, PostgreSQL): "
        f"CPU per submission median {statistics.median(cpu) * 1000:.2f} ms, "
        f"mean {statistics.fmean(cpu) * 1000:.2f} ms"
    )
    if args.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL
        profiler.enable()
        for item in rest[args.submissions :]:
            submit(*item)
        profiler.disable()
        if args.dump:
            profiler.dump_stats(args.dump)
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
