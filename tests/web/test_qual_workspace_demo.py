"""The demo's interviews can be coded in the workspace: coder_a finds the demo project from the
header, opens an interview with both demo coders' codings, and codes a passage."""

from __future__ import annotations

import pytest
from django.urls import reverse
from tests.web.qual_support import client_for

from balm.accounts.models import User
from balm.qualitative.models import Coding, QualProject, Source
from balm.web.demo import load_demo

pytestmark = pytest.mark.django_db


def test_coder_a_codes_a_demo_interview(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        demo = load_demo()
    project = QualProject.objects.get(site=demo.site)
    client = client_for(User.objects.get(username="coder_a"))
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("qual:projects")}"' in home
    listing = client.get(reverse("qual:projects")).content.decode()
    assert project.name in listing
    source = Source.objects.filter(project=project, kind="interview").order_by("name").first()
    page = client.get(reverse("qual:reader", args=[project.pk, source.pk])).content.decode()
    assert "Demo coder A" in page and "Demo coder B" in page
    text = source.text
    start = text.index(" ", len(text) // 2) + 1
    end = text.index(" ", start + 30)
    code = project.codes.filter(parent__isnull=False).first()
    before = Coding.objects.filter(source=source).count()
    response = client.post(
        reverse("qual:coding-add", args=[project.pk, source.pk]),
        {"start": start, "end": end, "quote": text[start:end], "code": code.pk},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    assert Coding.objects.filter(source=source).count() == before + 1
    # the same login shows the differ layer between the two demo coders
    differ = client.get(
        reverse("qual:reader", args=[project.pk, source.pk]), {"layer": "differ"}
    ).content.decode()
    assert "seg code-" in differ
