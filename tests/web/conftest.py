"""Personas at two sites, for every access test.

- ``facilitator_a``: facilitator at site A (the owner of cohort A)
- ``facilitator_b``: facilitator at site B (a colleague at another site)
- ``researcher_a``: researcher at site A
- ``admin_a``: administrator of site A
- ``p1`` / ``p2``: participants at site A enrolled in cohort A, each with a user account
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.web import factories

from balm.accounts.models import Participant, Site, User
from balm.programmes.models import Cohort, Enrolment


@dataclass
class World:
    site_a: Site
    site_b: Site
    facilitator_a: User
    facilitator_b: User
    researcher_a: User
    admin_a: User
    p1_user: User
    p2_user: User
    p1: Participant
    p2: Participant
    cohort_a: Cohort
    cohort_b: Cohort
    enrolment_p1: Enrolment
    enrolment_p2: Enrolment


@pytest.fixture
def world(db: None) -> World:
    site_a = factories.site("site-a", name="Site A pain service")
    site_b = factories.site("site-b", name="Site B pain service")
    facilitator_a = factories.staff("facilitator", site_a, "fac_a")
    facilitator_b = factories.staff("facilitator", site_b, "fac_b")
    researcher_a = factories.staff("researcher", site_a, "res_a")
    admin_a = factories.staff("administrator", site_a, "admin_a")
    p1_user = factories.user("p1_user")
    p2_user = factories.user("p2_user")
    p1 = factories.participant(site_a, "P1", user=p1_user, name="Pat One")
    p2 = factories.participant(site_a, "P2", user=p2_user, name="Sam Two")
    cohort_a = factories.cohort(site_a, name="Cohort A", facilitators=[facilitator_a])
    cohort_b = factories.cohort(site_b, name="Cohort B", facilitators=[facilitator_b])
    return World(
        site_a=site_a,
        site_b=site_b,
        facilitator_a=facilitator_a,
        facilitator_b=facilitator_b,
        researcher_a=researcher_a,
        admin_a=admin_a,
        p1_user=p1_user,
        p2_user=p2_user,
        p1=p1,
        p2=p2,
        cohort_a=cohort_a,
        cohort_b=cohort_b,
        enrolment_p1=factories.enrol(p1, cohort_a),
        enrolment_p2=factories.enrol(p2, cohort_a),
    )


def _on_postgres() -> bool:
    from django.conf import settings

    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres`` tests run in the PostgreSQL pass
    (``python -m tests.support.pgcluster -- pytest tests/web``, which fails under CI=true when
    PostgreSQL is missing); on SQLite they are skipped with that hint."""
    if _on_postgres():
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: python -m tests.support.pgcluster -- pytest tests/web"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def check(django_capture_on_commit_callbacks: Any) -> Callable[[], int]:
    """One periodic reminder check (``send_due_reminders``), running the e-mail tasks it
    queues after commit, as the immediate task backend of the tests does."""
    from balm.outcomes.reminders import send_due_reminders

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return send_due_reminders()

    return run
