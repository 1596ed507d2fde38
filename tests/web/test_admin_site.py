"""The admin at /admin/: site administrators see reference data of their own sites only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from tests.web import factories

from balm.accounts.models import Membership, Site, User
from balm.audit.models import AuditEvent
from balm.programmes.models import ProgrammeTemplate, ScheduleEntry

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _site_form(site: Site, **changes: str) -> dict[str, str]:
    data = {
        "name": site.name,
        "crisis_contacts": site.crisis_contacts,
        "enabled_instruments": "[]",
    }
    data.update(changes)
    return data


def _change_form_data(page: Any, template: ProgrammeTemplate) -> dict[str, object]:
    """The POST data of a template's change page as it is shown (form and inlines)."""
    form = page.context["adminform"].form
    data: dict[str, object] = {
        name: ("" if value is None else value)
        for name, value in ((f, form.initial.get(f)) for f in form.fields)
    }
    data["site"] = template.site_id
    for formset in page.context["inline_admin_formsets"]:
        fs = formset.formset
        management = fs.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{fs.prefix}-{name}"] = management.initial.get(name, management[name].value())
        for inline_form in fs.forms:
            for name in inline_form.fields:
                value = inline_form.initial.get(name)
                if name == "id":
                    value = inline_form.instance.pk
                elif name == "template":
                    value = template.pk
                data[inline_form.add_prefix(name)] = "" if value is None else value
    return data


def _inline_key(page: Any, obj: Any, field: str) -> str:
    """The POST key of ``field`` of inline object ``obj`` on a change page."""
    formset = next(
        f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is obj.__class__
    )
    index = [f.instance.pk for f in formset.forms].index(obj.pk)
    return f"{formset.prefix}-{index}-{field}"


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.org", "correct horse")


def test_administrator_gets_in_without_is_staff(world) -> None:
    assert not world.admin_a.is_staff
    response = _client(world.admin_a).get("/admin/")
    assert response.status_code == 200
    assert b"Sites" in response.content
    assert b"Assessments" not in response.content


@pytest.mark.parametrize("persona", ["facilitator_a", "researcher_a", "p1_user", "facilitator_b"])
def test_others_are_sent_to_the_admin_login(world, persona: str) -> None:
    client = _client(getattr(world, persona))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    login = client.get(response["Location"])
    assert b"not authorized" in login.content
    assert client.get(f"/admin/accounts/site/{world.site_a.pk}/change/").status_code == 302


def test_anonymous_is_sent_to_the_admin_login(world) -> None:
    response = Client().get("/admin/accounts/site/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_administrator_can_log_in_through_the_admin_form(world) -> None:
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin_a", "password": "correct horse", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_facilitator_cannot_log_in_through_the_admin_form(world) -> None:
    response = Client().post(
        "/admin/login/", {"username": "fac_a", "password": "correct horse", "next": "/admin/"}
    )
    assert response.status_code == 200
    assert b"errornote" in response.content


def test_administrator_sees_only_their_sites(world) -> None:
    response = _client(world.admin_a).get("/admin/accounts/site/")
    assert response.status_code == 200
    assert b"Site A pain service" in response.content
    assert b"Site B pain service" not in response.content


def test_administrator_edits_crisis_contacts_and_it_is_audited(world) -> None:
    client = _client(world.admin_a)
    url = f"/admin/accounts/site/{world.site_a.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        _site_form(
            world.site_a,
            crisis_contacts="Call the team on 0100 000 0000, or 999.",
            enabled_instruments='["phq9"]',
        ),
    )
    assert response.status_code == 302, response.content
    world.site_a.refresh_from_db()
    assert world.site_a.crisis_contacts == "Call the team on 0100 000 0000, or 999."
    assert world.site_a.enabled_instruments == ["phq9"]
    event = AuditEvent.objects.get(action="site.update", actor=world.admin_a)
    assert event.site == world.site_a
    assert event.details["fields"] == ["crisis_contacts", "enabled_instruments"]


