"""Two researchers coding the same transcript at the same moment, on separate connections
(PostgreSQL): every coding both add is kept, and of two resizes of one coding from the same
view exactly one wins; the other is told, never silently overwritten."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.urls import reverse
from tests.web.concurrency import run_together
from tests.web.qual_support import client_for, qual_world

from balm.qualitative.models import Coding

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
JSON = {"HTTP_ACCEPT": "application/json"}


def test_simultaneous_codings_are_all_kept(world) -> None:  # type: ignore[no-untyped-def]
    qw = qual_world(world)
    users = itertools.cycle([qw.world.researcher_a, qw.coder_2])
    words = iter(["wary", "breathing", "flared", "kind", "giving", "strength"])
    lock = threading.Lock()
    url = reverse("qual:coding-add", args=[qw.project.pk, qw.source.pk])
    text = qw.source.text

    def code() -> int:
        with lock:
            user, word = next(users), next(words)
        start = text.index(word)
        response = client_for(user).post(
            url, {"start": start, "end": start + len(word), "code": qw.other_code.pk}, **JSON
        )
        return response.status_code

    results, errors = run_together(code, 6)
    assert errors == [] and results == [200] * 6
    assert Coding.objects.filter(code=qw.other_code, deleted_at__isnull=True).count() == 6


def test_two_resizes_from_the_same_view_one_wins(world) -> None:  # type: ignore[no-untyped-def]
    qw = qual_world(world)
    coding = qw.coding_a
    old = {"expected_start": coding.start, "expected_end": coding.end}
    url = reverse("qual:coding-resize", args=[qw.project.pk, coding.pk])
    ends = iter([coding.end + 1, coding.end + 2])
    users = iter([qw.world.researcher_a, qw.coder_2])
    lock = threading.Lock()

    def resize() -> tuple[int, int]:
        with lock:
            end, user = next(ends), next(users)
        response = client_for(user).post(url, {"start": coding.start, "end": end, **old}, **JSON)
        return response.status_code, end

    results, errors = run_together(resize, 2)
    assert errors == []
    assert sorted(status for status, _ in results) == [200, 409]
    (winner,) = [end for status, end in results if status == 200]
    coding.refresh_from_db()
    assert coding.end == winner


def test_a_new_coders_first_codings_at_once_make_one_coder(world) -> None:  # type: ignore[no-untyped-def]
    from tests.web import factories

    from balm.qualitative.models import Coder

    qw = qual_world(world)
    newcomer = factories.staff("researcher", qw.world.site_a, "res_new")
    words = iter(["wary", "breathing", "flared", "kind"])
    lock = threading.Lock()
    url = reverse("qual:coding-add", args=[qw.project.pk, qw.source.pk])
    text = qw.source.text

    def code() -> int:
        with lock:
            word = next(words)
        start = text.index(word)
        response = client_for(newcomer).post(
            url, {"start": start, "end": start + len(word), "code": qw.code.pk}, **JSON
        )
        return response.status_code

    results, errors = run_together(code, 4)
    assert errors == [] and results == [200] * 4
    coder = Coder.objects.get(project=qw.project, user=newcomer)
    assert coder.codings.count() == 4
