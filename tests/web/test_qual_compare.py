"""Coders compared: agreement per code and a disagreement settled into the agreed layer.

Hand-worked case: in P1's interview (L characters) researcher A codes [0, 10) and
administrator A codes [5, 20) with the same code. They differ on [0, 5) and [10, 20): 15
characters, so percentage agreement = (L - 15) / L x 100; Cohen's kappa from Cohen (1960):
p_o = (L - 15) / L, p_e = (10/L)(15/L) + ((L - 10)/L)((L - 15)/L), kappa = (p_o - p_e) / (1 - p_e).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from tests.web.qual_analysis_support import make_study

from balm.audit.models import AuditEvent
from balm.qualitative import actions
from balm.qualitative.models import Coder, Coding

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_agreement_and_settling_a_disagreement(world) -> None:  # type: ignore[no-untyped-def]
    study = make_study(world)
    actions.add_coding(source=study.s1, start=0, end=10, code=study.code, by=world.researcher_a)
    actions.add_coding(source=study.s1, start=5, end=20, code=study.code, by=world.admin_a)
    first = Coder.objects.get(project=study.project, user=world.researcher_a)
    second = Coder.objects.get(project=study.project, user=world.admin_a)
    client = _client(world.researcher_a)
    url = reverse("qual:compare", args=[study.project.pk])
    page = client.get(url, {"a": first.pk, "b": second.pk, "source": study.s1.pk})
    assert page.status_code == 200
    length = len(study.s1.text)
    ((name, ca),) = page.context["per_code"]
    assert name == "Connection"
    assert ca.percent_agreement == pytest.approx((length - 15) / length * 100)
    p_o = (length - 15) / length
    p_e = (10 / length) * (15 / length) + ((length - 10) / length) * ((length - 15) / length)
    assert ca.cohen_kappa == pytest.approx((p_o - p_e) / (1 - p_e))
    (item,) = page.context["items"]
    assert (item.item.start, item.item.end) == (0, 20)
    assert page.context["open_count"] == 1

    settled = client.post(
        reverse("qual:compare-settle", args=[study.project.pk]),
        {
            "a": first.pk,
            "b": second.pk,
            "source": study.s1.pk,
            "code": study.code.pk,
            "start": 0,
            "end": 20,
            "keep": "b",
            "query": f"a={first.pk}&b={second.pk}&source={study.s1.pk}",
        },
        follow=True,
    )
    agreed = Coder.objects.get(project=study.project, name=actions.AGREED_CODER)
    assert agreed.user is None
    assert [(c.start, c.end, c.code_id) for c in Coding.objects.filter(coder=agreed)] == [
        (5, 20, study.code.pk)
    ]
    event = AuditEvent.objects.get(action="qual.agreement.settle")
    assert event.actor == world.researcher_a
    assert event.details["choice"] == second.name
    assert settled.context["open_count"] == 0
    assert "Settled" in settled.content.decode()

    # Settling again replaces what the agreed layer held in that run.
    client.post(
        reverse("qual:compare-settle", args=[study.project.pk]),
        {"a": first.pk, "b": second.pk, "source": study.s1.pk, "code": study.code.pk,
         "start": 0, "end": 20, "keep": "none"},
    )  # fmt: skip
    assert not Coding.objects.filter(coder=agreed, deleted_at__isnull=True).exists()


def test_a_run_that_is_not_a_disagreement_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    study = make_study(world)
    actions.add_coding(source=study.s1, start=0, end=10, code=study.code, by=world.researcher_a)
    actions.add_coding(source=study.s1, start=0, end=10, code=study.code, by=world.admin_a)
    first = Coder.objects.get(project=study.project, user=world.researcher_a)
    second = Coder.objects.get(project=study.project, user=world.admin_a)
    page = _client(world.researcher_a).post(
        reverse("qual:compare-settle", args=[study.project.pk]),
        {"a": first.pk, "b": second.pk, "source": study.s1.pk, "code": study.code.pk,
         "start": 0, "end": 10, "keep": "a"},
        follow=True,
    )  # fmt: skip
    assert "no longer there" in page.content.decode()
    assert not Coder.objects.filter(name=actions.AGREED_CODER).exists()
    assert not AuditEvent.objects.filter(action="qual.agreement.settle").exists()


def test_compare_on_the_demo_project(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from balm.accounts.models import User
    from balm.qualitative.models import QualProject
    from balm.web.demo import load_demo

    with django_capture_on_commit_callbacks(execute=True):
        info = load_demo()
    project = QualProject.objects.get(site=info.site)
    page = _client(User.objects.get(username="researcher")).get(
        reverse("qual:compare", args=[project.pk])
    )
    assert page.status_code == 200
    assert page.context["first"].name == "Demo coder A"
    assert page.context["second"].name == "Demo coder B"
    assert page.context["total"] > 0 and page.context["result"] is not None
