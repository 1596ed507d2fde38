"""?format=sav|dta|parquet on the tidy exports, read back with pyreadstat and pandas."""

from __future__ import annotations

import io

import pandas as pd
import pyreadstat
import pytest
from django.test import Client
from tests.web import factories

from balm.outcomes.actions import submit_response

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scored(world):  # type: ignore[no-untyped-def]
    # PHQ-9 all 2 = 18, "moderately_severe" 15-19 (Kroenke et al. 2001).
    submit_response(
        assessment=world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline"),
        answers={f"q{i}": 2 for i in range(1, 10)},
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=world.facilitator_a,
    )
    return world


def test_spss_stata_and_parquet_downloads(scored, tmp_path) -> None:
    client = client_for(scored.researcher_a)
    url = f"/export/cohorts/{scored.cohort_a.pk}/scores.csv"
    sav = client.get(url, {"format": "sav", "bands": "1"})
    assert sav.status_code == 200 and "scores.sav" in sav["Content-Disposition"]
    path = tmp_path / "x.sav"
    path.write_bytes(sav.getvalue())
    frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=True)
    assert frame["phq9_total"].tolist() == [18]
    assert frame["phq9_total_band"].tolist() == ["moderately_severe"]
    assert meta.column_names_to_labels["phq9_total"] == "PHQ-9: Depression severity"
    dta = client.get(f"/export/sites/{scored.site_a.pk}/scores.csv", {"format": "dta"})
    path = tmp_path / "x.dta"
    path.write_bytes(dta.getvalue())
    frame, _ = pyreadstat.read_dta(str(path), apply_value_formats=True)
    assert frame["timepoint"].tolist() == ["baseline"]
    parquet = client.get(url, {"format": "parquet"})
    frame = pd.read_parquet(io.BytesIO(parquet.getvalue()))
    assert frame["week"].dtype.kind == "i" and frame["phq9_total"].tolist() == [18]
    checkins = client.get("/export/checkins.csv", {"cohort": scored.cohort_a.pk, "format": "sav"})
    assert checkins.status_code == 200
    assert client.get(url, {"format": "xls"}).status_code == 400
    assert client.get(url).getvalue().startswith(b"enrolment,")  # CSV as before


def test_other_site_and_participants_still_refused(scored) -> None:
    url = f"/export/cohorts/{scored.cohort_a.pk}/scores.csv"
    assert client_for(scored.facilitator_b).get(url, {"format": "sav"}).status_code == 404
    assert client_for(scored.p1_user).get(url, {"format": "sav"}).status_code in (403, 404)
