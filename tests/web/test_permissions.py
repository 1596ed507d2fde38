"""One test per rule and persona (facilitator A = owner, facilitator B = other site,
researcher A, administrator A, participants P1 and P2)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from tests.web import factories

from balm.accounts import permissions as perm
from balm.accounts.errors import NotAllowed
from balm.outcomes.actions import submit_response
from balm.outcomes.models import SafetyAlert

pytestmark = pytest.mark.django_db


def _alert(world):  # type: ignore[no-untyped-def]
    assessment = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    answers = {**factories.PHQ9_ZEROS, "q9": 1}
    submit_response(
        assessment=assessment, answers=answers, client_id=factories.client_id(), by=world.p1
    )
    return SafetyAlert.objects.get(response__assessment=assessment)


def test_visible_cohorts(world) -> None:  # type: ignore[no-untyped-def]
    a, b = world.cohort_a, world.cohort_b
    assert set(perm.visible_cohorts(world.facilitator_a)) == {a}
    assert set(perm.visible_cohorts(world.facilitator_b)) == {b}
    assert set(perm.visible_cohorts(world.researcher_a)) == {a}
    assert set(perm.visible_cohorts(world.admin_a)) == {a}
    assert set(perm.visible_cohorts(world.p1_user)) == {a}
    assert set(perm.visible_cohorts(AnonymousUser())) == set()


def test_can_view_cohort(world) -> None:  # type: ignore[no-untyped-def]
    assert perm.can_view_cohort(world.facilitator_a, world.cohort_a)
    assert not perm.can_view_cohort(world.facilitator_b, world.cohort_a)
    assert perm.can_view_cohort(world.researcher_a, world.cohort_a)
    assert not perm.can_view_cohort(world.researcher_a, world.cohort_b)


def test_can_view_enrolment(world) -> None:  # type: ignore[no-untyped-def]
    e1 = world.enrolment_p1
    assert perm.can_view_enrolment(world.facilitator_a, e1)
    assert not perm.can_view_enrolment(world.facilitator_b, e1)
    assert perm.can_view_enrolment(world.researcher_a, e1)
    assert perm.can_view_enrolment(world.admin_a, e1)
    assert perm.can_view_enrolment(world.p1_user, e1)
    assert not perm.can_view_enrolment(world.p2_user, e1)


def test_visible_enrolments_participant_sees_only_own(world) -> None:  # type: ignore[no-untyped-def]
    assert set(perm.visible_enrolments(world.p1_user)) == {world.enrolment_p1}
    assert set(perm.visible_enrolments(world.p2_user)) == {world.enrolment_p2}
    assert set(perm.visible_enrolments(world.facilitator_b)) == set()
    assert set(perm.visible_enrolments(world.facilitator_a)) == {
        world.enrolment_p1,
        world.enrolment_p2,
    }


def test_visible_participants(world) -> None:  # type: ignore[no-untyped-def]
    assert set(perm.visible_participants(world.p1_user)) == {world.p1}
    assert set(perm.visible_participants(world.facilitator_b)) == set()
    assert set(perm.visible_participants(world.researcher_a)) == {world.p1, world.p2}
    assert perm.can_view_participant(world.p1_user, world.p1)
    assert not perm.can_view_participant(world.p2_user, world.p1)


def test_can_edit_clinical(world) -> None:  # type: ignore[no-untyped-def]
    a, b = world.site_a, world.site_b
    assert perm.can_edit_clinical(world.facilitator_a, a)
    assert not perm.can_edit_clinical(world.facilitator_a, b)
    assert not perm.can_edit_clinical(world.facilitator_b, a)
    assert not perm.can_edit_clinical(world.researcher_a, a)
    assert perm.can_edit_clinical(world.admin_a, a)
    assert not perm.can_edit_clinical(world.p1_user, a)


def test_researchers_see_pseudonyms_only(world) -> None:  # type: ignore[no-untyped-def]
    a = world.site_a
    assert perm.can_view_pseudonymised(world.researcher_a, a)
    assert not perm.can_view_identifiable(world.researcher_a, a)
    assert perm.can_view_identifiable(world.facilitator_a, a)
    assert not perm.can_view_identifiable(world.facilitator_b, a)


def test_can_manage_site(world) -> None:  # type: ignore[no-untyped-def]
    assert perm.can_manage_site(world.admin_a, world.site_a)
    assert not perm.can_manage_site(world.admin_a, world.site_b)
    assert not perm.can_manage_site(world.facilitator_a, world.site_a)
    assert not perm.can_manage_site(world.researcher_a, world.site_a)


def test_can_answer_as(world) -> None:  # type: ignore[no-untyped-def]
    e1 = world.enrolment_p1
    assert perm.can_answer_as(world.p1, e1)  # through a personal link
    assert perm.can_answer_as(world.p1_user, e1)  # through an account
    assert not perm.can_answer_as(world.p2, e1)
    assert not perm.can_answer_as(world.p2_user, e1)
    assert perm.can_answer_as(world.facilitator_a, e1)  # entering a paper form
    assert not perm.can_answer_as(world.facilitator_b, e1)
    assert not perm.can_answer_as(world.researcher_a, e1)


def test_alerts_visible_to_clinical_staff_of_the_site_only(world) -> None:  # type: ignore[no-untyped-def]
    alert = _alert(world)
    assert list(perm.visible_alerts(world.facilitator_a)) == [alert]
    assert list(perm.visible_alerts(world.admin_a)) == [alert]
    assert list(perm.visible_alerts(world.facilitator_b)) == []
    assert list(perm.visible_alerts(world.researcher_a)) == []
    assert list(perm.visible_alerts(world.p1_user)) == []
    assert perm.can_acknowledge_alert(world.facilitator_a, alert)
    assert not perm.can_acknowledge_alert(world.facilitator_b, alert)
    assert not perm.can_acknowledge_alert(world.researcher_a, alert)


def test_inactive_user_sees_nothing(world) -> None:  # type: ignore[no-untyped-def]
    world.facilitator_a.is_active = False
    world.facilitator_a.save()
    assert not perm.visible_cohorts(world.facilitator_a).exists()


def test_require_raises_not_allowed() -> None:
    perm.require(True)
    with pytest.raises(NotAllowed):
        perm.require(False)
