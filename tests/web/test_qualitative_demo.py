"""The demo's qualitative set: loaded once, pseudonymised on the way in, counts as documented.

Expected counts come from src/balm/qual/demo/README.md (written when the set was made and kept
true by tests/qual/test_demo_data.py): 7 transcripts, 19 codes in 5 groups, 250 codings (127 by
coder A, 123 by coder B), 24 personal experiential themes with 95 coding references, 5 group
experiential themes; six interviewees, all demo participants.
"""

from __future__ import annotations

import re

import pytest
import yaml

from balm.audit.models import AuditEvent
from balm.qualitative.demo_set import demo_folder
from balm.qualitative.models import Code, Coder, Coding, QualProject, Source, Theme, ThemeMember
from balm.web.demo import load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        return load_demo()


def test_counts_match_the_readme(demo) -> None:  # type: ignore[no-untyped-def]
    project = QualProject.objects.get(site=demo.site)
    assert Source.objects.filter(project=project).count() == 7
    assert Code.objects.filter(project=project, parent__isnull=True).count() == 5
    assert Code.objects.filter(project=project, parent__isnull=False).count() == 19
    codings = Coding.objects.filter(source__project=project)
    assert codings.count() == 250
    by_coder = {c.name: c.codings.count() for c in Coder.objects.filter(project=project)}
    assert by_coder == {"Demo coder A": 127, "Demo coder B": 123}
    assert Theme.objects.filter(project=project, level="personal").count() == 24
    assert Theme.objects.filter(project=project, level="group").count() == 5
    assert ThemeMember.objects.filter(theme__project=project, kind="coding").count() == 95
    # README: recurrence (interviewees per group theme) 4, 6, 6, 3, 5 of 6.
    counts = [
        Theme.objects.filter(parent=g).values("case").distinct().count()
        for g in Theme.objects.filter(project=project, level="group").order_by("position")
    ]
    assert counts == [4, 6, 6, 3, 5]


def test_sources_point_to_participants_and_coders_to_users(demo) -> None:  # type: ignore[no-untyped-def]
    project = QualProject.objects.get(site=demo.site)
    interviews = Source.objects.filter(project=project, kind="interview")
    assert sorted(s.participant.pseudonym for s in interviews) == [
        "Aspen",
        "Birch",
        "Cedar",
        "Elm",
        "Larch",
        "Maple",
    ]
    assert all(s.enrolment is not None for s in interviews)
    assert all(c.user is not None for c in Coder.objects.filter(project=project))


def test_no_planted_identifier_survives_in_stored_text(demo) -> None:  # type: ignore[no-untyped-def]
    planted = yaml.safe_load((demo_folder() / "planted_identifiers.yaml").read_text("utf-8"))
    terms = {entry["text"] for entries in planted.values() for entry in entries}
    # planted_identifiers.yaml by hand: 4 + 4 + 3 + 2 + 5 + 2 + 2 entries, all different.
    assert len(terms) == 22
    stored = [s.text for s in Source.objects.all()] + [s.name for s in Source.objects.all()]
    for term in terms:
        pattern = re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.IGNORECASE)
        assert not any(pattern.search(text) for text in stored), term
    # The phone number inside a coded quote: the coding now covers the replacement.
    aspen = Source.objects.get(name="interview_aspen")
    quotes = [aspen.text[c.start : c.end] for c in aspen.codings.all()]
    assert (
        "I put my number in the chat, [phone], and a few of us still message most weeks." in quotes
    )


def test_loads_once_with_an_audit_event(demo) -> None:  # type: ignore[no-untyped-def]
    assert AuditEvent.objects.filter(action="qual.project.import").count() == 1
    load_demo()
    assert QualProject.objects.count() == 1
    assert Coding.objects.count() == 250
