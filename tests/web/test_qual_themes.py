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
