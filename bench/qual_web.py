"""Benchmark: the qualitative workspace's pages, server time (in-process, through Django's
test client: URL routing, middleware, session, permission checks, queries, rendering).

Migrates a fresh database (SQLite in a temporary folder), makes a site with a researcher pair,
a project and a synthetic 15,000-word interview (speaker turns of 40-200 words) with 600
codings by two coders over 30 codes, then times:

- the reader page (``GET /qual/<project>/sources/<source>/``) as one coder, ``--repeats`` times;
  goal p95 < 300 ms;
- applying a coding (``POST .../codings/`` with offsets and the quoted passage, as the page's
  script sends it), each a new passage; goal p95 < 100 ms.

Prints p50/p95/max of each; nothing is asserted. Each measurement is a function taking the
:class:`BenchWorld` and returning :class:`Figures`, listed in ``MEASUREMENTS``; add more there.

Usage: ``.venv/bin/python bench/qual_web.py [--repeats 40] [--words 15000] [--codings 600]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

VOCABULARY = [
    "pain",
    "flare",
    "pacing",
    "breathing",
    "kind",
    "myself",
    "group",
    "week",
    "morning",
    "walk",
    "tired",
    "sleep",
    "hurt",
    "calm",
    "friend",
    "family",
    "work",
    "hard",
    "slowly",
    "better",
    "worse",
    "again",
    "noticed",
    "felt",
    "thought",
    "said",
    "really",
    "just",
    "compassion",
    "critic",
    "voice",
    "body",
    "rest",
    "day",
    "night",
    "garden",
    "shopping",
    "stairs",
    "doctor",
    "tablets",
    "sometimes",
    "always",
    "never",
    "because",
    "when",
    "then",
    "maybe",
]


@dataclass
class BenchWorld:
    project: Any
    source: Any
    codes: list[Any]
    coders: list[Any]
    """Two researcher users of the site."""
    words: int
    codings: int


@dataclass
class Figures:
    name: str
    millis: list[tuple[float, float]]
    """Wall and CPU milliseconds of each request."""
    goal_ms: float | None = None

    def line(self) -> str:
        def spread(values: list[float]) -> str:
            values = sorted(values)
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            return f"p50 {statistics.median(values):6.1f}  p95 {p95:6.1f}  max {values[-1]:6.1f}"

        goal = f"  (goal p95 < {self.goal_ms:.0f} ms)" if self.goal_ms else ""
        wall = spread([w for w, _ in self.millis])
        cpu = spread([c for _, c in self.millis])
        return f"  {self.name:<15} n={len(self.millis):<3} wall ms {wall} | CPU ms {cpu}{goal}"


def setup_django(folder: str) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["BALM_DATA_DIR"] = folder
    os.environ["BALM_DEMO"] = "1"  # a throwaway secret key, as for the demo
    os.environ["DJANGO_SETTINGS_MODULE"] = "balm.web.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def transcript(words: int, rng: random.Random) -> str:
    """Alternating interviewer and participant turns of plain sentences, ``words`` words."""
    turns, count, speaker = [], 0, "Interviewer"
    while count < words:
        n = min(
            words - count, rng.randint(10, 40) if speaker == "Interviewer" else rng.randint(40, 200)
        )
        sentences, left = [], n
        while left > 0:
            k = min(left, rng.randint(6, 18))
            sentence = " ".join(rng.choice(VOCABULARY) for _ in range(k))
            sentences.append(sentence.capitalize() + ".")
            left -= k
        turns.append(f"{speaker}: " + " ".join(sentences))
        count += n
        speaker = "P01" if speaker == "Interviewer" else "Interviewer"
    return "\n".join(turns)


def make_world(words: int, codings: int, seed: int = 11) -> BenchWorld:
    from django.contrib.auth import get_user_model

    from balm.accounts.models import Membership, Participant, Site
    from balm.qualitative import actions
    from balm.qualitative.models import Coder, Coding

    rng = random.Random(seed)
    site = Site.objects.create(name="Bench", slug="bench", crisis_contacts="999")
    users = []
    for name in ("bench_a", "bench_b"):
        user = get_user_model().objects.create_user(username=name, password="bench-pass")
        Membership.objects.create(user=user, site=site, role="researcher")
        users.append(user)
    participant = Participant.objects.create(site=site, pseudonym="P01", name="Bench Person")
    project = actions.create_project(site=site, name="Bench", by=users[0])
    source = actions.add_source(
        project=project,
        name="Long interview",
        text=transcript(words, rng),
        participant=participant,
        by=users[0],
    ).source
    codes = []
    for g in range(5):
        parent = actions.add_code(project=project, name=f"Group {g}", by=users[0])
        codes += [
            actions.add_code(
                project=project, name=f"Code {g}.{i}", parent=parent, colour="#1d4ed8", by=users[0]
            )
            for i in range(6)
        ]
    # The codings go in with one bulk insert (the apply-coding timing below is the action's);
    # spans of 5-60 words anywhere in the text.
    coders = [
        Coder.objects.get_or_create(project=project, user=u, defaults={"name": u.username})[0]
        for u in users
    ]
    starts = [i + 1 for i, ch in enumerate(source.text) if ch == " "]
    rows = []
    for n in range(codings):
        start = rng.choice(starts)
        end = min(len(source.text), start + rng.randint(30, 360))
        rows.append(
            Coding(source=source, start=start, end=end, code=rng.choice(codes), coder=coders[n % 2])
        )
    Coding.objects.bulk_create(rows)
    return BenchWorld(project, source, codes, users, words, codings)


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def _timed(call: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU time of one request, in ms (CPU time is steadier on a loaded machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    response = call()
    took = ((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000)
    if response.status_code != 200:
        raise SystemExit(f"unexpected status {response.status_code}: {response.content[:300]!r}")
    return took


def reader_page(world: BenchWorld, repeats: int) -> Figures:
    from django.urls import reverse

    client = _client(world.coders[0])
    url = reverse("qual:reader", args=[world.project.pk, world.source.pk])
    _timed(lambda: client.get(url))  # warm the caches (templates, URL resolver)
    return Figures("reader page", [_timed(lambda: client.get(url)) for _ in range(repeats)], 300)


def apply_coding(world: BenchWorld, repeats: int) -> Figures:
    from django.urls import reverse

    client = _client(world.coders[1])
    url = reverse("qual:coding-add", args=[world.project.pk, world.source.pk])
    text = world.source.text
    rng = random.Random(5)
    millis = []
    for n in range(repeats + 1):
        start = rng.randrange(0, len(text) - 200)
        end = start + rng.randint(20, 200)
        fields = {
            "start": start,
            "end": end,
            "quote": text[start:end],
            "code": world.codes[n % len(world.codes)].pk,
        }
        took = _timed(lambda f=fields: client.post(url, f, HTTP_ACCEPT="application/json"))
        if n:  # the first warms the caches
            millis.append(took)
    return Figures("apply a coding", millis, 100)


MEASUREMENTS: list[Callable[[BenchWorld, int], Figures]] = [reader_page, apply_coding]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--words", type=int, default=15000)
    parser.add_argument("--codings", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        world = make_world(args.words, args.codings)
        print(
            f"one transcript of {len(world.source.text.split())} words, "
            f"{len(world.source.turns)} turns, {args.codings} codings by two coders, "
            f"{len(world.codes)} codes; SQLite; server time in-process"
        )
        for measure in MEASUREMENTS:
            print(measure(world, args.repeats).line())


if __name__ == "__main__":
    main()
