"""Benchmark: the scores export's lines, this checkout against another, in one process.

On a shared machine the speed moves from one run to the next by more than a change to the
export does, so two runs of ``bench/scale.py`` say little. This builds one site (as
``bench/scale.py`` does: ``--groups`` groups of 12 on a throwaway PostgreSQL), loads
``balm.outcomes.export`` and ``balm.csv_text`` of both checkouts side by side (the other's
under other names), and writes the site's scores export (``scores_table`` then
``line_chunks``, as the download sends it) with each in turn, alternating which goes first.
It prints each one's median wall and CPU time and rows per second, and checks that both
wrote the same bytes.

With ``--cells``, only the two versions' ``balm.csv_text.NumberCells`` over synthetic rows shaped
like the export's (no database).

With ``--checkins``, the check-ins export instead. With ``--database-url``, the site ``--site``
(``scale``) of a database already filled by the builder, instead of a new one. Each version's
export is written as the download sends it: the database's lines when its table has them
(``data``), else balm's lines, else its rows.

Usage: ``.venv/bin/python bench/export_ab.py --other <other checkout>/src [--groups 500]
[--rounds 7] [--items] [--checkins] [--database-url URL [--site SLUG]] [--cells]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from tests.support import pgcluster, scale_site  # noqa: E402

from scale import setup_django  # noqa: E402


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def other_export(src: Path) -> ModuleType:
    """The other checkout's export module, using that checkout's ``csv_text``."""
    csv_text = _load("other_csv_text", src / "balm" / "csv_text.py")
    real = sys.modules["balm.csv_text"]
    sys.modules["balm.csv_text"] = csv_text  # what the other export imports, while it loads
    try:
        return _load("other_export", src / "balm" / "outcomes" / "export.py")
    finally:
        sys.modules["balm.csv_text"] = real


def write(module: Any, enrolments: Any, items: bool, checkins: bool) -> tuple[float, float, bytes]:
    """One export written as the download sends it: the database's lines when the table has
    them (``data``), else balm's own lines, else its rows through the CSV writer."""
    from balm.web.downloads import csv_chunks, data_chunks, line_chunks

    began, cpu = time.perf_counter(), time.process_time()
    if checkins:
        table = module.checkins_table(enrolments)
    else:
        table = module.scores_table(enrolments, items=items)
    if getattr(table, "data", None) is not None:
        body = b"".join(data_chunks(table.columns, table.data))
    elif table.lines is not None:
        body = b"".join(line_chunks(table.columns, table.lines))
    else:
        body = b"".join(csv_chunks(table.columns, table.rows, table.text_cells))
    return time.perf_counter() - began, time.process_time() - cpu, body


def time_cells(this: ModuleType, other: ModuleType, rounds: int) -> None:
    """Both versions' ``NumberCells`` alone, on rows shaped like the scores export's (15 of
    20 columns in one of 50 orders, floats from the 91 values of totals and thirds), so no
    database is needed: ``--cells``."""
    import random

    import orjson

    rng = random.Random(1)
    columns = sorted(f"scale{i}_score{j}" for i in range(6) for j in range(4))[:20]
    values = [float(v) for v in range(28)] + [round(v / 3, 14) for v in range(60)]
    values += [2 / 3, 1 / 3, 4 / 3]
    patterns = [sorted(rng.sample(columns, 15)) for _ in range(50)]
    rows = [
        orjson.loads(orjson.dumps({k: rng.choice(values) for k in rng.choice(patterns)}))
        for _ in range(23_867)
    ]
    timed: dict[str, list[float]] = {"this checkout": [], "the other": []}
    versions = {"this checkout": this, "the other": other}
    for round_ in range(rounds):
        for name in list(versions) if round_ % 2 else list(reversed(versions)):
            cells = versions[name].NumberCells(columns)
            began = time.process_time()
            for row in rows:
                cells(row)
            timed[name].append(time.process_time() - began)
    print(f"NumberCells over {len(rows)} rows of 15 floats:")
    for name, times in timed.items():
        print(f"  {name:<14} CPU {statistics.median(times) * 1000:6.1f} ms (median)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--other", type=Path, required=True, help="the other checkout's src")
    parser.add_argument("--groups", type=int, default=500, help="groups in the site (500)")
    parser.add_argument("--rounds", type=int, default=7, help="writes of each (7)")
    parser.add_argument("--items", action="store_true", help="with the item answers")
    parser.add_argument("--checkins", action="store_true", help="the check-ins export instead")
    parser.add_argument(
        "--database-url",
        help="measure the site --site of this PostgreSQL database instead of building one "
        "(a database bench/scale.py's builder filled)",
    )
    parser.add_argument("--site", default="scale", help="with --database-url: its slug (scale)")
    parser.add_argument(
        "--cells", action="store_true", help="time the number cells alone (no database)"
    )
    args = parser.parse_args()
    if args.cells:
        this = _load("this_csv_text", REPO_ROOT / "src" / "balm" / "csv_text.py")
        other = _load("other_csv_text", args.other / "balm" / "csv_text.py")
        time_cells(this, other, args.rounds)
        return 0
    data_dir = Path(tempfile.mkdtemp(prefix="balm-bench-export-ab-"))
    try:
        if args.database_url:
            compare(args, args.database_url, data_dir)
        else:
            with pgcluster.cluster(pgcluster.find_bin_dir()) as url:
                compare(args, url, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def compare(args: argparse.Namespace, url: str, data_dir: Path) -> None:
    """Both versions' export of one site, alternately; builds the site unless it is given."""
    setup_django(
        {
            "DATABASE_URL": url,
            "BALM_SECRET_KEY": uuid.uuid4().hex,
            "BALM_DATA_DIR": str(data_dir),
            "BALM_ALLOWED_HOSTS": "testserver",
            "BALM_TASKS_BACKEND": "dummy",
            "BALM_LOG_LEVEL": "WARNING",
        }
    )
    from django.core.management import call_command
    from django.db import connection

    from balm.accounts.models import Site
    from balm.outcomes import export as this_export
    from balm.programmes.models import Enrolment

    if args.database_url:
        site = Site.objects.get(slug=args.site)
    else:
        call_command("migrate", verbosity=0)
        state = scale_site.new_site()
        scale_site.grow(state, args.groups, actions=3)
        site = state.site
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    versions = {"this checkout": this_export, "the other": other_export(args.other)}
    enrolments = Enrolment.objects.filter(cohort__site=site)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in versions}
    bodies: dict[str, bytes] = {}
    for round_ in range(args.rounds):
        order = list(versions) if round_ % 2 else list(reversed(versions))
        for name in order:
            wall, cpu, bodies[name] = write(versions[name], enrolments, args.items, args.checkins)
            runs[name].append((wall, cpu))
    rows = bodies["this checkout"].count(b"\n") - 1
    groups = site.cohorts.count()
    what = "check-ins" if args.checkins else "scores" + (" with items" if args.items else "")
    print(f"{groups} groups, {what} export, {args.rounds} rounds each:")
    for name, timed in runs.items():
        wall = statistics.median(t[0] for t in timed)
        cpu = statistics.median(t[1] for t in timed)
        print(
            f"  {name:<14} {rows} rows  wall {wall * 1000:6.0f} ms "
            f"({rows / wall:6.0f} rows/s)  CPU {cpu * 1000:5.0f} ms"
        )
    same = bodies["this checkout"] == bodies["the other"]
    print(f"  the same bytes: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
