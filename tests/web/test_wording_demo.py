"""The demo site: every construct of the default programme collected online (placeholder
wording for PDI, CPAQ-8, FSCRS and PSEQ, marked as a placeholder) and in the tidy export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from balm.instruments.wording import PLACEHOLDER_MARK
from balm.outcomes.export import scores_frame
from balm.outcomes.models import Response
from balm.programmes.models import Enrolment
from balm.web.demo import load_demo
from balm.wording.lookup import answerable_online
from balm.wording.models import InstrumentWording

pytestmark = pytest.mark.django_db

WORDLESS = ("cpaq8", "fscrs", "pdi", "pseq")  # the programme's instruments shipped without text


@pytest.fixture
def demo(django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return load_demo()


def _answer_all_pages(client: Client, url: str, value: str) -> None:
    page = 1
    while True:
        shown = client.get(f"{url}?page={page}")
        assert shown.status_code == 200
        assert PLACEHOLDER_MARK in shown.content.decode()
        items = [f["item"].id for f in shown.context["fields"]]
        after = client.post(url, {"page": page, **dict.fromkeys(items, value), "go": "next"})
        assert after.status_code == 302, after.content.decode()[:1500]
        if "questionnaire-done" in after["Location"] or "/me/done/" in after["Location"]:
            return
        page += 1


def test_demo_site_has_marked_placeholder_wording_online(demo: Any) -> None:
    rows = InstrumentWording.objects.filter(site=demo.site)
    assert sorted(rows.values_list("instrument_id", flat=True)) == list(WORDLESS)
    assert all(row.placeholder for row in rows)
    for instrument_id in WORDLESS:
        assert answerable_online(demo.site, instrument_id)
    online = Response.objects.filter(
        assessment__enrolment__cohort=demo.cohort,
        entry_mode="participant_online",
        instrument_id__in=["cpaq8", "fscrs"],
    )
    assert online.exists() and all(r.wording is not None for r in online)


def test_demo_participant_answers_cpaq8_fscrs_and_pdi_online_and_they_reach_the_export(
    demo: Any,
) -> None:
    maple = Enrolment.objects.get(cohort=demo.cohort, participant__pseudonym="Maple")
    # Maple has not answered the mid-point yet; bring the end-point PDI forward to today so
    # the PDI (scheduled at baseline, end and follow-up) is open too.
    today = timezone.localdate()
    pdi_end = maple.assessments.get(instrument_id="pdi", timepoint="end")
    pdi_end.opens_on, pdi_end.due_on, pdi_end.closes_on = today, today, today + timedelta(days=7)
    pdi_end.save()
    client = Client()
    path = dict(demo.links)["Maple"]
    assert client.get(path).status_code == 302
    listing = client.get(reverse("my-questionnaires")).content.decode()
    for name in ("Chronic Pain Acceptance", "Self-Criticising", "Pain Disability Index"):
        assert name in listing
    for instrument_id, timepoint in (("cpaq8", "mid"), ("fscrs", "mid"), ("pdi", "end")):
        assessment = maple.assessments.get(instrument_id=instrument_id, timepoint=timepoint)
        _answer_all_pages(client, reverse("questionnaire", args=[assessment.pk]), "1")
        response = Response.objects.get(assessment=assessment)
        assert response.entry_mode == "participant_online" and response.wording is not None
    frame = scores_frame(Enrolment.objects.filter(pk=maple.pk))
    end = frame[frame["timepoint"] == "end"].iloc[0]
    # PDI: seven domains answered 1 each, total = 7 x 1 = 7 (sum, Pollard 1984).
    assert end["pdi_total"] == 7.0
    mid = frame[frame["timepoint"] == "mid"].iloc[0]
    # CPAQ-8: all eight answered 1 on 0-6; engagement q1,q2,q3,q6 = 4 x 1 = 4; willingness
    # q4,q5,q7,q8 reversed 6 - 1 = 5 each = 20; total 24 (cpaq8.yaml, Fish et al. 2010).
    assert (mid["cpaq8_activity_engagement"], mid["cpaq8_pain_willingness"]) == (4.0, 20.0)
    assert mid["cpaq8_total"] == 24.0
    # FSCRS answered 1 each: inadequate self 9 items = 9, hated self 5 = 5, reassured 8 = 8
    # (Gilbert et al. 2004 subscales, no reversal).
    assert (mid["fscrs_inadequate_self"], mid["fscrs_hated_self"]) == (9.0, 5.0)
    assert mid["fscrs_reassured_self"] == 8.0


def test_demo_declares_the_alternating_cpaq8_order_and_its_questions_follow_it(demo: Any) -> None:
    """The demo's declared order is a demo choice: the printed form quoted in issue #9
    (engagement at printed 1, 3, 5, 6; willingness at 2, 4, 7, 8; cpaq8.yaml ``alternating``).
    So printed question 2 is CPAQ-20 item 13 (catalogue q4, willingness) and printed 5 is
    CPAQ-20 item 9 (catalogue q3, engagement)."""
    from balm.wording.models import PrintedOrder

    assert PrintedOrder.objects.get(site=demo.site, instrument_id="cpaq8").variant == "alternating"
    texts = InstrumentWording.objects.get(site=demo.site, instrument_id="cpaq8").as_wording().items
    assert "CPAQ-20 item 13" in texts["q2"] and "CPAQ-20 item 9" in texts["q5"]
    cpaq8 = Response.objects.filter(
        assessment__enrolment__cohort=demo.cohort, instrument_id="cpaq8"
    )
    assert cpaq8.exists() and set(cpaq8.values_list("variant", flat=True)) == {"alternating"}
