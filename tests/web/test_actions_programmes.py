"""Actions on cohorts, enrolments, sessions, attendance, sites and links."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from tests.web import factories

from balm.accounts import actions as account_actions
from balm.accounts.errors import InvalidInput, NotAllowed
from balm.accounts.models import ParticipantLink, hash_token
from balm.audit.models import AuditEvent
from balm.outcomes.models import Assessment
from balm.programmes import actions
from balm.programmes.flow import enrolment_flow
from balm.programmes.loader import data_path, load_template, read_template_file
from balm.programmes.models import (
    Attendance,
    Cohort,
    Enrolment,
    EnrolmentStatusChange,
    ProgrammeTemplate,
)

pytestmark = pytest.mark.django_db


def test_default_template_is_shipped_by_migration() -> None:
    template = ProgrammeTemplate.objects.get(slug="cft-persistent-pain-12")
    assert template.weeks == 12
    assert template.plans.count() == 12
    titles = " ".join(template.plans.values_list("title", flat=True)).lower()
    for theme in [
        "three systems",
        "breathing",
        "imagery",
        "compassionate self",
        "critic",
        "multiple selves",
        "acceptance",
        "pacing",
        "belonging",
        "flare-up",
        "endings",
    ]:
        assert theme in titles, theme
    weeks = dict(template.schedule.filter(instrument_id="phq9").values_list("timepoint", "week"))
    assert weeks == {"baseline": 0, "mid": 6, "end": 12, "follow_up": 24}
    assert template.checkin_instrument == "checkin"


def test_template_file_is_checked_and_reload_keeps_edits() -> None:
    data = read_template_file(data_path())
    assert [s["number"] for s in data["sessions"]] == list(range(1, 13))
    template = ProgrammeTemplate.objects.get(slug=data["slug"])
    plan = template.plans.get(number=1)
    plan.title = "Edited by an administrator"
    plan.save()
    _, written = load_template()
    assert not written
    assert template.plans.get(number=1).title == "Edited by an administrator"
    _, written = load_template(replace=True)
    assert written and template.plans.get(number=1).title != "Edited by an administrator"


def test_create_cohort_from_template(world) -> None:  # type: ignore[no-untyped-def]
    start = date(2026, 1, 5)
    cohort = actions.create_cohort_from_template(
        template=factories.template(),
        site=world.site_a,
        name="Tuesday group",
        start_date=start,
        format="online",
        facilitators=[world.facilitator_a],
        by=world.admin_a,
    )
    sessions = list(cohort.sessions.order_by("number"))
    assert [s.number for s in sessions] == list(range(1, 13))
    assert sessions[0].date == start and sessions[-1].date == start + timedelta(weeks=11)
    assert sessions[2].plan.title == "Soothing rhythm breathing"
    assert list(cohort.facilitators.all()) == [world.facilitator_a]
    assert AuditEvent.objects.filter(action="cohort.create", actor=world.admin_a).exists()


def test_create_cohort_problems_and_permissions(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as error:
        actions.create_cohort_from_template(
            template=factories.template(),
            site=world.site_a,
            name=" ",
            start_date=date(2026, 1, 5),
            format="by post",
            facilitators=[world.facilitator_b],
            by=world.facilitator_a,
        )
    assert {p.field for p in error.value.problems} == {"name", "format", "facilitators"}
    for outsider in (world.facilitator_b, world.researcher_a, world.p1_user):
        with pytest.raises(NotAllowed):
            actions.create_cohort_from_template(
                template=factories.template(),
                site=world.site_a,
                name="x",
                start_date=date(2026, 1, 5),
                format="online",
                by=outsider,
            )


def test_enrol_participant(world) -> None:  # type: ignore[no-untyped-def]
    person = factories.participant(world.site_a, "P9")
    enrolment = actions.enrol_participant(
        participant=person,
        cohort=world.cohort_a,
        diagnosis_category="back_spinal",
        consent_recorded_on=date(2026, 1, 2),
        by=world.facilitator_a,
    )
    assert enrolment.status == "referred"
    assert enrolment.format == "in_person"  # from the cohort
    assert enrolment.history.get().status == "referred"
    assert Assessment.objects.filter(enrolment=enrolment, instrument_id="phq9").count() == 4


def test_enrol_reports_every_problem(world) -> None:  # type: ignore[no-untyped-def]
    other_site = factories.participant(world.site_b, "B1")
    with pytest.raises(InvalidInput) as error:
        actions.enrol_participant(
            participant=other_site,
            cohort=world.cohort_a,
            diagnosis_category="unknown",
            format="carrier pigeon",
            by=world.facilitator_a,
        )
    assert {p.field for p in error.value.problems} == {
        "participant",
        "diagnosis_category",
        "format",
    }
    with pytest.raises(InvalidInput, match="already"):
        actions.enrol_participant(
            participant=world.p1,
            cohort=world.cohort_a,
            diagnosis_category="other",
            by=world.facilitator_a,
        )


def test_enrol_skips_instruments_the_site_does_not_use(world) -> None:  # type: ignore[no-untyped-def]
    world.site_a.enabled_instruments = ["phq9"]
    world.site_a.save()
    enrolment = factories.enrol(factories.participant(world.site_a), world.cohort_a)
    assert set(enrolment.assessments.values_list("instrument_id", flat=True)) == {"phq9"}
    event = AuditEvent.objects.filter(action="enrolment.create").first()
    assert "gad7" in event.details["skipped_instruments"]


def test_status_changes_keep_history(world) -> None:  # type: ignore[no-untyped-def]
    e = world.enrolment_p1
    today = timezone.localdate()
    actions.change_enrolment_status(
        enrolment=e, status="assessed", on=today, by=world.facilitator_a
    )
    actions.change_enrolment_status(enrolment=e, status="started", on=today, by=world.facilitator_a)
    with pytest.raises(InvalidInput) as error:
        actions.change_enrolment_status(
            enrolment=e, status="withdrawn", on=today - timedelta(days=30), by=world.facilitator_a
        )
    assert {p.field for p in error.value.problems} == {"reason", "on"}
    actions.change_enrolment_status(
        enrolment=e, status="withdrawn", reason="Flare-up; may rejoin", by=world.facilitator_a
    )
    e.refresh_from_db()
    assert e.status == "withdrawn"
    assert list(e.history.values_list("status", flat=True)) == [
        "referred",
        "assessed",
        "started",
        "withdrawn",
    ]
    with pytest.raises(InvalidInput):
        actions.change_enrolment_status(enrolment=e, status="started", by=world.facilitator_a)
    with pytest.raises(NotAllowed):
        actions.change_enrolment_status(
            enrolment=world.enrolment_p2, status="assessed", by=world.researcher_a
        )


def test_enrolment_flow_counts_are_computed_from_records(world) -> None:  # type: ignore[no-untyped-def]
    def advance(enrolment, *steps):  # type: ignore[no-untyped-def]
        for step in steps:
            reason = "moved away" if step == "withdrawn" else ""
            actions.change_enrolment_status(
                enrolment=enrolment, status=step, reason=reason, by=world.facilitator_a
            )

    extra = [factories.enrol(factories.participant(world.site_a), world.cohort_a) for _ in range(3)]
    advance(world.enrolment_p1, "assessed", "started", "completed")
    advance(world.enrolment_p2, "assessed", "started", "withdrawn")
    advance(extra[0], "assessed", "started")
    advance(extra[1], "withdrawn")
    flow = enrolment_flow(world.cohort_a)
    assert (flow.referred, flow.assessed, flow.started, flow.completed) == (5, 3, 3, 1)
    assert (flow.withdrawn, flow.withdrawn_before_start, flow.withdrawn_after_start) == (2, 1, 1)
    assert flow.reasons == {"moved away": 2}
    assert enrolment_flow(world.cohort_b).referred == 0
    assert (
        EnrolmentStatusChange.objects.filter(enrolment__cohort=world.cohort_a).count()
        == 5 + 3 + 3 + 2 + 1
    )


def test_record_attendance(world) -> None:  # type: ignore[no-untyped-def]
    session = world.cohort_a.sessions.get(number=1)
    actions.record_attendance(
        session=session,
        marks={world.enrolment_p1: "present", world.enrolment_p2.pk: "apologies"},
        by=world.facilitator_a,
    )
    actions.record_attendance(
        session=session, marks={world.enrolment_p2: "absent"}, by=world.facilitator_a
    )
    marks = dict(Attendance.objects.values_list("enrolment__participant__pseudonym", "mark"))
    assert marks == {"P1": "present", "P2": "absent"}
    outsider = factories.enrol(factories.participant(world.site_b), world.cohort_b)
    with pytest.raises(InvalidInput) as error:
        actions.record_attendance(
            session=session,
            marks={outsider: "present", world.enrolment_p1: "late"},
            by=world.facilitator_a,
        )
    assert len(error.value.problems) == 2
    with pytest.raises(NotAllowed):
        actions.record_attendance(
            session=session, marks={world.enrolment_p1: "absent"}, by=world.facilitator_b
        )


def test_record_session_notes(world) -> None:  # type: ignore[no-untyped-def]
    session = world.cohort_a.sessions.get(number=2)
    actions.record_session_notes(
        session=session,
        delivered_content="Three circles; shortened breathing practice",
        reflections="Group quiet at first; warmed up after the pairs exercise",
        by=world.facilitator_a,
    )
    session.refresh_from_db()
    assert session.reflections.startswith("Group quiet")
    with pytest.raises(NotAllowed):
        actions.record_session_notes(session=session, reflections="x", by=world.researcher_a)


def test_participant_links(world) -> None:  # type: ignore[no-untyped-def]
    link, token = account_actions.issue_participant_link(
        participant=world.p1, by=world.facilitator_a, days=7
    )
    assert len(token) >= 40
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    assert not ParticipantLink.objects.filter(token_hash=token).exists()
    assert account_actions.open_participant_link(token=token).participant == world.p1
    assert account_actions.open_participant_link(token=token + "x") is None
    account_actions.revoke_participant_link(link=link, by=world.facilitator_a, reason="lost phone")
    account_actions.revoke_participant_link(link=link, by=world.facilitator_a)  # idempotent
    assert account_actions.open_participant_link(token=token) is None
    assert AuditEvent.objects.filter(action="participant_link.revoke").count() == 1
    expired, expired_token = account_actions.issue_participant_link(participant=world.p1, by=None)
    ParticipantLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    assert account_actions.open_participant_link(token=expired_token) is None
    with pytest.raises(NotAllowed):
        account_actions.issue_participant_link(participant=world.p1, by=world.facilitator_b)
    with pytest.raises(NotAllowed):
        account_actions.issue_participant_link(participant=world.p1, by=world.researcher_a)


def test_sites_memberships_participants(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as error:
        account_actions.create_site(name="", slug="site-a", crisis_contacts="", by=None)
    assert {p.field for p in error.value.problems} == {"name", "slug", "crisis_contacts"}
    with pytest.raises(NotAllowed):
        account_actions.create_site(name="X", slug="x", crisis_contacts="999", by=world.admin_a)
    newcomer = factories.user("newcomer")
    account_actions.add_membership(
        user=newcomer, site=world.site_a, role="facilitator", by=world.admin_a
    )
    with pytest.raises(NotAllowed):
        account_actions.add_membership(
            user=newcomer, site=world.site_b, role="facilitator", by=world.admin_a
        )
    with pytest.raises(InvalidInput):
        account_actions.create_participant(site=world.site_a, pseudonym="P1", by=world.admin_a)
    made = account_actions.create_participant(
        site=world.site_a, pseudonym="P77", by=world.facilitator_a
    )
    assert made.site == world.site_a
    assert Cohort.objects.count() == 2 and Enrolment.objects.count() == 2


def test_change_cohort_status(world) -> None:  # type: ignore[no-untyped-def]
    actions.change_cohort_status(cohort=world.cohort_a, status="running", by=world.facilitator_a)
    world.cohort_a.refresh_from_db()
    assert world.cohort_a.status == "running"
    with pytest.raises(InvalidInput):
        actions.change_cohort_status(cohort=world.cohort_a, status="paused", by=None)
    with pytest.raises(NotAllowed):
        actions.change_cohort_status(
            cohort=world.cohort_a, status="finished", by=world.researcher_a
        )


def test_administrators_edit_their_sites_copy_of_a_template(world) -> None:  # type: ignore[no-untyped-def]
    from balm.accounts import permissions

    shipped = factories.template()
    assert not permissions.can_edit_template(world.admin_a, shipped)
    with pytest.raises(NotAllowed):
        actions.copy_template_to_site(
            template=shipped, site=world.site_a, slug="a-cft", by=world.facilitator_a
        )
    copy = actions.copy_template_to_site(
        template=shipped, site=world.site_a, slug="a-cft", by=world.admin_a
    )
    assert copy.plans.count() == 12 and copy.schedule.count() == shipped.schedule.count()
    assert permissions.can_edit_template(world.admin_a, copy)
    assert not permissions.can_edit_template(world.facilitator_a, copy)
    plan = copy.plans.get(number=4)
    actions.update_session_plan(plan=plan, title="Pacing with kindness", by=world.admin_a)
    assert copy.plans.get(number=4).title == "Pacing with kindness"
    assert shipped.plans.get(number=4).title != "Pacing with kindness"
    with pytest.raises(InvalidInput):
        actions.update_session_plan(plan=plan, aims="  ", by=world.admin_a)
    with pytest.raises(NotAllowed):
        actions.update_session_plan(plan=plan, title="x", by=world.facilitator_b)
    with pytest.raises(InvalidInput):  # site B cannot use site A's template
        actions.create_cohort_from_template(
            template=copy,
            site=world.site_b,
            name="x",
            start_date=date(2026, 1, 5),
            format="online",
            by=None,
        )


# --- schedule entries name catalogue instruments ---------------------------------------------


def _template_file(tmp_path, **changes):  # type: ignore[no-untyped-def]
    import yaml

    raw = yaml.safe_load(data_path().read_text(encoding="utf-8"))
    raw.update(changes)
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_shipped_template_names_only_catalogue_instruments() -> None:
    from balm.instruments import catalogue

    data = read_template_file(data_path())
    assert {entry["instrument_id"] for entry in data["schedule"]} <= set(catalogue())
    template, _ = load_template()
    assert template.schedule.count() == len(data["schedule"])


def test_template_file_with_unknown_instruments_reports_every_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from balm.programmes.loader import TemplateFileError

    path = _template_file(
        tmp_path,
        slug="typo-template",
        measures=[
            {"instrument": "phq-9", "timepoints": ["baseline", "end"]},
            {"instrument": "gad7", "timepoints": ["baseline", "end"]},
            {"instrument": "dass", "timepoints": ["mid"]},
            {"timepoints": ["baseline"]},
        ],
    )
    with pytest.raises(TemplateFileError) as error:
        read_template_file(path)
    assert isinstance(error.value, InvalidInput)
    problems = error.value.problems
    assert [p.field for p in problems] == ["measures"] * 3
    assert problems[0].message.startswith(
        "entry 1 (baseline week 0, end week 12): 'phq-9' is not in the instrument catalogue. "
        "Did you mean 'phq9'? Allowed: bpi_sf, checkin, core10,"
    )
    assert problems[1].message.startswith("entry 3 (mid week 6): 'dass' is not in the instrument")
    assert problems[2].message.startswith("entry 4 (baseline week 0): Give an instrument id.")
    assert all("pseq, scs_sf" in p.message for p in problems)
    assert str(error.value).startswith("typo.yaml: measures: entry 1")

    before = ProgrammeTemplate.objects.count()
    with pytest.raises(TemplateFileError):
        load_template(path)
    with pytest.raises(CommandError) as command_error:
        call_command("load_programme_templates", str(path))
    lines = str(command_error.value).splitlines()
    assert lines[0] == "typo.yaml was not loaded:" and len(lines) == 4
    assert ProgrammeTemplate.objects.count() == before
    assert not ProgrammeTemplate.objects.filter(slug="typo-template").exists()


def test_template_file_problems_are_reported_together(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from balm.programmes.loader import TemplateFileError

    path = _template_file(
        tmp_path,
        timepoints={"baseline": 0, "middle": 6},
        measures=[
            {"instrument": "phq9", "timepoints": ["baseline", "end"]},
            {"instrument": "phq9", "timepoints": ["baseline"]},
        ],
    )
    with pytest.raises(TemplateFileError) as error:
        read_template_file(path)
    messages = [p.message for p in error.value.problems]
    assert messages == [
        "unknown timepoints ['middle']; allowed: baseline, mid, end, follow_up",
        "entry 1 (phq9): timepoint end has no week",
        "entry 2: phq9 is already due at baseline",
    ]


def test_schedule_entry_clean_lists_the_allowed_instruments() -> None:
    from django.core.exceptions import ValidationError

    from balm.programmes.models import ScheduleEntry

    template = factories.template()
    ScheduleEntry(template=template, instrument_id="phq9", timepoint="mid", week=6).clean()
    with pytest.raises(ValidationError) as error:
        ScheduleEntry(template=template, instrument_id="phq-9", timepoint="mid", week=6).clean()
    (message,) = error.value.message_dict["instrument_id"]
    assert "'phq-9' is not in the instrument catalogue" in message
    assert "Allowed: bpi_sf, checkin, core10," in message


def test_copy_refuses_a_template_with_unknown_instruments(world) -> None:  # type: ignore[no-untyped-def]
    from balm.programmes.models import ScheduleEntry

    old = actions.copy_template_to_site(
        template=factories.template(), site=world.site_a, slug="old-a", by=None
    )
    # entries saved before they were checked (straight to the database, no clean())
    ScheduleEntry.objects.filter(template=old, instrument_id="phq9").update(instrument_id="phq-9")
    ScheduleEntry.objects.create(template=old, instrument_id="gad_7", timepoint="mid", week=6)
    before = (ProgrammeTemplate.objects.count(), ScheduleEntry.objects.count())
    with pytest.raises(InvalidInput) as error:
        actions.copy_template_to_site(
            template=old, site=world.site_a, slug="old-a", by=world.admin_a
        )
    by_field = error.value.by_field()
    assert by_field["slug"] == ["A template with the short name 'old-a' exists."]
    assert len(by_field["schedule"]) == 5  # phq-9 at four timepoints and gad_7
    assert by_field["schedule"][0].startswith(
        "baseline (week 0): 'phq-9' is not in the instrument catalogue. Did you mean 'phq9'?"
    )
    assert any(m.startswith("mid (week 6): 'gad_7'") for m in by_field["schedule"])
    assert all("Allowed: bpi_sf," in m for m in by_field["schedule"])
    assert (ProgrammeTemplate.objects.count(), ScheduleEntry.objects.count()) == before
    assert not AuditEvent.objects.filter(action="template.copy", actor=world.admin_a).exists()


def test_a_cohort_is_not_made_from_a_template_with_unknown_instruments(world) -> None:  # type: ignore[no-untyped-def]
    """A template edited straight in the database (or left behind by a catalogue change)
    cannot start a group whose questionnaires could never be scheduled or scored."""
    from balm.programmes.models import Cohort, ScheduleEntry

    old = actions.copy_template_to_site(
        template=factories.template(), site=world.site_a, slug="old-b", by=None
    )
    ScheduleEntry.objects.filter(template=old, instrument_id="phq9").update(instrument_id="phq-9")
    before = Cohort.objects.count()
    with pytest.raises(InvalidInput) as error:
        actions.create_cohort_from_template(
            template=old,
            site=world.site_a,
            name="",
            start_date=date(2026, 1, 5),
            format="online",
            by=world.facilitator_a,
        )
    by_field = error.value.by_field()
    assert by_field["name"] == ["Give the group a name."]  # reported with the others
    assert len(by_field["template"]) == 4  # phq-9 at four timepoints
    assert by_field["template"][0].startswith(
        f"The template {old.name!r} cannot be used: baseline (week 0): 'phq-9' is not in the "
        "instrument catalogue. Did you mean 'phq9'?"
    )
    assert Cohort.objects.count() == before


def test_copy_to_another_site_is_not_allowed(world) -> None:  # type: ignore[no-untyped-def]
    before = ProgrammeTemplate.objects.count()
    with pytest.raises(NotAllowed):
        actions.copy_template_to_site(
            template=factories.template(), site=world.site_b, slug="b-cft", by=world.admin_a
        )
    with pytest.raises(InvalidInput) as error:
        actions.copy_template_to_site(
            template=factories.template(), site=world.site_a, slug="not a slug", by=world.admin_a
        )
    assert [p.field for p in error.value.problems] == ["slug"]
    assert ProgrammeTemplate.objects.count() == before


# --- the weekly check-in names a check-in instrument of the catalogue -------------------------

CHECKIN_CHOICES = "Allowed: checkin (or leave it blank for no weekly check-in)."


def test_only_the_checkin_instrument_fits_the_weekly_checkin() -> None:
    """The catalogue has no "kind"; a check-in instrument is one the check-in page can ask:
    item wording held, numbers and free text only, no safety items."""
    from balm.instruments import catalogue
    from balm.programmes.schedule import checkin_instrument_ids, unfit_checkin

    assert checkin_instrument_ids() == ["checkin"]
    assert unfit_checkin("checkin") is None
    assert unfit_checkin("") is None and unfit_checkin(None) is None  # no weekly check-in
    for instrument_id in set(catalogue()) - {"checkin"}:
        message = unfit_checkin(instrument_id)
        assert message and message.startswith(f"{instrument_id!r} cannot be the weekly check-in")
        assert message.endswith(CHECKIN_CHOICES)
    assert "safety item (q9)" in (unfit_checkin("phq9") or "")
    assert unfit_checkin(" ") == f"Give an instrument id. {CHECKIN_CHOICES}"
    assert unfit_checkin(5) == f"5 is not an instrument id. {CHECKIN_CHOICES}"


def test_template_file_with_a_bad_checkin_instrument_is_not_loaded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from balm.programmes.loader import TemplateFileError

    before = ProgrammeTemplate.objects.count()
    for value, expected in [
        (
            "chekin",
            "'chekin' is not in the instrument catalogue. Did you mean 'checkin'? "
            + CHECKIN_CHOICES,
        ),
        (
            "phq9",
            "'phq9' cannot be the weekly check-in: it asks for a choice from a list of options, "
            "and the check-in asks only numbers and free text; it has a safety item (q9), and a "
            "check-in raises no safety alert. " + CHECKIN_CHOICES,
        ),
        (["checkin"], f"['checkin'] is not an instrument id. {CHECKIN_CHOICES}"),
    ]:
        path = _template_file(tmp_path, slug="bad-checkin", checkin_instrument=value)
        with pytest.raises(TemplateFileError) as error:
            read_template_file(path)
        assert [(p.field, p.message) for p in error.value.problems] == [
            ("checkin_instrument", expected)
        ]
        with pytest.raises(TemplateFileError):
            load_template(path)
        with pytest.raises(CommandError) as command_error:
            call_command("load_programme_templates", str(path))
        assert str(command_error.value).splitlines() == [
            "typo.yaml was not loaded:",
            f"  checkin_instrument: {expected}",
        ]
    assert ProgrammeTemplate.objects.count() == before
    assert not ProgrammeTemplate.objects.filter(slug="bad-checkin").exists()

    # reported together with the file's other problems
    path = _template_file(
        tmp_path,
        checkin_instrument="gad7",
        measures=[{"instrument": "phq-9", "timepoints": ["baseline"]}],
    )
    with pytest.raises(TemplateFileError) as error:
        read_template_file(path)
    assert [p.field for p in error.value.problems] == ["measures", "checkin_instrument"]


def test_template_file_without_a_checkin_or_with_spaces_around_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import yaml

    raw = yaml.safe_load(data_path().read_text(encoding="utf-8"))
    del raw["checkin_instrument"]
    path = tmp_path / "none.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert read_template_file(path)["checkin_instrument"] == ""
    for value, stored in [("", ""), (None, ""), (" checkin ", "checkin")]:
        path = _template_file(tmp_path, checkin_instrument=value)
        assert read_template_file(path)["checkin_instrument"] == stored


def test_template_clean_refuses_a_bad_checkin_instrument() -> None:
    from django.core.exceptions import ValidationError

    template = factories.template()
    template.clean()
    for ok in ("checkin", ""):
        ProgrammeTemplate(slug="x", name="x", checkin_instrument=ok).clean()
    for bad in ("check-in", "gad7"):
        with pytest.raises(ValidationError) as error:
            ProgrammeTemplate(slug="x", name="x", checkin_instrument=bad).clean()
        (message,) = error.value.message_dict["checkin_instrument"]
        assert message.startswith(f"{bad!r} ") and message.endswith(CHECKIN_CHOICES)


def test_copy_refuses_a_template_with_a_bad_checkin_instrument(world) -> None:  # type: ignore[no-untyped-def]
    from balm.programmes.models import ScheduleEntry, SessionPlan

    old = actions.copy_template_to_site(
        template=factories.template(), site=world.site_a, slug="old-a", by=None
    )
    # saved before templates were checked (straight to the database, no clean())
    ProgrammeTemplate.objects.filter(pk=old.pk).update(checkin_instrument="phq-9")
    old.refresh_from_db()
    counts = (
        ProgrammeTemplate.objects.count(),
        SessionPlan.objects.count(),
        ScheduleEntry.objects.count(),
    )
    with pytest.raises(InvalidInput) as error:
        actions.copy_template_to_site(
            template=old, site=world.site_a, slug="new-a", by=world.admin_a
        )
    assert [(p.field, p.message) for p in error.value.problems] == [
        (
            "checkin_instrument",
            "Weekly check-in: 'phq-9' is not in the instrument catalogue. " + CHECKIN_CHOICES,
        )
    ]
    after = (
        ProgrammeTemplate.objects.count(),
        SessionPlan.objects.count(),
        ScheduleEntry.objects.count(),
    )
    assert after == counts
    assert not ProgrammeTemplate.objects.filter(slug="new-a").exists()
    assert not AuditEvent.objects.filter(action="template.copy", actor=world.admin_a).exists()

    # a template without a weekly check-in copies as it is
    ProgrammeTemplate.objects.filter(pk=old.pk).update(checkin_instrument="")
    old.refresh_from_db()
    copy = actions.copy_template_to_site(
        template=old, site=world.site_a, slug="new-a", by=world.admin_a
    )
    assert copy.checkin_instrument == ""


# --- malformed template files are a TemplateFileError listing every problem -------------------


def _shipped_raw():  # type: ignore[no-untyped-def]
    import yaml

    return yaml.safe_load(data_path().read_text(encoding="utf-8"))


def _write(tmp_path, raw, name="bad.yaml"):  # type: ignore[no-untyped-def]
    import yaml

    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _session_without_number(raw):  # type: ignore[no-untyped-def]
    del raw["sessions"][2]["number"]


def _measure_timepoint_list(raw):  # type: ignore[no-untyped-def]
    raw["measures"][1]["timepoints"] = [["baseline"], "end"]


BAD_VALUES = [
    ("weeks-a-word", lambda raw: raw.update(weeks="twelve"), "weeks"),
    ("weeks-empty", lambda raw: raw.update(weeks=None), "weeks"),
    ("weeks-a-bool", lambda raw: raw.update(weeks=True), "weeks"),
    ("weeks-zero", lambda raw: raw.update(weeks=0), "weeks"),
    ("weeks-huge", lambda raw: raw.update(weeks=10**12), "weeks"),
    ("session-without-number", _session_without_number, "sessions[3].number"),
    ("session-a-string", lambda raw: raw["sessions"].__setitem__(2, "Three"), "sessions[3]"),
    ("session-number-a-word", lambda raw: raw["sessions"][2].update(number="3"), "sessions[3]"),
    ("session-number-too-big", lambda raw: raw["sessions"][11].update(number=13), "sessions[12]"),
    ("session-title-a-list", lambda raw: raw["sessions"][0].update(title=["x"]), "sessions[1]"),
    ("sessions-empty", lambda raw: raw.update(sessions=None), "sessions"),
    ("sessions-empty-list", lambda raw: raw.update(sessions=[]), "sessions"),
    ("timepoints-empty", lambda raw: raw.update(timepoints=None), "timepoints"),
    ("timepoint-week-a-word", lambda raw: raw["timepoints"].update(mid="two"), "timepoints.mid"),
    ("timepoints-a-list", lambda raw: raw.update(timepoints=[["baseline"]]), "timepoints"),
    ("baseline-negative", lambda raw: raw["timepoints"].update(baseline=-5), "timepoints.baseline"),
    ("week-a-bool", lambda raw: raw["timepoints"].update(end=True), "timepoints.end"),
    ("week-far-away", lambda raw: raw["timepoints"].update(follow_up=1000), "timepoints.follow_up"),
    ("measure-timepoint-a-list", _measure_timepoint_list, "measures"),
    ("measures-empty", lambda raw: raw.update(measures=None), "measures"),
    ("slug-not-a-slug", lambda raw: raw.update(slug="not a slug"), "slug"),
    ("name-empty", lambda raw: raw.update(name=None), "name"),
]


@pytest.mark.parametrize(
    ("edit", "field"),
    [(edit, field) for _, edit, field in BAD_VALUES],
    ids=[i for i, *_ in BAD_VALUES],
)
def test_a_malformed_template_file_is_a_template_file_error(tmp_path, edit, field) -> None:  # type: ignore[no-untyped-def]
    """Never a ValueError, TypeError or KeyError: a TemplateFileError naming the place."""
    from balm.programmes.loader import TemplateFileError

    raw = _shipped_raw()
    raw["slug"] = "malformed"
    edit(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(TemplateFileError) as error:
        read_template_file(path)
    fields = [p.field for p in error.value.problems]
    assert any(f == field or f.startswith(f"{field}.") for f in fields), error.value.problems
    assert all(p.message for p in error.value.problems)
    before = ProgrammeTemplate.objects.count()
    with pytest.raises(CommandError) as command_error:
        call_command("load_programme_templates", str(path))
    lines = str(command_error.value).splitlines()
    assert lines[0] == "bad.yaml was not loaded:"
    assert lines[1:] == [f"  {p.field}: {p.message}" for p in error.value.problems]
    assert ProgrammeTemplate.objects.count() == before


def test_the_problems_of_a_malformed_template_file_are_all_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from balm.programmes.loader import TemplateFileError

    raw = _shipped_raw()
    raw["slug"] = "malformed"
    raw["name"] = "  "
    raw["sessions"][2] = "Three systems"
    del raw["sessions"][4]["number"]
    raw["sessions"][6]["number"] = "seven"
    raw["sessions"][7]["aims"] = ""
    raw["timepoints"].update(mid="two", baseline=-5)
    raw["measures"][1]["timepoints"] = [["baseline"], "end"]
    raw["measures"][2] = "dass21"
    raw["checkin_instrument"] = "chekin"
    path = _write(tmp_path, raw)
    with pytest.raises(TemplateFileError) as error:
        read_template_file(path)
    by_field = error.value.by_field()
    assert list(by_field) == [
        "name",
        "sessions[3]",
        "sessions[5].number",
        "sessions[7].number",
        "sessions[8].aims",
        "timepoints.baseline",
        "timepoints.mid",
        "measures",
        "checkin_instrument",
    ]
    assert by_field["sessions[7].number"] == [
        "entry 7: number must be a whole number from 1 to 12, not 'seven'"
    ]
    assert by_field["timepoints.mid"] == ["must be a whole number of weeks from 0 to 64, not 'two'"]
    assert by_field["timepoints.baseline"] == [
        "must be a whole number of weeks from 0 to 64, not -5"
    ]
    assert by_field["measures"][0] == (
        "entry 2 (gad7): timepoint ['baseline'] is not a timepoint name; "
        "allowed: baseline, mid, end, follow_up"
    )
    assert by_field["measures"][1].startswith("entry 3 must be {instrument, timepoints}")
    assert str(error.value).startswith("bad.yaml: name: ")

    with pytest.raises(CommandError) as command_error:
        call_command("load_programme_templates", str(path))
    lines = str(command_error.value).splitlines()
    assert len(lines) == 1 + len(error.value.problems) == 11
    assert not ProgrammeTemplate.objects.filter(slug="malformed").exists()


def test_a_template_file_that_is_not_yaml_is_a_template_file_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from balm.programmes.loader import TemplateFileError

    for text in ("slug: [unclosed\n", "weeks:\n\t- 12\n", "- a list\n", ""):
        path = tmp_path / "bad.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(TemplateFileError) as error:
            read_template_file(path)
        assert [p.field for p in error.value.problems] == [""]
    path.write_bytes(b"slug: caf\xe9\n")
    with pytest.raises(TemplateFileError) as error:
        read_template_file(path)
    assert error.value.problems[0].message.startswith("is not UTF-8 text")


def test_load_programme_templates_loads_nothing_when_one_file_is_bad(tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = _shipped_raw()
    good["slug"] = "good-one"
    bad = _shipped_raw()
    bad["slug"] = "bad-one"
    bad["weeks"] = "twelve"
    worse = _shipped_raw()
    worse["slug"] = "worse-one"
    worse["timepoints"] = [["baseline"]]
    paths = [
        _write(tmp_path, good, "good.yaml"),
        _write(tmp_path, bad, "bad.yaml"),
        _write(tmp_path, worse, "worse.yaml"),
    ]
    with pytest.raises(CommandError) as command_error:
        call_command("load_programme_templates", *map(str, paths))
    text = str(command_error.value)
    assert text.startswith("Nothing was loaded.")
    assert "bad.yaml was not loaded:\n  weeks: " in text
    assert "worse.yaml was not loaded:\n  timepoints: " in text
    assert "good.yaml" not in text
    assert not ProgrammeTemplate.objects.filter(slug__in=["good-one", "bad-one"]).exists()
    call_command("load_programme_templates", str(paths[0]))
    assert ProgrammeTemplate.objects.filter(slug="good-one").exists()


def test_a_copy_racing_another_for_the_short_name_is_refused_cleanly(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Another copy takes the short name between the check and the create (as two requests at
    once would): the unique constraint refuses it and the action says the name is taken."""
    from balm.programmes.models import ScheduleEntry, SessionPlan

    shipped = factories.template()
    real_check = actions.template_catalogue_problems

    def the_other_request_wins(template):  # type: ignore[no-untyped-def]
        ProgrammeTemplate.objects.create(slug="race-a", name="First", site=world.site_a)
        return real_check(template)

    monkeypatch.setattr(actions, "template_catalogue_problems", the_other_request_wins)
    counts = (SessionPlan.objects.count(), ScheduleEntry.objects.count())
    with pytest.raises(InvalidInput) as error:
        actions.copy_template_to_site(
            template=shipped, site=world.site_a, slug="race-a", by=world.admin_a
        )
    assert [(p.field, p.message) for p in error.value.problems] == [
        ("slug", "A template with the short name 'race-a' exists.")
    ]
    assert ProgrammeTemplate.objects.get(slug="race-a").name == "First"
    assert (SessionPlan.objects.count(), ScheduleEntry.objects.count()) == counts
    assert not AuditEvent.objects.filter(action="template.copy").exists()
