"""Small factories for the web tests: plain functions with sensible defaults, real database."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from balm.accounts.models import Membership, Participant, Site, User
from balm.programmes.loader import load_template
from balm.programmes.models import Cohort, Enrolment, ProgrammeTemplate

_counter = itertools.count(1)


def site(
    slug: str | None = None, *, cpaq8_order: str | None = "cpaq20_order", **fields: Any
) -> Site:
    """A site; it declares the printed order of its CPAQ-8 form (``cpaq8_order``, the
    catalogue's own order unless said; None: undeclared), as every site using the default
    programme must before a cohort can be made."""
    from balm.wording.models import PrintedOrder

    n = next(_counter)
    slug = slug or f"site-{n}"
    fields.setdefault("name", f"Pain service {slug}")
    fields.setdefault("crisis_contacts", "Call 999 in an emergency, or NHS 111 option 2.")
    made = Site.objects.create(slug=slug, **fields)
    if cpaq8_order is not None:
        PrintedOrder.objects.create(site=made, instrument_id="cpaq8", variant=cpaq8_order)
    return made


def user(username: str | None = None, **fields: Any) -> User:
    username = username or f"user{next(_counter)}"
    fields.setdefault("email", f"{username}@example.org")
    person = User.objects.create_user(username=username, password="correct horse", **fields)
    return person


def staff(role: str, at: Site, username: str | None = None) -> User:
    person = user(username)
    Membership.objects.create(user=person, site=at, role=role)
    return person


def participant(at: Site, pseudonym: str | None = None, **fields: Any) -> Participant:
    pseudonym = pseudonym or f"P{next(_counter):03d}"
    fields.setdefault("email", f"{pseudonym.lower()}@example.org")
    return Participant.objects.create(site=at, pseudonym=pseudonym, **fields)


def template() -> ProgrammeTemplate:
    found = ProgrammeTemplate.objects.filter(slug="cft-persistent-pain-12").first()
    return found or load_template()[0]


def cohort(at: Site, start: date | None = None, **kwargs: Any) -> Cohort:
    from balm.programmes.actions import create_cohort_from_template

    return create_cohort_from_template(
        template=kwargs.pop("template", None) or template(),
        site=at,
        name=kwargs.pop("name", f"Group {next(_counter)}"),
        start_date=start or timezone.localdate() - timedelta(weeks=1),
        format=kwargs.pop("format", "in_person"),
        by=None,
        **kwargs,
    )


def enrol(person: Participant, group: Cohort, **kwargs: Any) -> Enrolment:
    from balm.programmes.actions import enrol_participant

    kwargs.setdefault("diagnosis_category", "fibromyalgia")
    return enrol_participant(participant=person, cohort=group, by=None, **kwargs)


def client_id() -> str:
    return uuid.uuid4().hex


PHQ9_ZEROS = {f"q{i}": 0 for i in range(1, 10)}


def client_for(person: User | None) -> Any:
    """A test client signed in as ``person`` (None: nobody signed in)."""
    from django.test import Client

    client = Client()
    if person is not None:
        client.force_login(person)
    return client
