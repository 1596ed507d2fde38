"""The demo loader: loads through the actions layer, and only once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import timezone

from balm.accounts.models import User
from balm.audit.models import AuditEvent
from balm.outcomes.models import Assessment, CheckIn, Response, SafetyAlert
from balm.programmes.flow import enrolment_flow
from balm.web.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.django_db


def test_demo_loads_once(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        info = load_demo()
    assert info.created
    today = timezone.localdate()
    statuses = Counter(
        Assessment.objects.with_status(today).values_list("current_status", flat=True)
    )
    assert statuses["complete"] > 20
    assert statuses["missed"] >= 2
    assert statuses["in_progress"] >= 1
    assert SafetyAlert.objects.open().count() == 1
    assert CheckIn.objects.count() > 30
    flow = enrolment_flow(info.cohort)
    assert flow.referred == 12 and flow.withdrawn == 2
    assert {role for role, _, _ in info.logins} == {
        "facilitator",
        "researcher",
        "administrator",
        "participant",
    }
    facilitator = User.objects.get(username="facilitator")
    assert facilitator.check_password(DEMO_PASSWORD)
    assert AuditEvent.objects.filter(action="response.submit").count() == Response.objects.count()
    counts = (Response.objects.count(), CheckIn.objects.count(), User.objects.count())
    again = load_demo()
    assert not again.created
    assert (Response.objects.count(), CheckIn.objects.count(), User.objects.count()) == counts
    assert len(again.links) == 3 and again.links[0][1].startswith("/p/")
