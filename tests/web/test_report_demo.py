"""``balm report`` writes all four formats (one build, four ``-o``; the PostgreSQL pass the JSON
only) from the demo's exports (scores and check-ins, as the web app gives them) and the demo's
qualitative project (exported as a .qdpx)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from balm.cli import app
from balm.qual import write_qdpx
from balm.qualitative.actions import export_project
from balm.qualitative.models import QualProject
from balm.web.demo import load_demo

pytestmark = pytest.mark.django_db


def test_report_from_the_demo(tmp_path: Path, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        demo = load_demo()
    researcher = get_user_model().objects.get(username="researcher")
    client = Client()
    client.force_login(researcher)
    scores = tmp_path / "scores.csv"
    scores.write_bytes(client.get(reverse("export-cohort", args=[demo.cohort.pk])).getvalue())
    checkins = tmp_path / "checkins.csv"
    url = reverse("export-checkins") + f"?cohort={demo.cohort.pk}"
    checkins.write_bytes(client.get(url).getvalue())
    qual = tmp_path / "demo.qdpx"
    write_qdpx(export_project(project=QualProject.objects.get(site=demo.site), by=researcher), qual)
    # The demo is loaded about seven weeks in, so its latest common timepoint is "mid".
    common = ["--checkins", str(checkins), "--qual", str(qual), "--post", "mid"]
    # Rendering is the same whichever database gave the files: the PostgreSQL pass checks its
    # exports make the report (JSON) and leaves the three renderings to the SQLite pass.
    suffixes = (".html", ".pdf", ".xlsx", ".json") if connection.vendor == "sqlite" else (".json",)
    outputs = [tmp_path / f"report{suffix}" for suffix in suffixes]
    written = [arg for out in outputs for arg in ("-o", str(out))]
    result = CliRunner().invoke(app, ["report", str(scores), *common, *written])
    assert result.exit_code == 0, result.output
    for out in outputs:
        assert out.stat().st_size > 1000
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["qualitative_project"] is True
    # README of src/balm/qual/demo: five group themes; six interviewees, all demo participants.
    assert len(data["themes"]) == 5
    cases = data["joint_display"]["cases"]
    assert sorted(c["case"] for c in cases) == ["Aspen", "Birch", "Cedar", "Elm", "Larch", "Maple"]
    assert all(c["enrolment"] is not None for c in cases)
    if connection.vendor == "sqlite":
        assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
