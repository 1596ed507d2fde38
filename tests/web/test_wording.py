"""A site's licensed wording: loading (all or nothing), versions, who sees it, online answering.

Expected problems are worked by hand from PDI's catalogue entry (see ``wording_support``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from tests.web import factories
from tests.web.wording_support import pdi_data

from balm.accounts.actions import issue_participant_link
from balm.accounts.errors import InvalidInput, NotAllowed
from balm.audit.models import AuditEvent
from balm.outcomes import actions as outcome_actions
from balm.outcomes.models import Assessment, Response
from balm.wording import actions
from balm.wording.lookup import answerable_online, site_instrument
from balm.wording.models import InstrumentWording, OnlineInstrument

pytestmark = pytest.mark.django_db


def _staff(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _participant(participant: Any) -> Client:
    client = Client()
    _, token = issue_participant_link(participant=participant, by=None)
    assert client.get(f"/p/{token}/").status_code == 302
    return client


def _pdi(enrolment: Any) -> Assessment:
    return enrolment.assessments.get(instrument_id="pdi", timepoint="baseline")


def _load_and_enable(world: Any, tag: str = "v1") -> InstrumentWording:
    row = actions.load_wording(
        site=world.site_a, instrument_id="pdi", data=pdi_data(tag), by=world.admin_a
    )
    actions.enable_online(site=world.site_a, instrument_id="pdi", by=world.admin_a)
    return row


# --- loading -----------------------------------------------------------------------------


def test_loading_writes_one_version_and_an_audit_record(world: Any) -> None:
    row = actions.load_wording(
        site=world.site_a, instrument_id="pdi", data=pdi_data(), by=world.admin_a
    )
    assert (row.version, row.placeholder, row.loaded_by) == (1, False, world.admin_a)
    assert row.licence_granted_by == "Synthetic licensor Ltd"
    assert str(row.licence_granted_on) == "2026-02-01"
    event = AuditEvent.objects.get(action="wording.load")
    assert event.actor == world.admin_a and event.site == world.site_a
    assert event.details["version"] == 1 and event.details["instrument"] == "pdi"
    second = actions.load_wording(
        site=world.site_a, instrument_id="pdi", data=pdi_data("v2"), by=world.admin_a
    )
    assert second.version == 2
    assert site_instrument(world.site_a, "pdi").item("q1").text == "Synthetic life area 1 (v2)"


def test_every_problem_is_listed_and_nothing_is_written(world: Any) -> None:
    data = pdi_data()
    del data["items"]["q3"]  # missing item
    data["items"]["q9"] = "extra"  # extra item
    data["response_sets"]["disability"].reverse()  # labels out of the printed order
    del data["licence"]["granted_on"]
    with pytest.raises(InvalidInput) as caught:
        actions.load_wording(site=world.site_a, instrument_id="pdi", data=data, by=world.admin_a)
    fields = [p.field for p in caught.value.problems]
    assert fields == [
        "licence.granted_on",
        "items.q3",
        "items.q9",
        "response_sets.disability",
    ]
    assert "out of order" in caught.value.problems[3].message
    assert not InstrumentWording.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="wording").exists()


def test_wrong_option_count_is_refused(world: Any) -> None:
    data = pdi_data()
    data["response_sets"]["disability"] = data["response_sets"]["disability"][:5]
    with pytest.raises(InvalidInput) as caught:
        actions.load_wording(site=world.site_a, instrument_id="pdi", data=data, by=world.admin_a)
    [problem] = caught.value.problems
    assert problem.message.startswith("5 options given; the catalogue prints 11")
    assert not InstrumentWording.objects.exists()


def test_licence_given_twice_and_shipped_wording_are_refused(world: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        actions.load_wording(
            site=world.site_a,
            instrument_id="pdi",
            data=pdi_data(),
            licence={"granted_by": "x", "granted_on": "2026-01-01", "use": "y"},
            by=world.admin_a,
        )
    assert caught.value.problems[0].field == "licence"
    with pytest.raises(InvalidInput) as caught:
        actions.load_wording(site=world.site_a, instrument_id="phq9", data={}, by=world.admin_a)
    assert "balm ships the wording of PHQ-9" in caught.value.problems[0].message
    assert not InstrumentWording.objects.exists()


@pytest.mark.parametrize("persona", ["facilitator_a", "researcher_a", "facilitator_b", "p1_user"])
def test_only_the_sites_administrator_loads_or_enables(world: Any, persona: str) -> None:
    by = getattr(world, persona)
    with pytest.raises(NotAllowed):
        actions.load_wording(site=world.site_a, instrument_id="pdi", data=pdi_data(), by=by)
    actions.load_wording(site=world.site_a, instrument_id="pdi", data=pdi_data(), by=world.admin_a)
    with pytest.raises(NotAllowed):
        actions.enable_online(site=world.site_a, instrument_id="pdi", by=by)
    assert InstrumentWording.objects.count() == 1 and not OnlineInstrument.objects.exists()


def test_an_administrator_of_another_site_cannot_load_for_this_one(world: Any) -> None:
    admin_b = factories.staff("administrator", world.site_b, "admin_b")
    with pytest.raises(NotAllowed):
        actions.load_wording(site=world.site_a, instrument_id="pdi", data=pdi_data(), by=admin_b)
    assert not InstrumentWording.objects.exists()


def test_online_needs_wording_first(world: Any) -> None:
    with pytest.raises(InvalidInput):
        actions.enable_online(site=world.site_a, instrument_id="pdi", by=world.admin_a)
    assert not answerable_online(world.site_a, "pdi")


# --- without wording: paper only, as before ------------------------------------------------


def test_without_wording_the_instrument_is_paper_only(world: Any) -> None:
    client = _participant(world.p1)
    listing = client.get(reverse("my-questionnaires")).content.decode()
    assert "Patient Health Questionnaire-9" in listing and "Pain Disability Index" not in listing
    pdi = _pdi(world.enrolment_p1)
    assert client.get(reverse("questionnaire", args=[pdi.pk])).status_code == 404
    with pytest.raises(InvalidInput) as caught:
        outcome_actions.submit_response(
            assessment=pdi, answers={f"q{n}": 1 for n in range(1, 8)}, client_id="x1", by=world.p1
        )
    assert "answered on paper" in str(caught.value)
    # Staff still type it in from paper, shown by concept.
    page = _staff(world.facilitator_a).get(reverse("paper-entry", args=[pdi.pk]))
    assert page.status_code == 200 and "family and home responsibilities" in page.content.decode()


# --- with wording: online at this site only -------------------------------------------------


def test_participant_answers_online_in_the_sites_wording(world: Any) -> None:
    row = _load_and_enable(world)
    client = _participant(world.p1)
    assert "Pain Disability Index" in client.get(reverse("my-questionnaires")).content.decode()
    pdi = _pdi(world.enrolment_p1)
    url = reverse("questionnaire", args=[pdi.pk])
    first = client.get(url).content.decode()
    assert "Synthetic life area 1 (v1)" in first and "v1 level 10" in first
    assert "Synthetic PDI instructions v1." in first
    for page, items in ((1, (1, 2, 3)), (2, (4, 5, 6)), (3, (7,))):
        answer = client.post(url, {"page": page, **{f"q{n}": "2" for n in items}, "go": "next"})
        assert answer.status_code == 302
    response = Response.objects.get(assessment=pdi)
    # Seven domains at 2 each: 7 x 2 = 14 (PDI total = sum of the seven, Pollard 1984).
    assert response.scores["total"] == 14.0
    assert response.wording == row and response.entry_mode == "participant_online"


def test_other_sites_never_see_the_wording(world: Any) -> None:
    _load_and_enable(world)
    p3 = factories.participant(world.site_b, "P3")
    enrolment_b = factories.enrol(p3, world.cohort_b)
    pdi_b = _pdi(enrolment_b)
    client = _participant(p3)
    assert "Pain Disability Index" not in client.get(reverse("my-questionnaires")).content.decode()
    assert client.get(reverse("questionnaire", args=[pdi_b.pk])).status_code == 404
    paper = _staff(world.facilitator_b).get(reverse("paper-entry", args=[pdi_b.pk]))
    assert "Synthetic life area" not in paper.content.decode()
    assert "family and home responsibilities" in paper.content.decode()
    assert not answerable_online(world.site_b, "pdi")
    # Site A's own paper form uses its wording.
    paper_a = _staff(world.facilitator_a).get(
        reverse("paper-entry", args=[_pdi(world.enrolment_p1).pk])
    )
    assert "Synthetic life area 1 (v1)" in paper_a.content.decode()


def test_a_new_version_never_changes_past_responses(world: Any) -> None:
    v1 = _load_and_enable(world)
    pdi = _pdi(world.enrolment_p1)
    response = outcome_actions.submit_response(
        assessment=pdi, answers={f"q{n}": 3 for n in range(1, 8)}, client_id="old", by=world.p1
    )
    v2 = actions.load_wording(
        site=world.site_a, instrument_id="pdi", data=pdi_data("v2"), by=world.admin_a
    )
    response.refresh_from_db()
    assert response.wording == v1 and v2.version == 2
    record = _staff(world.facilitator_a).get(reverse("amend-response", args=[response.pk]))
    shown = record.content.decode()
    assert "Synthetic life area 1 (v1)" in shown and "(v2)" not in shown
    # A response answered now records the new version.
    p2_pdi = _pdi(world.enrolment_p2)
    new = outcome_actions.submit_response(
        assessment=p2_pdi, answers={f"q{n}": 0 for n in range(1, 8)}, client_id="new", by=world.p2
    )
    assert new.wording == v2


def test_stopping_online_answering_returns_to_paper(world: Any) -> None:
    _load_and_enable(world)
    assert actions.disable_online(site=world.site_a, instrument_id="pdi", by=world.admin_a)
    assert not answerable_online(world.site_a, "pdi")
    assert AuditEvent.objects.filter(action="wording.online_disable").count() == 1


# --- the FHIR Questionnaire export -----------------------------------------------------------


def _fhir_url(site: Any) -> str:
    return reverse("export-site-questionnaire", args=[site.pk, "pdi"])


def test_fhir_export_carries_the_wording_only_for_its_own_site(world: Any) -> None:
    _load_and_enable(world)
    own = _staff(world.researcher_a).get(_fhir_url(world.site_a))
    assert own.status_code == 200
    assert own.json()["item"][0]["text"] == "Synthetic life area 1 (v1)"
    assert AuditEvent.objects.filter(action="export.fhir_questionnaire").count() == 1
    # Another site's staff cannot reach site A's export, and their own has no wording.
    assert _staff(world.facilitator_b).get(_fhir_url(world.site_a)).status_code == 404
    theirs = _staff(world.facilitator_b).get(_fhir_url(world.site_b))
    assert theirs.status_code == 200 and "Synthetic" not in theirs.content.decode()


@pytest.mark.parametrize("persona", ["p1_user", None])
def test_fhir_export_is_for_staff_only(world: Any, persona: str | None) -> None:
    _load_and_enable(world)
    client = _staff(getattr(world, persona)) if persona else Client()
    answer = client.get(_fhir_url(world.site_a))
    assert answer.status_code in (302, 404)
    assert "Synthetic" not in answer.content.decode()


def test_api_assessment_detail_shows_the_sites_wording(world: Any) -> None:
    _load_and_enable(world)
    own = _pdi(world.enrolment_p1)
    detail = _staff(world.p1_user).get(f"/api/assessments/{own.pk}")
    assert detail.status_code == 200
    assert detail.json()["questions"][0]["text"] == "Synthetic life area 1 (v1)"
    p3 = factories.participant(world.site_b, "P3")
    other = _pdi(factories.enrol(p3, world.cohort_b))
    theirs = _staff(world.facilitator_b).get(f"/api/assessments/{other.pk}")
    assert theirs.status_code == 200 and theirs.json()["questions"][0]["text"] is None
    assert _staff(world.facilitator_b).get(f"/api/assessments/{own.pk}").status_code == 404


def test_api_offers_a_participant_only_what_is_answered_online(world: Any) -> None:
    def due(user: Any) -> set[str]:
        answer = _staff(user).get("/api/assessments/due?limit=100")
        return {a["instrument_id"] for a in answer.json()["items"]}

    assert "pdi" not in due(world.p1_user) and "phq9" in due(world.p1_user)
    assert "pdi" in due(world.facilitator_a)  # staff see paper questionnaires too
    _load_and_enable(world)
    assert "pdi" in due(world.p1_user)
