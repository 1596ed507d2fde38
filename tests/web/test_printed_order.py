"""CPAQ-8's printed order: a site declares which one its form uses before CPAQ-8 is scheduled,
answered online, entered from paper or imported; answers are kept by printed question and
scored in the declared order, and each response records the order it was scored in.

Expected scores are worked by hand from the three orders in circulation as cpaq8.yaml's
``variants`` record their sources (Stanford CHOIR code, the PsychlytX app, the printed form
quoted in issue #9), with the CPAQ-8 key (Fish et al. 2010): willingness reversed as 6 - x,
engagement summed as given. The raw answers by printed question 1..8 are
``6, 0, 6, 0, 6, 0, 3, 3`` throughout:

- ``cpaq20_order`` (engagement printed 1, 2, 3, 6; willingness 4, 5, 7, 8):
  engagement 6 + 0 + 6 + 0 = 12; willingness (6-0) + (6-6) + (6-3) + (6-3) = 12; total 24.
- ``alternating`` (engagement printed 1, 3, 5, 6; willingness 2, 4, 7, 8):
  engagement 6 + 6 + 6 + 0 = 18; willingness (6-0) + (6-0) + (6-3) + (6-3) = 18; total 36.
- ``engagement_first`` (engagement printed 1-4; willingness 5-8):
  engagement 6 + 0 + 6 + 0 = 12; willingness (6-6) + (6-0) + (6-3) + (6-3) = 12; total 24.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from tests.web import factories

from balm.accounts.admin import SiteForm
from balm.accounts.errors import InvalidInput, NotAllowed
from balm.api.actions import issue_api_token
from balm.audit.models import AuditEvent
from balm.instruments import get_instrument
from balm.instruments.wording import placeholder_data
from balm.outcomes import actions as outcome_actions
from balm.outcomes.models import Response
from balm.programmes.models import Cohort, Enrolment
from balm.wording import actions as wording_actions
from balm.wording.lookup import answerable_online, online_instrument_ids
from balm.wording.models import InstrumentWording, OnlineInstrument, PrintedOrder

pytestmark = pytest.mark.django_db

RAW = {"q1": 6, "q2": 0, "q3": 6, "q4": 0, "q5": 6, "q6": 0, "q7": 3, "q8": 3}
ALLOWED = "alternating, cpaq20_order, engagement_first"
ADD = "/admin/wording/printedorder/add/"
LIST = "/admin/wording/printedorder/"


def _scores(response: Response) -> tuple[float, float, float]:
    s = response.scores
    return (s["activity_engagement"], s["pain_willingness"], s["total"])


def _cpaq8(enrolment: Enrolment, timepoint: str = "baseline") -> Any:
    return enrolment.assessments.select_related("enrolment__cohort__site").get(
        instrument_id="cpaq8", timepoint=timepoint
    )


def _site_with_enrolment(order: str | None) -> tuple[Any, Any, Enrolment]:
    """A site declaring ``order`` with one enrolment; ``None``: the declaration is removed
    afterwards, as for records kept from before balm asked for one."""
    site = factories.site(cpaq8_order=order or "cpaq20_order")
    facilitator = factories.staff("facilitator", site)
    enrolment = factories.enrol(factories.participant(site), factories.cohort(site))
    if order is None:
        PrintedOrder.objects.filter(site=site).delete()
    return site, facilitator, enrolment


# --- refused everywhere without a declaration ------------------------------------------------


def test_a_cohort_scheduling_cpaq8_is_refused_with_every_problem_and_nothing_written() -> None:
    site = factories.site(cpaq8_order=None)
    with pytest.raises(InvalidInput) as refused:
        factories.cohort(site, name="  ")
    messages = [(p.field, p.message) for p in refused.value.problems]
    assert messages[0] == ("name", "Give the group a name.")
    assert messages[1][0] == "template"
    assert "CPAQ-8" in messages[1][1] and f"(allowed: {ALLOWED};" in messages[1][1]
    assert len(messages) == 2
    assert not Cohort.objects.filter(site=site).exists()


def test_a_site_not_collecting_cpaq8_needs_no_declaration_but_enrolling_later_does() -> None:
    site = factories.site(cpaq8_order=None, enabled_instruments=["phq9"])
    cohort = factories.cohort(site)  # CPAQ-8 is not collected here: nothing to declare
    site.enabled_instruments = []  # now every instrument, CPAQ-8 too
    site.save()
    with pytest.raises(InvalidInput) as refused:
        factories.enrol(factories.participant(site), cohort)
    assert [p.field for p in refused.value.problems] == ["template"]
    assert ALLOWED in refused.value.problems[0].message
    assert not Enrolment.objects.filter(cohort=cohort).exists()


def test_paper_entry_and_import_without_a_declaration_list_every_problem_and_write_nothing() -> (
    None
):
    _, facilitator, enrolment = _site_with_enrolment(None)
    bad = {**RAW, "q2": 9}  # 9 is not one of 0..6: reported with the missing declaration
    for mode in ("staff_paper", "import"):
        with pytest.raises(InvalidInput) as refused:
            outcome_actions.submit_response(
                assessment=_cpaq8(enrolment),
                answers=bad,
                client_id=factories.client_id(),
                entry_mode=mode,
                by=facilitator,
            )
        fields = [p.field for p in refused.value.problems]
        assert fields == ["", "q2"], refused.value.problems
        assert ALLOWED in refused.value.problems[0].message
    assert not Response.objects.exists()
    assert not AuditEvent.objects.filter(action="response.submit").exists()


def test_the_api_refuses_cpaq8_without_a_declaration_with_a_422() -> None:
    _, facilitator, enrolment = _site_with_enrolment(None)
    token = issue_api_token(user=facilitator, name="test", by=None)[1]
    answer = Client().post(
        "/api/responses",
        {
            "assessment_id": _cpaq8(enrolment).pk,
            "answers": RAW,
            "client_id": factories.client_id(),
            "entry_mode": "import",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 422, answer.content
    problems = answer.json()["problems"]
    assert len(problems) == 1 and ALLOWED in problems[0]["message"]
    assert not Response.objects.exists()


def test_online_answering_needs_the_declaration() -> None:
    site, _, enrolment = _site_with_enrolment("alternating")
    data = placeholder_data(_cpaq8_def())
    wording_actions.load_wording(
        site=site, instrument_id="cpaq8", data=data, by=None, placeholder=True
    )
    wording_actions.enable_online(site=site, instrument_id="cpaq8", by=None)
    assert answerable_online(site, "cpaq8") and "cpaq8" in online_instrument_ids(site)
    PrintedOrder.objects.filter(site=site).delete()  # as for a site set up before balm asked
    assert not answerable_online(site, "cpaq8")
    assert "cpaq8" not in online_instrument_ids(site)
    with pytest.raises(InvalidInput) as refused:
        outcome_actions.submit_response(
            assessment=_cpaq8(enrolment),
            answers=RAW,
            client_id=factories.client_id(),
            by=enrolment.participant,
        )
    assert [p.field for p in refused.value.problems] == [""]
    assert ALLOWED in refused.value.problems[0].message
    assert not Response.objects.exists()


def _cpaq8_def() -> Any:
    return get_instrument("cpaq8")


def test_wording_and_online_answering_are_refused_without_a_declaration() -> None:
    site = factories.site(cpaq8_order=None)
    data = placeholder_data(_cpaq8_def())
    with pytest.raises(InvalidInput) as refused:
        wording_actions.load_wording(
            site=site, instrument_id="cpaq8", data=data, by=None, placeholder=True
        )
    assert [p.field for p in refused.value.problems] == ["variant"]
    assert ALLOWED in refused.value.problems[0].message
    with pytest.raises(InvalidInput) as wrong:
        wording_actions.load_wording(
            site=site, instrument_id="cpaq8", data=data, by=None, placeholder=True, variant="zigzag"
        )
    assert f"Allowed: {ALLOWED}." in wrong.value.problems[0].message
    with pytest.raises(InvalidInput) as not_loaded:
        wording_actions.enable_online(site=site, instrument_id="cpaq8", by=None)
    assert [p.field for p in not_loaded.value.problems] == ["instrument", "instrument"]
    assert not InstrumentWording.objects.exists() and not OnlineInstrument.objects.exists()
    assert not PrintedOrder.objects.exists()
    # Naming the order with the wording declares it, in the same write.
    wording_actions.load_wording(
        site=site,
        instrument_id="cpaq8",
        data=data,
        by=None,
        placeholder=True,
        variant="alternating",
    )
    assert PrintedOrder.objects.get(site=site).variant == "alternating"
    wording_actions.enable_online(site=site, instrument_id="cpaq8", by=None)


def test_the_site_form_refuses_listing_cpaq8_before_the_declaration() -> None:
    site = factories.site(cpaq8_order=None)
    data = {
        "name": site.name,
        "slug": site.slug,
        "crisis_contacts": site.crisis_contacts,
        "enabled_instruments": '["phq9", "cpaq8"]',
        "alert_escalation_minutes": "",
        "duty_email": "",
    }
    form = SiteForm(data, instance=site)
    assert not form.is_valid()
    assert ALLOWED in " ".join(form.errors["enabled_instruments"])
    wording_actions.declare_printed_order(
        site=site, instrument_id="cpaq8", variant="engagement_first", by=None
    )
    assert SiteForm(data, instance=site).is_valid()


# --- the same raw answers under two declared orders --------------------------------------


def test_the_same_answers_score_as_worked_by_hand_under_each_declared_order() -> None:
    scored = {}
    for order in ("cpaq20_order", "alternating", "engagement_first"):
        _, facilitator, enrolment = _site_with_enrolment(order)
        response = outcome_actions.submit_response(
            assessment=_cpaq8(enrolment),
            answers=RAW,
            client_id=factories.client_id(),
            by=facilitator,
        )
        assert response.answers == RAW  # kept as given, by printed question
        assert response.variant == order
        scored[order] = _scores(response)
    assert scored == {
        "cpaq20_order": (12.0, 12.0, 24.0),
        "alternating": (18.0, 18.0, 36.0),
        "engagement_first": (12.0, 12.0, 24.0),
    }


def test_the_api_import_scores_in_the_declared_order_and_reports_it() -> None:
    _, facilitator, enrolment = _site_with_enrolment("alternating")
    token = issue_api_token(user=facilitator, name="test", by=None)[1]
    answer = Client().post(
        "/api/responses",
        {
            "assessment_id": _cpaq8(enrolment).pk,
            "answers": RAW,
            "client_id": factories.client_id(),
            "entry_mode": "import",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["variant"] == "alternating"
    scores = body["scores"]
    assert (scores["activity_engagement"], scores["pain_willingness"], scores["total"]) == (
        18.0,
        18.0,
        36.0,
    )


def test_an_amendment_keeps_the_order_the_response_was_scored_in() -> None:
    site, facilitator, enrolment = _site_with_enrolment("alternating")
    response = outcome_actions.submit_response(
        assessment=_cpaq8(enrolment), answers=RAW, client_id=factories.client_id(), by=facilitator
    )
    wording_actions.declare_printed_order(
        site=site, instrument_id="cpaq8", variant="engagement_first", by=None
    )
    # Printed question 7 corrected from 3 to 0: under alternating q7 is willingness, so
    # willingness 18 - 3 + 6 = 21 (6 - 0 = 6 in place of 6 - 3 = 3), total 39.
    amended = outcome_actions.amend_response(
        response=response, answers={**RAW, "q7": 0}, reason="typing error", by=facilitator
    )
    assert amended.variant == "alternating"
    assert _scores(amended) == (18.0, 21.0, 39.0)
    # A new response at the site now takes the new order (engagement_first: 12, 12, 24).
    mid = _cpaq8(enrolment, "mid")
    mid.opens_on = timezone.localdate()  # staff enter paper answers once it opens
    mid.save(update_fields=["opens_on"])
    later = outcome_actions.submit_response(
        assessment=mid,
        answers=RAW,
        client_id=factories.client_id(),
        by=facilitator,
    )
    assert (later.variant, _scores(later)) == ("engagement_first", (12.0, 12.0, 24.0))


def test_an_amendment_of_a_response_from_before_the_declaration_is_refused_without_one() -> None:
    site, facilitator, enrolment = _site_with_enrolment("cpaq20_order")
    response = outcome_actions.submit_response(
        assessment=_cpaq8(enrolment), answers=RAW, client_id=factories.client_id(), by=facilitator
    )
    Response.objects.filter(pk=response.pk).update(variant="")  # stored before balm asked
    PrintedOrder.objects.filter(site=site).delete()
    response.refresh_from_db()
    with pytest.raises(InvalidInput) as refused:
        outcome_actions.amend_response(response=response, answers=RAW, reason="", by=facilitator)
    assert [p.field for p in refused.value.problems] == ["reason", ""]
    assert not response.amendments.exists()


# --- declaring: who may, audited --------------------------------------------------------------


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_the_sites_administrators_declare_its_order(world: Any) -> None:
    site_c = factories.site("site-c", cpaq8_order=None)
    admin_c = factories.staff("administrator", site_c, "admin_c")
    for person in (world.admin_a, world.facilitator_a, world.researcher_a, world.p1_user):
        with pytest.raises(NotAllowed):
            wording_actions.declare_printed_order(
                site=site_c, instrument_id="cpaq8", variant="alternating", by=person
            )
    assert not PrintedOrder.objects.filter(site=site_c).exists()

    client = _client(admin_c)
    form = client.get(ADD)
    assert form.status_code == 200
    assert list(form.context["adminform"].form.fields["site"].queryset) == [site_c]
    posted = client.post(ADD, {"site": site_c.pk, "instrument_id": "cpaq8", "variant": "zigzag"})
    assert posted.status_code == 200 and not PrintedOrder.objects.filter(site=site_c).exists()
    posted = client.post(
        ADD, {"site": site_c.pk, "instrument_id": "cpaq8", "variant": "alternating"}
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    row = PrintedOrder.objects.get(site=site_c)
    assert (row.variant, row.declared_by) == ("alternating", admin_c)
    event = AuditEvent.objects.get(action="wording.printed_order", actor=admin_c)
    assert event.details == {"instrument": "cpaq8", "variant": "alternating", "before": None}
    change = f"{LIST}{row.pk}/change/"
    assert client.post(change, {"variant": "engagement_first"}).status_code == 302
    row.refresh_from_db()
    assert row.variant == "engagement_first"
    assert AuditEvent.objects.filter(action="wording.printed_order").count() == 2

    # Another site's administrator: not listed, a 404, and cannot pick the site.
    other = _client(world.admin_a)
    assert other.get(change).status_code == 404
    assert "site-c" not in other.get(LIST).content.decode()
    refused = other.post(
        ADD, {"site": site_c.pk, "instrument_id": "cpaq8", "variant": "alternating"}
    )
    assert refused.status_code == 200  # the form refuses a site that is not theirs
    row.refresh_from_db()
    assert row.variant == "engagement_first"
    assert other.post(f"{LIST}{row.pk}/delete/").status_code in (403, 404)
    # Staff without an administrator role, participants and anonymous visitors: no admin.
    for person in (world.facilitator_a, world.researcher_a, world.p1_user):
        assert _client(person).get(ADD).status_code in (302, 403)
    assert Client().get(LIST).status_code == 302
    # A superuser sees every site's declaration.
    root = factories.user("root", is_superuser=True, is_staff=True)
    listing = _client(root).get(LIST).content.decode()
    assert site_c.name in listing and world.site_a.name in listing


def test_load_wording_command_declares_the_order(tmp_path: Any) -> None:
    site = factories.site("site-cmd", cpaq8_order=None)
    with pytest.raises(CommandError, match="Allowed: alternating"):
        call_command("load_wording", "site-cmd", "--instrument", "cpaq8", "--variant", "zigzag")
    call_command("load_wording", "site-cmd", "--instrument", "cpaq8", "--variant", "alternating")
    assert PrintedOrder.objects.get(site=site).variant == "alternating"


def test_the_paper_entry_page_labels_each_printed_question_in_the_declared_order() -> None:
    """No wording loaded: the page labels questions with the catalogue's concepts, taken in
    the site's order. Under ``alternating`` printed question 2 is a willingness item, CPAQ-20
    item 13 (catalogue q4), and printed 5 is CPAQ-20 item 9 (catalogue q3); under
    ``cpaq20_order`` printed 2 is CPAQ-20 item 6."""
    labels = {}
    for order in ("alternating", "cpaq20_order"):
        _, facilitator, enrolment = _site_with_enrolment(order)
        page = _client(facilitator).get(f"/assessments/{_cpaq8(enrolment).pk}/paper/")
        assert page.status_code == 200
        fields = page.context["form"].fields
        labels[order] = (str(fields["q2"].label), str(fields["q5"].label))
    assert "CPAQ-20 item 13" in labels["alternating"][0]
    assert "CPAQ-20 item 9" in labels["alternating"][1]
    assert "CPAQ-20 item 6" in labels["cpaq20_order"][0]


def test_the_api_due_list_offers_cpaq8_online_only_while_its_order_is_declared() -> None:
    """A site that switched CPAQ-8 online and later lost its declaration (records from before
    balm asked for one): the participant's due list through the API leaves CPAQ-8 out, as the
    questionnaire page and the reminders do."""
    from balm.accounts.actions import issue_participant_link

    site, _, enrolment = _site_with_enrolment("alternating")
    data = placeholder_data(_cpaq8_def())
    wording_actions.load_wording(
        site=site, instrument_id="cpaq8", data=data, by=None, placeholder=True
    )
    wording_actions.enable_online(site=site, instrument_id="cpaq8", by=None)
    _cpaq8(enrolment).__class__.objects.filter(enrolment=enrolment).update(
        opens_on=timezone.localdate()
    )
    client = Client()
    _, token = issue_participant_link(participant=enrolment.participant, by=None)
    assert client.get(f"/p/{token}/").status_code == 302

    def due() -> set[str]:
        answer = client.get("/api/assessments/due?limit=100")
        assert answer.status_code == 200
        return {a["instrument_id"] for a in answer.json()["items"]}

    assert "cpaq8" in due()
    PrintedOrder.objects.filter(site=site).delete()
    assert "cpaq8" not in due() and "phq9" in due()
