"""The theme board, the recurrence table and its exports, on the demo project and on small
hand-made projects.

Expected recurrence of the demo's group themes (interviewees per theme: 4, 6, 6, 3, 5 of 6)
comes from src/balm/qual/demo/README.md, written when the set was made."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook
from tests.web.qual_analysis_support import P1_STATEMENT, P2_STATEMENT, make_study

from balm.audit.models import AuditEvent
from balm.qualitative import actions
from balm.qualitative.models import QualProject, Theme, ThemeMember
from balm.web.demo import load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        return load_demo()


def _robin(demo) -> Client:  # type: ignore[no-untyped-def]
    from balm.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="researcher"))
    return client


def test_demo_board_and_recurrence_show_the_readme_counts(demo) -> None:  # type: ignore[no-untyped-def]
    project = QualProject.objects.get(site=demo.site)
    client = _robin(demo)
    page = client.get(reverse("qual:themes", args=[project.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for group in Theme.objects.filter(project=project, level="group"):
        assert group.name in html
    table = client.get(reverse("qual:recurrence", args=[project.pk]))
    assert table.status_code == 200
    rows = table.context["recurrence"]["rows"]
    by_name = {r["name"]: r["present"] for r in rows}
    expected = [4, 6, 6, 3, 5]
    groups = Theme.objects.filter(project=project, level="group").order_by("position")
    assert [by_name[g.name] for g in groups] == expected


# --- a hand-made study: two participants' statements built into one group theme -----------


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _build_group_theme(world, study) -> Theme:  # type: ignore[no-untyped-def]
    """What a person does on the board: statements into personal themes (one by the form,
    one by the script's JSON post), then both personal themes into a new group theme."""
    client = _client(world.researcher_a)
    pid = study.project.pk
    move = reverse("qual:theme-move", args=[pid])
    made = client.post(
        reverse("qual:theme-create", args=[pid]),
        {"name": "Connection with others", "level": "group", "method": "ipa"},
    )
    assert made.status_code == 302
    group = Theme.objects.get(project=study.project, level="group")
    form = client.post(move, {"item": f"note:{study.n1.uid}", "to": str(study.pet1.uid)})
    assert form.status_code == 302
    script = client.post(
        move,
        {"item": f"note:{study.n2.uid}", "from": "", "to": str(study.pet2.uid)},
        HTTP_ACCEPT="application/json",
    )
    assert script.status_code == 200 and script.json()["ok"]
    for pet in (study.pet1, study.pet2):
        assert (
            client.post(move, {"item": f"theme:{pet.uid}", "to": str(group.uid)}).status_code == 302
        )
    return group


def test_group_theme_from_two_participants_statements_shows_in_the_recurrence(world) -> None:  # type: ignore[no-untyped-def]
    study = make_study(world)
    group = _build_group_theme(world, study)
    assert {(m.theme_id, str(m.member_uid)) for m in ThemeMember.objects.all()} == {
        (study.pet1.pk, str(study.n1.uid)),
        (study.pet2.pk, str(study.n2.uid)),
    }
    study.pet1.refresh_from_db()
    assert study.pet1.parent == group
    page = _client(world.researcher_a).get(reverse("qual:recurrence", args=[study.project.pk]))
    rec = page.context["recurrence"]
    assert rec["cases"] == ["P1", "P2"]
    (row,) = rec["rows"]
    assert row["name"] == "Connection with others"
    assert row["present"] == 2
    assert [(c["passages"], c["exemplar"]) for c in row["cells"]] == [
        (1, P1_STATEMENT),
        (1, P2_STATEMENT),
    ]
    actions_seen = list(
        AuditEvent.objects.filter(action__startswith="qual.theme.").values_list("action", flat=True)
    )
    assert actions_seen.count("qual.theme.add_member") == 2
    assert actions_seen.count("qual.theme.move") == 2
    board = _client(world.researcher_a).get(reverse("qual:themes", args=[study.project.pk]))
    assert "Connection with others" in board.content.decode()


def test_a_statement_goes_only_into_its_own_participants_theme(world) -> None:  # type: ignore[no-untyped-def]
    study = make_study(world)
    client = _client(world.researcher_a)
    move = reverse("qual:theme-move", args=[study.project.pk])
    answer = client.post(
        move,
        {"item": f"note:{study.n1.uid}", "to": str(study.pet2.uid)},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 422
    assert "another participant" in answer.json()["problems"][0]
    page = client.post(
        move, {"item": f"note:{study.n1.uid}", "to": str(study.pet2.uid)}, follow=True
    )
    assert "another participant" in page.content.decode()
    assert not ThemeMember.objects.exists()
    assert not AuditEvent.objects.filter(
        action__in=["qual.theme.add_member", "qual.theme.place"]
    ).exists()


def test_taking_a_statement_off_its_theme_and_moving_between_themes(world) -> None:  # type: ignore[no-untyped-def]
    study = make_study(world)
    other = actions.create_theme(
        project=study.project,
        name="Second",
        level="personal",
        case=study.s1.case,
        by=world.researcher_a,
    )
    client = _client(world.researcher_a)
    move = reverse("qual:theme-move", args=[study.project.pk])
    client.post(move, {"item": f"note:{study.n1.uid}", "to": str(study.pet1.uid)})
    client.post(
        move, {"item": f"note:{study.n1.uid}", "from": str(study.pet1.uid), "to": str(other.uid)}
    )
    assert [m.theme_id for m in ThemeMember.objects.all()] == [other.pk]
    client.post(move, {"item": f"note:{study.n1.uid}", "from": str(other.uid), "to": ""})
    assert not ThemeMember.objects.exists()
    assert AuditEvent.objects.filter(action="qual.theme.remove_member").count() == 1


def test_exports_read_back_with_their_own_readers(world) -> None:  # type: ignore[no-untyped-def]
    study = make_study(world)
    _build_group_theme(world, study)
    client = _client(world.researcher_a)

    def get(fmt: str) -> bytes:
        response = client.get(reverse("qual:recurrence-export", args=[study.project.pk, fmt]))
        assert response.status_code == 200, fmt
        return response.content

    table = list(csv.reader(io.StringIO(get("csv").decode("utf-8-sig"))))
    assert table[0] == [
        "theme", "level", "P1: passages", "P1: exemplar", "P2: passages", "P2: exemplar",
        "cases present", "share of cases",
    ]  # fmt: skip
    # The P2 exemplar starts with "=": written with a leading apostrophe, never a formula.
    assert table[1] == [
        "Connection with others", "group", "1", P1_STATEMENT, "1", "'" + P2_STATEMENT, "2", "1.0",
    ]  # fmt: skip
    quotes = list(csv.reader(io.StringIO(get("quotes.csv").decode("utf-8-sig"))))
    assert [r[1] for r in quotes[1:]] == ["P1", "P2"]
    assert [r[-1] for r in quotes[1:]] == [P1_STATEMENT, "'" + P2_STATEMENT]
    assert [r[5] for r in quotes[1:]] == ["yes", "yes"]

    book = load_workbook(io.BytesIO(get("xlsx")))
    assert book.sheetnames == ["recurrence", "quotes"]
    cell = book["recurrence"]["F2"]
    assert cell.value == "'" + P2_STATEMENT and cell.data_type == "s"
    assert [c.value for c in book["quotes"]["G"]][1:] == [P1_STATEMENT, "'" + P2_STATEMENT]

    document = Document(io.BytesIO(get("docx")))
    grid = document.tables[0]
    assert [c.text for c in grid.rows[0].cells] == ["Theme", "P1", "P2", "Cases present"]
    assert grid.rows[1].cells[1].text == f"1 passage\n\u201c{P1_STATEMENT}\u201d"
    assert grid.rows[1].cells[3].text == "2 of 2"
    text = "\n".join(p.text for p in document.paragraphs)
    assert P2_STATEMENT in text and "(exemplar)" in text
    assert zipfile.is_zipfile(io.BytesIO(get("docx")))
    assert AuditEvent.objects.filter(action="qual.recurrence.export").count() == 5
