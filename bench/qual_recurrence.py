"""Benchmark: the recurrence table page and the theme board for 30 participants and 40 group
themes (SQLite in a temporary folder; goal for the table: under 500 ms server time).

Setup (not timed): a site with 30 participants, one interview each (~3,000 words), 40 group
experiential themes, and for each participant and group theme a personal theme holding one
coding and one anchored experiential statement: 1,200 personal themes, 1,200 codings, 1,200
notes. Then times ``--repeats`` GETs of the recurrence page, the theme board and the XLSX
export through Django's test client (the whole request: permission, queries, analysis,
template) and prints the median and the slowest, wall and CPU time (CPU time is steadier on a
loaded machine); nothing is asserted.

Usage: ``.venv/bin/python bench/qual_recurrence.py [--repeats 10]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time

PARTICIPANTS = 30
THEMES = 40
WORDS = 3000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ.pop("DATABASE_URL", None)
        os.environ["BALM_DATA_DIR"] = folder
        os.environ["BALM_DEMO"] = "1"  # a throwaway secret key, as for the demo
        os.environ["DJANGO_SETTINGS_MODULE"] = "balm.web.settings"
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        settings.ALLOWED_HOSTS = ["testserver"]
        call_command("migrate", verbosity=0)
        from django.test import Client
        from django.urls import reverse

        from balm.accounts.models import Membership, Participant, Site, User
        from balm.qualitative.models import (
            Case,
            Code,
            Coder,
            Coding,
            Note,
            QualProject,
            Source,
            Theme,
            ThemeMember,
        )

        rng = random.Random(1)
        words = [f"word{i}" for i in range(2000)]
        site = Site.objects.create(name="Bench", slug="bench", crisis_contacts="999")
        user = User.objects.create_user("bench", password="x")
        Membership.objects.create(user=user, site=site, role="researcher")
        project = QualProject.objects.create(site=site, name="Bench")
        coder = Coder.objects.create(project=project, name="Bench coder", user=user)
        code = Code.objects.create(project=project, name="Code")
        groups = [
            Theme.objects.create(project=project, name=f"Group theme {t}", level="group")
            for t in range(THEMES)
        ]
        for p in range(PARTICIPANTS):
            person = Participant.objects.create(site=site, pseudonym=f"P{p:02d}")
            case = Case.objects.create(project=project, name=person.pseudonym, participant=person)
            text = " ".join(rng.choice(words) for _ in range(WORDS))
            source = Source.objects.create(
                project=project, site=site, name=f"Interview {p}", kind="interview",
                case=case, participant=person, text=text,
            )  # fmt: skip
            codings, notes, members = [], [], []
            for t in range(THEMES):
                start = rng.randrange(0, len(text) - 400)
                end = start + rng.randrange(40, 400)
                codings.append(Coding(source=source, start=start, end=end, code=code, coder=coder))
                notes.append(
                    Note(project=project, author=coder, kind="conceptual", text=f"Statement {t}",
                         target_kind="source", target_uid=source.uid, source=source,
                         start=start, end=start + 30)
                )  # fmt: skip
            Coding.objects.bulk_create(codings)
            Note.objects.bulk_create(notes)
            for t, group in enumerate(groups):
                pet = Theme.objects.create(
                    project=project, name=f"PET {p}-{t}", level="personal", case=case, parent=group
                )
                members += [
                    ThemeMember(theme=pet, kind="coding", member_uid=codings[t].uid),
                    ThemeMember(theme=pet, kind="note", member_uid=notes[t].uid),
                ]
            ThemeMember.objects.bulk_create(members)

        client = Client()
        client.force_login(user)
        pages = {
            "recurrence table page": reverse("qual:recurrence", args=[project.pk]),
            "theme board page (with the table)": reverse("qual:themes", args=[project.pk]),
            "recurrence XLSX export": reverse("qual:recurrence-export", args=[project.pk, "xlsx"]),
        }
        print(
            f"{PARTICIPANTS} participants, {THEMES} group themes, "
            f"{PARTICIPANTS * THEMES} personal themes, codings and notes; "
            f"{args.repeats} requests each"
        )
        for label, url in pages.items():
            assert client.get(url).status_code == 200  # warm up (templates, imports)
            times, cpu = [], []
            for _ in range(args.repeats):
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
                assert response.status_code == 200
            print(
                f"  {label:<36} median {statistics.median(times) * 1000:7.1f} ms, "
                f"slowest {max(times) * 1000:7.1f} ms | CPU median "
                f"{statistics.median(cpu) * 1000:7.1f} ms, slowest {max(cpu) * 1000:7.1f} ms"
            )


if __name__ == "__main__":
    main()
