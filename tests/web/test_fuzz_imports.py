"""Hypothesis fuzz of the enrolments CSV import, through the page as staff use it: whatever
the file holds, the answer is the page (with every problem) or the redirect after enrolling
everyone; never a server error, never some rows enrolled and others not."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.web import factories

from balm.programmes.models import DiagnosisCategory, Enrolment, Format

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.text(max_size=60)
cells = {
    "pseudonym": st.one_of(st.from_regex(r"[A-Z][0-9]{1,4}", fullmatch=True), text),
    "diagnosis_category": st.one_of(st.sampled_from(DiagnosisCategory.values), text),
    "format": st.one_of(st.just(""), st.sampled_from(Format.values), text),
    "email": st.one_of(st.just(""), st.emails(), text),
    "phone": st.one_of(st.just(""), text),
    "consent_recorded_on": st.one_of(st.just(""), st.dates().map(str), text),
}
rows = st.lists(st.fixed_dictionaries(cells), max_size=6)


def _upload(client: Client, cohort_id: int, body: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("enrol-csv", args=[cohort_id]),
        {"file": SimpleUploadedFile("people.csv", body, content_type="text/csv")},
    )


@FUZZ
@given(rows=rows)
def test_structured_files_enrol_everyone_or_no_one(world, rows) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.facilitator_a)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(cells))
    writer.writeheader()
    writer.writerows(rows)
    before = Enrolment.objects.filter(cohort=world.cohort_a).count()
    answer = _upload(client, world.cohort_a.pk, out.getvalue().encode())
    after = Enrolment.objects.filter(cohort=world.cohort_a).count()
    assert answer.status_code in (200, 302)
    if answer.status_code == 302:
        wanted = sum(1 for row in rows if any(str(v).strip() for v in row.values()))
        assert after - before == wanted > 0
    else:
        assert after == before  # refused: nothing written
        assert "Nothing was enrolled" in answer.content.decode() or not rows


@FUZZ
@given(body=st.binary(max_size=400))
def test_any_bytes_are_refused_or_enrolled_never_a_crash(world, body: bytes) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.facilitator_a)
    before = Enrolment.objects.count()
    answer = _upload(client, world.cohort_a.pk, body)
    assert answer.status_code in (200, 302)
    if answer.status_code == 200:
        assert Enrolment.objects.count() == before


# --- the questionnaire form -----------------------------------------------------------------

form_values = st.one_of(
    st.sampled_from(["0", "1", "2", "3", "4", "", " ", "-1", "99", "1.5", "x", "0x1", "١"]),
    st.text(max_size=20),
)


@FUZZ
@given(
    values=st.dictionaries(
        st.sampled_from([f"q{i}" for i in range(1, 11)] + ["page", "go", "q9 "]),
        form_values,
        max_size=12,
    )
)
def test_questionnaire_form_posts_never_crash_or_store_a_bad_response(world, values) -> None:  # type: ignore[no-untyped-def]
    """PHQ-9 through the participant's page: any POST is a page (with its problems) or a
    redirect; a stored response has every item answered within the printed range 0-3 (the
    PHQ-9's options, Kroenke, Spitzer & Williams 2001)."""
    from balm.outcomes.models import Response

    assessment = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    client = factories.client_for(world.p1_user)
    answer = client.post(reverse("questionnaire", args=[assessment.pk]), values)
    assert answer.status_code in (200, 302, 404), answer.status_code
    stored = Response.objects.filter(assessment=assessment).first()
    if stored is not None:
        items = {f"q{i}" for i in range(1, 10)}
        assert set(stored.answers) >= items
        assert all(stored.answers[i] in (0, 1, 2, 3) for i in items)
