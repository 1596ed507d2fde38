"""The hot-path reads compiled once (balm.web.compiled_query) run the very SQL the ORM runs
for the same queryset and give the same objects, related objects included.

Expected values come from the ORM itself, run beside them: the query text each sends (with its
parameters, as the database connection logs it) and every concrete field of every object.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from balm.accounts.actions import issue_participant_link
from balm.accounts.models import ParticipantLink
from balm.api.auth import _LINK_ASSESSMENT
from balm.outcomes.models import Assessment
from balm.web.compiled_query import CompiledQuery
from balm.web.participant_session import _LINK
from balm.web.session_store import SessionStore

pytestmark = pytest.mark.django_db


def _fields(obj: Model) -> dict[str, object]:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


@contextmanager
def freeze_now() -> Iterator[None]:
    """The same "now" for both stores, so their queries' text can be compared."""
    now = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=now):  # both stores' clock
        yield


def _sql_of(run) -> list[str]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        run()
    return [query["sql"] for query in captured.captured_queries]


def test_the_questionnaire_read_is_the_orms(world) -> None:  # type: ignore[no-untyped-def]
    own = world.enrolment_p1.assessments.order_by("pk")
    other = Assessment.objects.exclude(enrolment__participant=world.p1).order_by("pk").first()
    assert own.count() > 1 and other is not None
    cases = [(world.p1.pk, a.pk) for a in own] + [
        (world.p1.pk, other.pk),  # someone else's: nothing
        (world.p1.pk, 10**12),  # no such questionnaire
    ]
    for participant_id, pk in cases:
        expected = list(_LINK_ASSESSMENT.queryset(participant_id, pk))
        got = _LINK_ASSESSMENT.fetch(participant_id, pk)
        orm_sql = _sql_of(lambda a=participant_id, b=pk: list(_LINK_ASSESSMENT.queryset(a, b)))
        assert orm_sql == _sql_of(lambda a=participant_id, b=pk: _LINK_ASSESSMENT.fetch(a, b))
        assert [_fields(a) for a in got] == [_fields(a) for a in expected]
        for found, orm in zip(got, expected, strict=True):
            with CaptureQueriesContext(connection) as captured:
                pairs = [
                    (found.enrolment, orm.enrolment),
                    (found.enrolment.cohort, orm.enrolment.cohort),
                    (found.enrolment.cohort.site, orm.enrolment.cohort.site),
                ]
            assert not captured.captured_queries  # selected with it, as by the ORM
            assert all(_fields(a) == _fields(b) for a, b in pairs)
    assert len(_LINK_ASSESSMENT.fetch(world.p1.pk, own[0].pk)) == 1
    assert _LINK_ASSESSMENT.fetch(world.p1.pk, other.pk) == []


def test_the_link_read_is_the_orms_first(world) -> None:  # type: ignore[no-untyped-def]
    issue_participant_link(participant=world.p1, by=None)
    link = ParticipantLink.objects.get(participant=world.p1)

    def orm() -> ParticipantLink | None:
        return (
            ParticipantLink.objects.select_related("participant__site").filter(pk=link.pk).first()
        )

    assert _sql_of(orm) == _sql_of(lambda: _LINK.fetch(link.pk))
    (found,) = _LINK.fetch(link.pk)
    expected = orm()
    assert expected is not None
    assert _fields(found) == _fields(expected)
    assert _fields(found.participant) == _fields(expected.participant)
    assert _fields(found.participant.site) == _fields(expected.participant.site)
    assert _LINK.fetch(link.pk + 1000) == []


def test_an_argument_that_is_not_one_parameter_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    unused = CompiledQuery(lambda pk: Assessment.objects.all()[:1], kinds=(int,))
    with pytest.raises(ValueError, match="argument 0"):
        unused.fetch(1)
    twice = CompiledQuery(lambda pk: Assessment.objects.filter(pk=pk, enrolment=pk), kinds=(int,))
    with pytest.raises(ValueError, match="argument 0"):
        twice.fetch(1)
    with pytest.raises(TypeError):
        _LINK.fetch(1, 2)


def test_the_session_read_is_djangos() -> None:
    """balm's session store reads a session with the SQL of Django's database store and
    loads the same data; an expired or unknown session loads empty and loses its key."""
    stored = DjangoSessionStore()
    stored["balm_participant_link"] = 7
    stored.create()
    key = stored.session_key
    assert key is not None
    ours, theirs = SessionStore(key), DjangoSessionStore(key)
    with freeze_now():
        assert _sql_of(ours.load) == _sql_of(theirs.load)
    assert (
        SessionStore(key).load() == DjangoSessionStore(key).load() == {"balm_participant_link": 7}
    )

    Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    expired = SessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None
