"""Export additions: attendance count and home-practice minutes per course, item-level answers
on request, check-in notes for clinical staff only (researchers only where the site allows),
and a data dictionary that describes every column an export can hold."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse
from tests.web.record_data import NOTE, fill_record

from balm.audit.models import AuditEvent
from balm.instruments.catalogue import catalogue

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _frame(page: Any) -> pd.DataFrame:
    assert page.status_code == 200, page.status_code
    return pd.read_csv(io.BytesIO(page.getvalue()), keep_default_na=True)


def test_scores_carry_attendance_and_practice_minutes(world: Any) -> None:
    fill_record(world)  # P1: present once, apologies once; check-ins of 20 and 20 minutes
    frame = _frame(
        client_for(world.researcher_a).get(reverse("export-cohort", args=[world.cohort_a.pk]))
    )
    p1 = frame.loc[frame["participant"] == "P1"]
    assert set(p1["sessions_attended"]) == {1}
    assert set(p1["practice_minutes"]) == {40}
    assert "phq9_q1" not in frame.columns  # items only when asked


def test_item_answers_on_request(world: Any) -> None:
    fill_record(world)
    url = reverse("export-cohort", args=[world.cohort_a.pk]) + "?items=1"
    frame = _frame(client_for(world.researcher_a).get(url))
    baseline = frame.loc[(frame["participant"] == "P1") & (frame["timepoint"] == "baseline")]
    # PHQ-9 at baseline was answered 2,2,2,2,2,2,2,1,1 (tests/web/record_data.py)
    assert [int(baseline[f"phq9_q{i}"].iloc[0]) for i in range(1, 10)] == [2] * 7 + [1, 1]
    assert int(baseline["phq9_total"].iloc[0]) == 16
    event = AuditEvent.objects.filter(action="export.scores").latest("pk")
    assert event.details["items"] is True


def test_checkin_notes_for_clinical_staff_only(world: Any) -> None:
    fill_record(world)
    url = reverse("export-checkins") + f"?cohort={world.cohort_a.pk}"
    clinical = _frame(client_for(world.facilitator_a).get(url + "&notes=1"))
    assert NOTE in list(clinical["note"].fillna(""))
    assert "note" not in _frame(client_for(world.facilitator_a).get(url)).columns
    researcher = client_for(world.researcher_a)
    assert "note" not in _frame(researcher.get(url)).columns
    assert researcher.get(url + "&notes=1").status_code == 403
    world.site_a.researchers_see_checkin_notes = True
    world.site_a.save()
    assert NOTE in list(_frame(researcher.get(url + "&notes=1"))["note"].fillna(""))
    # a colleague at another site sees nothing at all
    assert client_for(world.facilitator_b).get(url + "&notes=1").status_code == 404


def test_the_dictionary_describes_every_exported_column(world: Any) -> None:
    fill_record(world)
    dictionary = _frame(client_for(world.researcher_a).get(reverse("export-dictionary")))
    described = set(dictionary["column"])
    scores = _frame(
        client_for(world.facilitator_a).get(
            reverse("export-cohort", args=[world.cohort_a.pk]) + "?items=1&bands=1"
        )
    )
    checkins = _frame(
        client_for(world.facilitator_a).get(
            reverse("export-checkins") + f"?cohort={world.cohort_a.pk}&notes=1"
        )
    )
    missing = (set(scores.columns) | set(checkins.columns)) - described
    assert not missing, missing
    assert dictionary["meaning"].notna().all()
    # participants and anonymous visitors get no dictionary
    assert client_for(world.p1_user).get(reverse("export-dictionary")).status_code == 404


def test_item_columns_never_collide_with_scale_columns() -> None:
    for instrument in catalogue().values():
        items = {item.id for item in instrument.items}
        scales = {s.id for s in instrument.scales} | {f"{s.id}_band" for s in instrument.scales}
        assert not items & scales, instrument.id
