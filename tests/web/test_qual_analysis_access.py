"""Who reaches the analysis pages (theme board, recurrence and its exports, coders compared,
suggestions): the site's researchers and administrators; a researcher of another site,
facilitators, participants get a 404; anonymous visitors are sent to log in. Writes by
those refused change nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from tests.web import factories
from tests.web.qual_analysis_support import make_study

from balm.audit.models import AuditEvent
from balm.qualitative import actions
from balm.qualitative.models import Theme, ThemeMember

pytestmark = pytest.mark.django_db

ALLOWED = ("researcher_a", "admin_a")
REFUSED = ("researcher_b", "facilitator_a", "facilitator_b", "p1_user")


@pytest.fixture
def setting(world):  # type: ignore[no-untyped-def]
    study = make_study(world)
    coding = actions.add_coding(
        source=study.s1, start=0, end=10, code=study.code, by=world.researcher_a
    )
    group = actions.create_theme(
        project=study.project, name="Group", level="group", by=world.researcher_a
    )
    actions.move_theme(theme=study.pet1, parent=group, by=world.researcher_a)
    actions.place_on_theme(
        theme=study.pet1, kind="note", member_uid=study.n1.uid, by=world.researcher_a
    )
    users = {name: getattr(world, name) for name in ALLOWED + REFUSED if name != "researcher_b"}
    users["researcher_b"] = factories.staff("researcher", world.site_b, "res_b")
    return study, coding, users


def _gets(study, coding) -> list[str]:  # type: ignore[no-untyped-def]
    pid = study.project.pk
    return [
        reverse("qual:themes", args=[pid]),
        reverse("qual:themes", args=[pid]) + "?method=ta",
        reverse("qual:recurrence", args=[pid]),
        *(
            reverse("qual:recurrence-export", args=[pid, f])
            for f in ("csv", "quotes.csv", "xlsx", "docx")
        ),
        reverse("qual:compare", args=[pid]),
        reverse("qual:suggestions", args=[pid]),
        reverse("qual:suggest-like", args=[pid, coding.uid]),
    ]


def _posts(study, coding) -> list[tuple[str, dict[str, str]]]:  # type: ignore[no-untyped-def]
    pid = study.project.pk
    return [
        (
            reverse("qual:theme-move", args=[pid]),
            {"item": f"note:{study.n2.uid}", "to": str(study.pet2.uid)},
        ),
        (reverse("qual:theme-create", args=[pid]), {"name": "New", "level": "group"}),
        (
            reverse("qual:compare-settle", args=[pid]),
            {"source": str(study.s1.pk), "code": str(study.code.pk)},
        ),
        (
            reverse("qual:suggest-accept", args=[pid]),
            {"name": "G", "level": "group", "member": str(coding.uid)},
        ),
        (
            reverse("qual:suggest-like-accept", args=[pid, coding.uid]),
            {"source": str(study.s2.pk), "start": "0", "end": "5"},
        ),
    ]


@pytest.mark.parametrize("persona", ALLOWED)
def test_researchers_and_administrators_of_the_site_open_every_page(setting, persona) -> None:  # type: ignore[no-untyped-def]
    study, coding, users = setting
    client = Client()
    client.force_login(users[persona])
    for url in _gets(study, coding):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", REFUSED)
def test_others_get_a_404_and_change_nothing(setting, persona) -> None:  # type: ignore[no-untyped-def]
    study, coding, users = setting
    client = Client()
    client.force_login(users[persona])
    before = (Theme.objects.count(), ThemeMember.objects.count(), AuditEvent.objects.count())
    for url in _gets(study, coding):
        assert client.get(url).status_code == 404, url
    for url, data in _posts(study, coding):
        assert client.post(url, data).status_code == 404, url
    after = (Theme.objects.count(), ThemeMember.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_anonymous_visitors_are_sent_to_log_in(setting) -> None:  # type: ignore[no-untyped-def]
    study, coding, _users = setting
    client = Client()
    for url in _gets(study, coding):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for url, data in _posts(study, coding):
        assert client.post(url, data).status_code == 302, url
    assert not Theme.objects.filter(name__in=["New", "G"]).exists()
