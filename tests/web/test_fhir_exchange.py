"""FHIR R4 in and out of the platform: the /api/fhir endpoints for every persona, the Bundle
export, imports (entry mode import, every problem at once, nothing half-written, idempotent on
the resource id) and a round trip into a fresh site."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from tests.web import factories

from balm.accounts.errors import InvalidInput
from balm.audit.models import AuditEvent
from balm.outcomes.actions import submit_response
from balm.outcomes.fhir_exchange import import_fhir
from balm.outcomes.models import EntryMode, Response

pytestmark = pytest.mark.django_db

# PHQ-9 answers 0,1,2,3,0,1,2,3,0: total 12 by the printed weights (Kroenke et al. 2001),
# "moderate" (10-14).
PHQ9 = {f"q{i}": v for i, v in enumerate([0, 1, 2, 3, 0, 1, 2, 3, 0], start=1)}
# GAD-7 answers all 1: total 7 (Spitzer et al. 2006), "mild" (5-9).
GAD7 = {f"q{i}": 1 for i in range(1, 8)}


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def answer(world, enrolment, instrument="phq9", answers=None):  # type: ignore[no-untyped-def]
    assessment = enrolment.assessments.get(instrument_id=instrument, timepoint="baseline")
    return submit_response(
        assessment=assessment,
        answers=answers or (PHQ9 if instrument == "phq9" else GAD7),
        client_id=factories.client_id(),
        entry_mode=EntryMode.STAFF_PAPER,
        by=world.facilitator_a,
    )


@pytest.fixture
def answered(world):  # type: ignore[no-untyped-def]
    answer(world, world.enrolment_p1)
    answer(world, world.enrolment_p1, "gad7")
    answer(world, world.enrolment_p2)
    return world


def entries(response) -> list[dict]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    Bundle.model_validate(body)
    return [entry["resource"] for entry in body.get("entry", [])]


def test_staff_researcher_participant_and_other_site_see_what_they_may(answered) -> None:
    world = answered
    url = "/api/fhir/QuestionnaireResponse"
    assert len(entries(client_for(world.facilitator_a).get(url))) == 3
    researcher = entries(client_for(world.researcher_a).get(url))
    assert {r["subject"]["identifier"]["value"] for r in researcher} == {"P1", "P2"}
    assert "Pat One" not in json.dumps(researcher)  # pseudonyms only
    own = entries(client_for(world.p1_user).get(url))
    assert {r["subject"]["identifier"]["value"] for r in own} == {"P1"}
    assert entries(client_for(world.facilitator_b).get(url)) == []
    assert Client().get(url).status_code == 401
    one = Response.objects.filter(assessment__enrolment=world.enrolment_p2).get()
    assert client_for(world.p1_user).get(f"{url}/response-{one.pk}").status_code == 404
    assert client_for(world.facilitator_b).get(f"{url}/response-{one.pk}").status_code == 404
    assert client_for(world.facilitator_a).get(f"{url}/response-{one.pk}").status_code == 200
    observation = f"/api/fhir/Observation/response-{one.pk}-total"
    assert client_for(world.facilitator_b).get(observation).status_code == 404
    got = client_for(world.researcher_a).get(observation).json()
    assert got["valueQuantity"]["value"] == 12
    assert got["interpretation"][0]["coding"][0]["code"] == "moderate"


def test_search_by_subject_questionnaire_and_date(answered) -> None:
    client = client_for(answered.facilitator_a)
    base = "/api/fhir/QuestionnaireResponse"
    assert len(entries(client.get(base, {"subject": "P1"}))) == 2
    assert len(entries(client.get(base, {"subject": "x|P2"}))) == 1
    assert len(entries(client.get(base, {"questionnaire": "gad7"}))) == 1
    canonical = "http://balm.invalid/fhir/Questionnaire/phq9|2001.1"
    assert len(entries(client.get(base, {"questionnaire": canonical}))) == 2
    today = timezone.localdate()
    assert len(entries(client.get(base, {"date": today.isoformat()}))) == 3
    assert entries(client.get(base, {"date": f"gt{today.isoformat()}"})) == []
    yesterday = (today - timedelta(days=1)).isoformat()
    assert len(entries(client.get(base, {"date": [f"ge{yesterday}", f"le{today}"]}))) == 3
    observations = entries(client.get("/api/fhir/Observation", {"questionnaire": "gad7"}))
    assert [o["valueQuantity"]["value"] for o in observations] == [7]
    bad = client.get(base, {"date": "March", "questionnaire": "phq-99", "_count": "0"})
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["problems"]} == {"date", "questionnaire", "_count"}
    huge = client.get(base, {"_offset": str(2**70), "_count": "x"})
    assert huge.status_code == 422
    assert {p["field"] for p in huge.json()["problems"]} == {"_offset", "_count"}
    page = entries(client.get(base, {"_count": "2", "_offset": "1"}))
    assert len(page) == 2


def test_questionnaires_are_served(answered) -> None:
    client = client_for(answered.researcher_a)
    assert len(entries(client.get("/api/fhir/Questionnaire"))) >= 17
    phq9 = client.get("/api/fhir/Questionnaire/phq9").json()
    assert phq9["version"] == "2001.1"
    assert client.get("/api/fhir/Questionnaire/nope").status_code == 404


def test_bundle_export_per_cohort_and_site(answered) -> None:
    world = answered
    client = client_for(world.researcher_a)
    resources = entries(client.get("/api/fhir/Bundle", {"cohort": world.cohort_a.pk}))
    kinds = [r["resourceType"] for r in resources]
    # Three responses, each scoring one scale (PHQ-9 total; GAD-7 total).
    assert kinds.count("QuestionnaireResponse") == 3 and kinds.count("Observation") == 3
    assert AuditEvent.objects.filter(action="export.fhir").count() == 1
    site = entries(client.get("/api/fhir/Bundle", {"site": world.site_a.pk}))
    assert len(site) == 6
    other = client_for(world.facilitator_b)
    assert other.get("/api/fhir/Bundle", {"cohort": world.cohort_a.pk}).status_code == 404
    assert other.get("/api/fhir/Bundle", {"site": world.site_a.pk}).status_code == 404
    own = client_for(world.p1_user)
    assert own.get("/api/fhir/Bundle", {"site": world.site_a.pk}).status_code == 404


def incoming(pseudonym="P1", answers=None, resource_id=None, **extra):  # type: ignore[no-untyped-def]
    items = [
        {"linkId": key, "answer": [{"valueCoding": {"code": str(value)}}]}
        for key, value in (answers or PHQ9).items()
    ]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id or f"ext-{uuid.uuid4().hex[:12]}",
        "status": "completed",
        "questionnaire": "http://balm.invalid/fhir/Questionnaire/phq9|2001.1",
        "subject": {"identifier": {"system": "urn:hospital", "value": pseudonym}},
        "authored": timezone.now().isoformat(),
        "item": items,
        **extra,
    }


def post(client: Client, body: dict, **params):  # type: ignore[no-untyped-def]
    url = "/api/fhir/QuestionnaireResponse"
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_post_imports_scores_and_is_idempotent(world) -> None:
    client = client_for(world.facilitator_a)
    body = incoming(resource_id="hosp-1")
    first = post(client, body)
    assert first.status_code == 201, first.content
    stored = Response.objects.get()
    assert stored.entry_mode == "import" and stored.entered_by == world.facilitator_a
    assert stored.scores["total"] == 12 and stored.scores["total_band"] == "moderate"
    assert first.json()["item"][3]["answer"][0]["valueCoding"]["code"] == "3"
    again = post(client, body)
    assert again.status_code == 200 and Response.objects.count() == 1
    assert AuditEvent.objects.filter(action="fhir.import").count() == 1


def test_post_refuses_every_problem_at_once_and_writes_nothing(world) -> None:
    client = client_for(world.facilitator_a)
    body = incoming(answers={**PHQ9, "q2": 7, "q4": 9})
    answered = post(client, body)
    assert answered.status_code == 422
    messages = [p["message"] for p in answered.json()["problems"]]
    assert len(messages) == 2 and all("is not one of 0, 1, 2, 3" in m for m in messages)
    unknown = post(client, incoming(pseudonym="P404"))
    assert unknown.status_code == 422 and "no participant 'P404'" in unknown.content.decode()
    assert post(client, {"resourceType": "Patient"}).status_code == 422
    assert Response.objects.count() == 0


def test_post_permissions(world) -> None:
    body = incoming()
    assert post(client_for(world.researcher_a), body).status_code == 403
    assert post(client_for(world.p1_user), body).status_code == 403
    # A facilitator at site B imports into site B, where P1 is unknown.
    assert post(client_for(world.facilitator_b), body).status_code == 422
    assert post(client_for(world.facilitator_b), body, site="site-a").status_code == 404
    assert Response.objects.count() == 0


def test_a_bundle_is_all_or_nothing(world, tmp_path) -> None:
    good = incoming("P1")
    bad = incoming("P2", answers={"q1": 1})  # too few answers to give a score
    entry = [{"resource": good}, {"resource": bad}]
    data = {"resourceType": "Bundle", "type": "collection", "entry": entry}
    with pytest.raises(InvalidInput) as error:
        import_fhir(site=world.site_a, data=data, by=world.facilitator_a)
    assert "Too few answers" in str(error.value)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="Too few answers"):
        call_command("fhir_import", "site-a", str(path))
    assert Response.objects.count() == 0
    data["entry"].pop()
    path.write_text(json.dumps(data))
    call_command("fhir_import", "site-a", str(path), "--dry-run")
    assert Response.objects.count() == 0
    call_command("fhir_import", "site-a", str(path))
    call_command("fhir_import", "site-a", str(path))  # the same file again changes nothing
    assert Response.objects.get().entry_mode == "import"


def test_round_trip_into_a_fresh_site(answered, tmp_path) -> None:
    world = answered
    client = client_for(world.facilitator_a)
    first = client.get("/api/fhir/Bundle", {"cohort": world.cohort_a.pk}).json()
    fresh = factories.site("fresh")
    admin = factories.staff("administrator", fresh)
    group = factories.cohort(fresh, name="Cohort A")
    for pseudonym in ("P1", "P2"):
        factories.enrol(factories.participant(fresh, pseudonym), group)
    result = import_fhir(site=fresh, data=first, by=admin)
    assert len(result.created) == 3
    again = client_for(admin).get("/api/fhir/Bundle", {"site": fresh.pk}).json()

    def content(bundle):  # type: ignore[no-untyped-def]
        out = set()
        for entry in bundle["entry"]:
            r = entry["resource"]
            who = r["subject"]["identifier"]["value"]
            if r["resourceType"] == "QuestionnaireResponse":
                answers = tuple((i["linkId"], json.dumps(i["answer"])) for i in r["item"])
                out.add((who, r["questionnaire"], answers))
            else:
                shown = (r["code"], r["valueQuantity"], r.get("interpretation"))
                out.add((who, *(json.dumps(part) for part in shown)))
        return out

    assert content(again) == content(first)
    assert len(content(first)) == 6


def test_balm_fhir_commands(answered, tmp_path) -> None:
    from typer.testing import CliRunner

    from balm.cli import app

    runner = CliRunner()
    target = tmp_path / "bundle.json"
    result = runner.invoke(app, ["fhir", "export", "--site", "site-a", "-o", str(target)])
    assert result.exit_code == 0, result.output
    data = json.loads(target.read_text())
    Bundle.model_validate(data)
    assert len(data["entry"]) == 6
    fresh = factories.site("fresh")
    group = factories.cohort(fresh, name="Cohort A")
    for pseudonym in ("P1", "P2"):
        factories.enrol(factories.participant(fresh, pseudonym), group)
    result = runner.invoke(app, ["fhir", "import", str(target), "--site", "fresh", "--dry-run"])
    assert result.exit_code == 0 and "3 to import" in result.output
    assert Response.objects.filter(assessment__enrolment__cohort=group).count() == 0
    result = runner.invoke(app, ["fhir", "import", str(target), "--site", "fresh"])
    assert result.exit_code == 0 and "imported 3" in result.output
    result = runner.invoke(app, ["fhir", "import", str(target), "--site", "fresh"])
    assert "imported 0, 3 already there" in result.output
    target.write_text("{not json")
    result = runner.invoke(app, ["fhir", "import", str(target), "--site", "fresh"])
    assert result.exit_code == 2 and "cannot read as JSON" in result.output
    result = runner.invoke(app, ["fhir", "import", str(target), "--site", "nowhere"])
    assert result.exit_code == 2 and "no site 'nowhere'" in result.output


def test_the_validated_export_is_the_bundle_built_and_validates_in_full(answered) -> None:
    from balm.instruments.fhir_response import bundle
    from balm.outcomes.fhir_exchange import response_records

    checked = bundle(response_records(Response.objects.all()))
    assert checked == bundle(response_records(Response.objects.all()), check="none")
    assert len(checked["entry"]) > Response.objects.count()  # the Observations are in it
    Bundle.model_validate(checked)


def test_every_exported_field_is_kept_by_the_export_policy(answered) -> None:
    from balm.audit.export_policy import EXPORT_POLICY
    from balm.outcomes.fhir_exchange import SOURCE_FIELDS

    for part, (model, field) in SOURCE_FIELDS.items():
        assert EXPORT_POLICY[model][field] == "keep", part
    body = client_for(answered.researcher_a).get("/api/fhir/QuestionnaireResponse").json()
    stored = set(Response.objects.values_list("client_id", flat=True))
    assert not any(client in json.dumps(body) for client in stored)
    assert all("identifier" not in e["resource"] for e in body["entry"])


def test_a_personal_link_sees_only_its_own(answered) -> None:
    from balm.accounts.actions import issue_participant_link

    _, token = issue_participant_link(participant=answered.p2, by=None)
    browser = Client()
    assert browser.get(f"/p/{token}/").status_code == 302
    own = entries(browser.get("/api/fhir/QuestionnaireResponse"))
    assert {r["subject"]["identifier"]["value"] for r in own} == {"P2"}
    other = Response.objects.filter(assessment__enrolment=answered.enrolment_p1).first()
    assert browser.get(f"/api/fhir/QuestionnaireResponse/response-{other.pk}").status_code == 404
    observations = entries(browser.get("/api/fhir/Observation"))
    assert [o["valueQuantity"]["value"] for o in observations] == [12]
