"""Suggestions on the demo project: shown, and applied only when a person accepts one."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from balm.accounts.models import User
from balm.audit.models import AuditEvent
from balm.qualitative.models import Coding, QualProject, Theme, ThemeMember
from balm.web.demo import load_demo

pytestmark = pytest.mark.django_db


def test_groupings_and_more_like_this_change_nothing_until_accepted(
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        info = load_demo()
    project = QualProject.objects.get(site=info.site)
    client = Client()
    client.force_login(User.objects.get(username="researcher"))
    counts = (Theme.objects.count(), Coding.objects.count(), ThemeMember.objects.count())

    page = client.get(reverse("qual:suggestions", args=[project.pk]), {"groups": "5"})
    assert page.status_code == 200
    groups = page.context["groups"]
    assert 1 <= len(groups) <= 5
    members = [c.pk for g in groups for c in g["members"]]
    # Each passage is in one group at most (passages with no weight stay out), all the coder's.
    assert len(members) == len(set(members))
    assert set(members) <= set(page.context["coder"].codings.values_list("pk", flat=True))
    assert (Theme.objects.count(), Coding.objects.count(), ThemeMember.objects.count()) == counts

    chosen = [str(c.uid) for c in groups[0]["members"][:2]]
    client.post(
        reverse("qual:suggest-accept", args=[project.pk]),
        {"name": "Suggested: pacing", "level": "group", "member": chosen},
    )
    theme = Theme.objects.get(name="Suggested: pacing")
    assert sorted(str(m.member_uid) for m in theme.members.all()) == sorted(chosen)
    assert AuditEvent.objects.filter(action="qual.theme.accept_suggestion").count() == 1

    coding = groups[0]["members"][0]
    like = client.get(reverse("qual:suggest-like", args=[project.pk, coding.uid]))
    assert like.status_code == 200
    found = [f for f in like.context["found"] if not f["coded"]]
    assert found, "the demo has turns sharing words with a coded passage"
    scores = [f["suggestion"].score for f in like.context["found"]]
    assert scores == sorted(scores, reverse=True)
    before = Coding.objects.count()
    pick = found[0]
    client.post(
        reverse("qual:suggest-like-accept", args=[project.pk, coding.uid]),
        {"source": pick["source"].pk, "start": pick["start"], "end": pick["end"]},
    )
    assert Coding.objects.count() == before + 1
    made = Coding.objects.latest("id")
    assert (made.origin, made.accepted_by.username, made.code_id) == (
        "suggestion",
        "researcher",
        coding.code_id,
    )
    assert (made.start, made.end) == (pick["start"], pick["end"])
