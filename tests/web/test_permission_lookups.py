"""Permission lookups once per request: a page asks for the user's memberships once, however
many permission checks it makes; a change within the request is seen at once; outside a
request every question asks the database."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.web import factories

from balm.accounts import permissions
from balm.accounts.models import Membership

pytestmark = pytest.mark.django_db


def _membership_queries(client: Client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url)
    assert page.status_code == 200, url
    return len(captured), [
        q["sql"] for q in captured.captured_queries if "accounts_membership" in q["sql"]
    ]


@pytest.mark.parametrize("persona", ["facilitator_a", "researcher_a", "admin_a"])
def test_each_page_looks_memberships_up_once(world: Any, persona: str) -> None:
    """Before: 2 (home), 3 (cohort page), 2 (enrolment) and 4 (participant record) identical
    membership queries per page for a facilitator."""
    client = Client()
    client.force_login(getattr(world, persona))
    urls = [reverse("home"), reverse("cohort", args=[world.cohort_a.pk])]
    if persona != "researcher_a":
        urls += [
            reverse("enrolment", args=[world.enrolment_p1.pk]),
            reverse("record", args=[world.enrolment_p1.pk]),
        ]
    for url in urls:
        _, membership = _membership_queries(client, url)
        assert len(membership) == 1, (url, Counter(membership))


def test_a_change_within_the_request_is_seen(world: Any) -> None:
    user = world.facilitator_b
    with permissions.request_scope():
        assert not permissions.can_view_pseudonymised(user, world.site_a)
        with CaptureQueriesContext(connection) as captured:
            assert not permissions.can_edit_clinical(user, world.site_a)
        assert len(captured) == 0  # answered from the request's lookup
        Membership.objects.create(user=user, site=world.site_a, role="researcher")
        assert permissions.can_view_pseudonymised(user, world.site_a)
        assert not permissions.can_edit_clinical(user, world.site_a)
    # outside a request: always the database
    Membership.objects.filter(user=user, site=world.site_a).delete()
    assert not permissions.can_view_pseudonymised(user, world.site_a)


def test_outside_a_request_every_check_asks(world: Any) -> None:
    with CaptureQueriesContext(connection) as captured:
        permissions.can_view_pseudonymised(world.researcher_a, world.site_a)
        permissions.can_view_pseudonymised(world.researcher_a, world.site_a)
    assert len(captured) == 2
    other = factories.staff("researcher", world.site_b)
    assert permissions.site_ids(other) == {world.site_b.pk}