def test_administrator_cannot_reach_another_site(world) -> None:
    client = _client(world.admin_a)
    url = f"/admin/accounts/site/{world.site_b.pk}/change/"
    assert client.get(url).status_code == 404
    before = world.site_b.crisis_contacts
    assert client.post(url, _site_form(world.site_b, crisis_contacts="x")).status_code == 404
    world.site_b.refresh_from_db()
    assert world.site_b.crisis_contacts == before
    assert client.get(f"/admin/accounts/site/{world.site_b.pk}/delete/").status_code == 404


def test_administrator_cannot_create_or_delete_sites(world) -> None:
    client = _client(world.admin_a)
    assert client.get("/admin/accounts/site/add/").status_code == 403
    assert client.get(f"/admin/accounts/site/{world.site_a.pk}/delete/").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/admin/outcomes/response/",
        "/admin/outcomes/assessment/",
        "/admin/outcomes/safetyalert/",
        "/admin/outcomes/checkin/",
        "/admin/audit/auditevent/",
        "/admin/api/apitoken/",
        "/admin/accounts/participant/",
        "/admin/accounts/user/",
        "/admin/programmes/enrolment/",
        "/admin/programmes/cohort/",
    ],
)
def test_clinical_and_superuser_data_refused_to_administrator(world, url: str) -> None:
    assert _client(world.admin_a).get(url).status_code == 403


def test_clinical_object_page_refused_to_administrator(world) -> None:
    url = f"/admin/programmes/enrolment/{world.enrolment_p1.pk}/change/"
    assert _client(world.admin_a).get(url).status_code == 404


def test_superuser_sees_everything(world, superuser: User) -> None:
    client = _client(superuser)
    sites = client.get("/admin/accounts/site/")
    assert b"Site A pain service" in sites.content
    assert b"Site B pain service" in sites.content
    assert client.get(f"/admin/accounts/site/{world.site_b.pk}/change/").status_code == 200
    assert client.get("/admin/accounts/site/add/").status_code == 200
    for url in (
        "/admin/outcomes/response/",
        "/admin/outcomes/assessment/",
        "/admin/audit/auditevent/",
        "/admin/api/apitoken/",
        "/admin/programmes/enrolment/",
    ):
        assert client.get(url).status_code == 200, url


def test_audit_events_are_read_only_even_for_superusers(world, superuser: User) -> None:
    client = _client(superuser)
    event = AuditEvent.objects.first()
    assert event is not None
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    page = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content


def test_safety_alerts_are_read_only_in_the_admin(world, superuser: User) -> None:
    """Acknowledging goes through its page (audited), and the e-mail fields belong to the
    e-mail task; the admin shows them but edits nothing."""
    from balm.outcomes import actions as outcome_actions

    assessment = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    response = outcome_actions.submit_response(
        assessment=assessment,
        answers={**factories.PHQ9_ZEROS, "q9": 1},
        client_id=factories.client_id(),
        by=world.p1,
    )
    alert = response.alerts.get()
    client = _client(superuser)
    listing = client.get("/admin/outcomes/safetyalert/")
    assert listing.status_code == 200 and b"email_outcome" in listing.content
    page = client.get(f"/admin/outcomes/safetyalert/{alert.pk}/change/")
    assert page.status_code == 200
    assert b'name="acknowledged_at' not in page.content
    assert b'name="email_outcome"' not in page.content


def test_shipped_template_is_read_only_for_administrator(world) -> None:
    shipped = factories.template()
    assert shipped.site_id is None
    client = _client(world.admin_a)
    url = f"/admin/programmes/programmetemplate/{shipped.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(url, {"name": "Mine now"}).status_code == 403
    shipped.refresh_from_db()
    assert shipped.name != "Mine now"


def test_site_template_is_editable_and_plan_edits_are_audited(world) -> None:
    from balm.programmes.actions import copy_template_to_site

    own = copy_template_to_site(
        template=factories.template(), site=world.site_a, slug="site-a-cft", by=world.admin_a
    )
    other = copy_template_to_site(
        template=factories.template(), site=world.site_b, slug="site-b-cft", by=None
    )
    client = _client(world.admin_a)
    listing = client.get("/admin/programmes/programmetemplate/")
    assert b"site-a-cft" in listing.content
    assert b"site-b-cft" not in listing.content
    assert client.get(f"/admin/programmes/programmetemplate/{other.pk}/change/").status_code == 404

    url = f"/admin/programmes/programmetemplate/{own.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = _change_form_data(page, own)
    data["name"] = "Site A programme"
    first_plan = own.plans.order_by("number").first()
    assert first_plan is not None
    data[_inline_key(page, first_plan, "title")] = "Welcome, edited"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    own.refresh_from_db()
    first_plan.refresh_from_db()
    assert own.name == "Site A programme"
    assert first_plan.title == "Welcome, edited"
    assert AuditEvent.objects.filter(action="template.update", actor=world.admin_a).exists()
    plan_event = AuditEvent.objects.get(action="template.session_plan", actor=world.admin_a)
    assert plan_event.details["fields"] == ["title"]


def test_template_site_choices_are_limited_to_their_sites(world) -> None:
    page = _client(world.admin_a).get("/admin/programmes/programmetemplate/add/")
    assert page.status_code == 200
    site_field = page.context["adminform"].form.fields["site"]
    assert set(site_field.queryset) == {world.site_a}
    assert site_field.required


def test_administrator_manages_memberships_of_their_site(world) -> None:
    newcomer = factories.user("newcomer")
    client = _client(world.admin_a)
    listing = client.get("/admin/accounts/membership/")
    assert listing.status_code == 200
    assert b"fac_a" in listing.content
    assert b"fac_b" not in listing.content

    add = client.get("/admin/accounts/membership/add/")
    fields = add.context["adminform"].form.fields
    assert set(fields["site"].queryset) == {world.site_a}
    assert newcomer in fields["user"].queryset
    assert world.facilitator_b not in fields["user"].queryset
    assert world.p1_user not in fields["user"].queryset

    response = client.post(
        "/admin/accounts/membership/add/",
        {"user": newcomer.pk, "site": world.site_a.pk, "role": "facilitator"},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=newcomer, site=world.site_a).exists()
    assert AuditEvent.objects.filter(action="membership.add", actor=world.admin_a).exists()

    refused = client.post(
        "/admin/accounts/membership/add/",
        {"user": newcomer.pk, "site": world.site_b.pk, "role": "facilitator"},
    )
    assert refused.status_code == 200
    assert not Membership.objects.filter(user=newcomer, site=world.site_b).exists()

    theirs = Membership.objects.get(user=world.facilitator_b)
    assert client.get(f"/admin/accounts/membership/{theirs.pk}/delete/").status_code == 404
    mine = Membership.objects.get(user=newcomer, site=world.site_a)
    deleted = client.post(f"/admin/accounts/membership/{mine.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not Membership.objects.filter(pk=mine.pk).exists()
    assert AuditEvent.objects.filter(action="membership.delete", actor=world.admin_a).exists()


def test_superuser_creates_a_site_through_the_action(world, superuser: User) -> None:
    response = _client(superuser).post(
        "/admin/accounts/site/add/",
        {
            "name": "Site C",
            "slug": "site-c",
            "crisis_contacts": "Call 999.",
            "enabled_instruments": "[]",
        },
    )
    assert response.status_code == 302
    site = Site.objects.get(slug="site-c")
    assert AuditEvent.objects.filter(action="site.create", actor=superuser, site=site).exists()


def test_unknown_instruments_are_refused(world) -> None:
    client = _client(world.admin_a)
    url = f"/admin/accounts/site/{world.site_a.pk}/change/"
    response = client.post(url, _site_form(world.site_a, enabled_instruments='["nope"]'))
    assert response.status_code == 200
    assert b"Not in the catalogue: nope." in response.content
    world.site_a.refresh_from_db()
    assert world.site_a.enabled_instruments == []


def test_every_admin_page_opens_for_a_superuser(world, superuser: User) -> None:
    from balm.web.admin_site import balm_admin

    client = _client(superuser)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model, model_admin in balm_admin._registry.items():
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        assert client.get(base).status_code == 200, base
        if model_admin.has_add_permission(request):
            assert client.get(f"{base}add/").status_code == 200, base
        first = model._default_manager.first()
        if first is not None:
            assert client.get(f"{base}{first.pk}/change/").status_code == 200, base


# --- Copy to my site -----------------------------------------------------------------------

COPY_URL = "/admin/programmes/programmetemplate/{}/copy/"


def test_administrator_copies_the_shipped_template_and_edits_the_copy(world) -> None:
    shipped = factories.template()
    client = _client(world.admin_a)
    page = client.get(f"/admin/programmes/programmetemplate/{shipped.pk}/change/")
    assert b"Copy to my site" in page.content
    assert COPY_URL.format(shipped.pk).encode() in page.content

    confirm = client.get(COPY_URL.format(shipped.pk))
    assert confirm.status_code == 200
    assert b"Site A pain service" in confirm.content
    assert b"<select" not in confirm.content  # one site: nothing to choose
    assert confirm.context["form"].initial["slug"] == "site-a-cft-persistent-pain-12"
    before = ProgrammeTemplate.objects.count()

    response = client.post(
        COPY_URL.format(shipped.pk),
        {"site": world.site_a.pk, "slug": "", "name": "Our CFT programme"},
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    copy = ProgrammeTemplate.objects.get(slug="site-a-cft-persistent-pain-12")
    assert ProgrammeTemplate.objects.count() == before + 1
    assert response["Location"] == f"/admin/programmes/programmetemplate/{copy.pk}/change/"
    assert copy.site == world.site_a and copy.name == "Our CFT programme"
    assert copy.plans.count() == 12 and copy.schedule.count() == shipped.schedule.count()
    event = AuditEvent.objects.get(action="template.copy")
    assert event.actor == world.admin_a and event.site == world.site_a
    assert event.details["from"] == shipped.slug

    page = client.get(response["Location"])
    assert page.status_code == 200 and b'name="_save"' in page.content
    data = _change_form_data(page, copy)
    data["name"] = "Our CFT programme, edited"
    plan = copy.plans.get(number=4)
    data[_inline_key(page, plan, "title")] = "Pacing with kindness"
    saved = client.post(response["Location"], data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    copy.refresh_from_db()
    plan.refresh_from_db()
    assert copy.name == "Our CFT programme, edited" and plan.title == "Pacing with kindness"
    assert shipped.plans.get(number=4).title != "Pacing with kindness"


def test_copy_from_the_changelist_action_leads_to_the_confirmation(world) -> None:
    shipped = factories.template()
    client = _client(world.admin_a)
    listing = client.get("/admin/programmes/programmetemplate/")
    assert b"Copy to my site" in listing.content
    response = client.post(
        "/admin/programmes/programmetemplate/",
        {"action": "copy_to_my_site", "_selected_action": [shipped.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == COPY_URL.format(shipped.pk)
    assert not AuditEvent.objects.filter(action="template.copy").exists()


def test_administrator_cannot_copy_into_another_site(world) -> None:
    shipped = factories.template()
    client = _client(world.admin_a)
    before = ProgrammeTemplate.objects.count()
    response = client.post(
        COPY_URL.format(shipped.pk),
        {"site": world.site_b.pk, "slug": "b-cft", "name": "Theirs"},
    )
    assert response.status_code == 200
    assert b"You can copy a template only to a site you administer." in response.content
    assert ProgrammeTemplate.objects.count() == before
    assert not ProgrammeTemplate.objects.filter(site=world.site_b).exists()
    assert not AuditEvent.objects.filter(action="template.copy").exists()
    # nor copy site B's own template, which they cannot even see
    from balm.programmes.actions import copy_template_to_site

    theirs = copy_template_to_site(template=shipped, site=world.site_b, slug="site-b", by=None)
    assert client.get(COPY_URL.format(theirs.pk)).status_code == 404
    refused = client.post(
        COPY_URL.format(theirs.pk), {"site": world.site_a.pk, "slug": "stolen", "name": "x"}
    )
    assert refused.status_code == 404
    assert not ProgrammeTemplate.objects.filter(slug="stolen").exists()


def test_a_taken_short_name_is_a_clear_error(world) -> None:
    shipped = factories.template()
    client = _client(world.admin_a)
    response = client.post(
        COPY_URL.format(shipped.pk),
        {"site": world.site_a.pk, "slug": shipped.slug, "name": "Again"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == [
        f"A template with the short name {shipped.slug!r} exists."
    ]
    assert not ProgrammeTemplate.objects.filter(name="Again").exists()


def test_administrator_of_two_sites_chooses_the_site(world) -> None:
    site_c = factories.site("site-c", name="Site C pain service")
    Membership.objects.create(user=world.admin_a, site=site_c, role="administrator")
    shipped = factories.template()
    client = _client(world.admin_a)
    confirm = client.get(COPY_URL.format(shipped.pk))
    assert confirm.status_code == 200
    assert set(confirm.context["form"].fields["site"].queryset) == {world.site_a, site_c}
    assert b"<select" in confirm.content and b"Site B pain service" not in confirm.content
    response = client.post(
        COPY_URL.format(shipped.pk), {"site": site_c.pk, "slug": "", "name": "C's CFT"}
    )
    assert response.status_code == 302
    copy = ProgrammeTemplate.objects.get(slug="site-c-cft-persistent-pain-12")
    assert copy.site == site_c
    assert AuditEvent.objects.get(action="template.copy").site == site_c


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("not a slug!", "Use only letters, numbers, hyphens and underscores in the short name."),
        ("x" * 81, "Use at most 80 characters in the short name."),
    ],
    ids=["malformed", "too-long"],
)
def test_a_bad_short_name_is_shown_with_the_templates_problems(world, slug, expected) -> None:  # type: ignore[no-untyped-def]
    """The short name is checked by the action with everything else, so a bad one does not
    hide what is wrong with the template."""
    shipped = factories.template()
    # saved before templates were checked (straight to the database, no clean())
    ScheduleEntry.objects.filter(template=shipped, instrument_id="pseq").update(
        instrument_id="pseq-10"
    )
    client = _client(world.admin_a)
    before = ProgrammeTemplate.objects.count()
    response = client.post(
        COPY_URL.format(shipped.pk), {"site": world.site_a.pk, "slug": slug, "name": ""}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["slug"] == [expected]
    schedule = form.non_field_errors()
    assert len(schedule) == 3  # pseq at baseline, end and follow-up
    assert all("'pseq-10' is not in the instrument catalogue" in m for m in schedule)
    content = response.content.replace(b"&#x27;", b"'")
    assert expected.encode() in content and b"'pseq-10' is not in the instrument" in content
    assert ProgrammeTemplate.objects.count() == before
    assert not AuditEvent.objects.filter(action="template.copy").exists()


def test_a_blank_name_copies_the_templates_name(world) -> None:  # type: ignore[no-untyped-def]
    shipped = factories.template()
    response = _client(world.admin_a).post(
        COPY_URL.format(shipped.pk), {"site": world.site_a.pk, "slug": "ours", "name": " "}
    )
    assert response.status_code == 302
    assert ProgrammeTemplate.objects.get(slug="ours").name == shipped.name


@pytest.mark.parametrize("persona", ["facilitator_a", "researcher_a", "p1_user"])
def test_only_administrators_may_copy(world, persona: str) -> None:
    shipped = factories.template()
    client = _client(getattr(world, persona))
    before = ProgrammeTemplate.objects.count()
    for response in (
        client.get(COPY_URL.format(shipped.pk)),
        client.post(
            COPY_URL.format(shipped.pk), {"site": world.site_a.pk, "slug": "x", "name": "x"}
        ),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert ProgrammeTemplate.objects.count() == before
    assert not AuditEvent.objects.filter(action="template.copy").exists()


# --- schedule entries are checked against the instrument catalogue --------------------------


def test_unknown_schedule_instrument_is_a_field_error_listing_the_allowed_ids(world) -> None:
    from balm.programmes.actions import copy_template_to_site

    own = copy_template_to_site(
        template=factories.template(), site=world.site_a, slug="site-a-cft", by=world.admin_a
    )
    client = _client(world.admin_a)
    url = f"/admin/programmes/programmetemplate/{own.pk}/change/"
    page = client.get(url)
    data = _change_form_data(page, own)
    phq9 = own.schedule.get(instrument_id="phq9", timepoint="mid")
    gad7 = own.schedule.get(instrument_id="gad7", timepoint="end")
    data[_inline_key(page, phq9, "instrument_id")] = "phq-9"
    data[_inline_key(page, gad7, "instrument_id")] = "gad 7"
    response = client.post(url, data)
    assert response.status_code == 200
    schedule = next(
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.model is ScheduleEntry
    )
    messages = [m for form in schedule.forms for m in form.errors.get("instrument_id", [])]
    assert len(messages) == 2
    assert "'phq-9' is not in the instrument catalogue. Did you mean 'phq9'?" in messages[0]
    for message in messages:
        assert "Allowed: bpi_sf, checkin, core10," in message and "phq9" in message
    assert b"is not in the instrument catalogue" in response.content
    assert sorted(own.schedule.values_list("instrument_id", flat=True).distinct()) == sorted(
        factories.template().schedule.values_list("instrument_id", flat=True).distinct()
    )
    assert not AuditEvent.objects.filter(action__startswith="template.scheduleentry").exists()


# --- the weekly check-in must be a check-in instrument of the catalogue -----------------------

CHECKIN_CHOICES = "Allowed: checkin (or leave it blank for no weekly check-in)."


def test_bad_checkin_instrument_is_a_field_error_listing_the_allowed_ids(world) -> None:
    from balm.programmes.actions import copy_template_to_site

    own = copy_template_to_site(
        template=factories.template(), site=world.site_a, slug="site-a-cft", by=world.admin_a
    )
    client = _client(world.admin_a)
    url = f"/admin/programmes/programmetemplate/{own.pk}/change/"
    page = client.get(url)
    assert b"Leave blank for no weekly check-in." in page.content  # the help text
    events = AuditEvent.objects.count()
    for bad, expected in [
        ("check-in", "'check-in' is not in the instrument catalogue. Did you mean 'checkin'?"),
        ("phq9", "'phq9' cannot be the weekly check-in: "),
    ]:
        data = _change_form_data(page, own)
        data["checkin_instrument"] = bad
        data["name"] = "Renamed"
        response = client.post(url, data)
        assert response.status_code == 200
        (message,) = response.context["adminform"].form.errors["checkin_instrument"]
        assert message.startswith(expected) and message.endswith(CHECKIN_CHOICES)
        assert expected.encode() in response.content.replace(b"&#x27;", b"'")
    own.refresh_from_db()
    assert own.checkin_instrument == "checkin" and own.name != "Renamed"
    assert AuditEvent.objects.count() == events

    data = _change_form_data(page, own)
    data["checkin_instrument"] = ""  # no weekly check-in is a choice too
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    own.refresh_from_db()
    assert own.checkin_instrument == ""


def test_copy_of_a_template_with_a_bad_checkin_instrument_is_refused(world) -> None:
    shipped = factories.template()
    # saved before templates were checked (straight to the database, no clean())
    ProgrammeTemplate.objects.filter(pk=shipped.pk).update(checkin_instrument="gad7")
    client = _client(world.admin_a)
    before = ProgrammeTemplate.objects.count()
    response = client.post(
        COPY_URL.format(shipped.pk),
        {"site": world.site_a.pk, "slug": "", "name": "Our CFT programme"},
    )
    assert response.status_code == 200
    (message,) = response.context["form"].non_field_errors()
    assert message.startswith("Weekly check-in: 'gad7' cannot be the weekly check-in: ")
    assert message.endswith(CHECKIN_CHOICES)
    assert b"Weekly check-in: " in response.content
    assert ProgrammeTemplate.objects.count() == before
    assert not AuditEvent.objects.filter(action="template.copy").exists()
