"""The codebook page: counts per code and per participant, colours and their contrast, rename,
describe, move, merge and split with history and undo, delete and restore; memos."""

from __future__ import annotations

import pytest
from django.urls import reverse
from tests.web.qual_support import QualWorld, client_for, qual_world

from balm.audit.models import AuditEvent
from balm.qualitative import actions
from balm.qualitative.models import Code, Coding, Note

pytestmark = pytest.mark.django_db


@pytest.fixture
def qw(world) -> QualWorld:  # type: ignore[no-untyped-def]
    return qual_world(world)


def _post(qw: QualWorld, code: Code, **fields):  # type: ignore[no-untyped-def]
    url = reverse("qual:code", args=[qw.project.pk, code.pk])
    return client_for(qw.world.researcher_a).post(url, fields)


def _undo_last(qw: QualWorld, code: Code, action: str):  # type: ignore[no-untyped-def]
    event = AuditEvent.objects.filter(object_id=str(code.pk), action=action).latest("id")
    url = reverse("qual:code-undo", args=[qw.project.pk, event.pk])
    return client_for(qw.world.researcher_a).post(url)


def test_counts_per_code_and_participant_and_the_colour_sheet(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    page = client.get(reverse("qual:codebook", args=[qw.project.pk])).content.decode()
    row = page[page.index(">Breathing</a>") :]
    row = row[: row.index("</tr>")]
    # two codings of Breathing, both on P1's transcript
    assert "<td>2</td><td>2</td>" in row.replace("\n", "").replace(" ", "")
    assert '<th scope="col">P1</th>' in page
    css = client.get(reverse("qual:code-colours", args=[qw.project.pk]))
    assert css["Content-Type"].startswith("text/css")
    assert f".code-{qw.code.pk} {{ --c: #1d4ed8; --c-ink: #ffffff; }}" in css.content.decode()


def test_a_pale_colour_is_flagged(qw: QualWorld) -> None:
    _post(qw, qw.code, do="describe", description="", colour="#fafafa")
    page = client_for(qw.world.researcher_a).get(reverse("qual:codebook", args=[qw.project.pk]))
    assert "colour too pale to see" in page.content.decode()
    bad = _post(qw, qw.code, do="describe", description="", colour="blue")
    assert bad.status_code == 400 and "#rrggbb" in bad.content.decode()


def test_add_rename_and_undo(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    client.post(
        reverse("qual:codebook", args=[qw.project.pk]),
        {"name": "Pacing", "parent": qw.parent.pk, "colour": "#aa3300"},
    )
    pacing = Code.objects.get(name="Pacing")
    assert pacing.parent == qw.parent and pacing.colour == "#aa3300"
    _post(qw, pacing, do="rename", name="Pacing activity")
    pacing.refresh_from_db()
    assert pacing.name == "Pacing activity"
    page = client.get(reverse("qual:code", args=[qw.project.pk, pacing.pk])).content.decode()
    assert "from “Pacing” to “Pacing activity”" in page
    event = AuditEvent.objects.filter(object_id=str(pacing.pk), action="qual.code.rename").get()
    undo = reverse("qual:code-undo", args=[qw.project.pk, event.pk])
    assert client.post(undo).status_code == 302
    pacing.refresh_from_db()
    assert pacing.name == "Pacing"
    # an undone change cannot be undone twice
    again = client.post(undo, follow=True)
    assert "already undone" in again.content.decode()
    pacing.refresh_from_db()
    assert pacing.name == "Pacing"
    assert AuditEvent.objects.filter(action="qual.code.undo").count() == 1


def test_undo_is_refused_when_the_code_changed_since(qw: QualWorld) -> None:
    _post(qw, qw.code, do="rename", name="Breath")
    _post(qw, qw.code, do="rename", name="Breathwork")
    first = AuditEvent.objects.filter(
        object_id=str(qw.code.pk), action="qual.code.rename"
    ).earliest("id")
    client = client_for(qw.world.researcher_a)
    response = client.post(reverse("qual:code-undo", args=[qw.project.pk, first.pk]), follow=True)
    assert "undo the later change first" in response.content.decode()
    qw.code.refresh_from_db()
    assert qw.code.name == "Breathwork"


def test_move_merge_and_undo(qw: QualWorld) -> None:
    _post(qw, qw.other_code, do="move", parent=qw.parent.pk)
    qw.other_code.refresh_from_db()
    assert qw.other_code.parent == qw.parent
    cycle = _post(qw, qw.parent, do="move", parent=qw.code.pk)
    assert cycle.status_code == 400 and "cannot go under itself" in cycle.content.decode()
    extra = actions.add_coding(
        source=qw.source, start=0, end=11, code=qw.other_code, by=qw.world.researcher_a
    )
    _post(qw, qw.code, do="merge", into=qw.other_code.pk)
    qw.code.refresh_from_db()
    assert qw.code.deleted_at is not None
    assert set(Coding.objects.filter(code=qw.other_code)) == {qw.coding_a, qw.coding_b, extra}
    _undo_last(qw, qw.code, "qual.code.merge")
    qw.code.refresh_from_db()
    assert qw.code.deleted_at is None
    assert set(Coding.objects.filter(code=qw.code)) == {qw.coding_a, qw.coding_b}
    assert set(Coding.objects.filter(code=qw.other_code)) == {extra}
    # a parent with sub-codes cannot be merged away
    refused = _post(qw, qw.parent, do="merge", into=qw.code.pk)
    assert refused.status_code == 400 and "has sub-codes" in refused.content.decode()


def test_split_and_undo(qw: QualWorld) -> None:
    _post(qw, qw.code, do="split", coding=[qw.coding_b.pk], new_name="Breathing (B)")
    new = Code.objects.get(name="Breathing (B)")
    assert new.parent == qw.parent and new.colour == qw.code.colour
    assert list(Coding.objects.filter(code=new)) == [qw.coding_b]
    nothing = _post(qw, qw.code, do="split", new_name="Empty")
    assert nothing.status_code == 400 and not Code.objects.filter(name="Empty").exists()
    _undo_last(qw, qw.code, "qual.code.split")
    new.refresh_from_db()
    assert new.deleted_at is not None
    assert set(Coding.objects.filter(code=qw.code)) == {qw.coding_a, qw.coding_b}


def test_delete_and_restore_from_the_codebook(qw: QualWorld) -> None:
    _post(qw, qw.parent, do="delete")
    qw.code.refresh_from_db()
    assert qw.code.deleted_at is not None  # the branch goes together
    client = client_for(qw.world.researcher_a)
    page = client.get(reverse("qual:codebook", args=[qw.project.pk])).content.decode()
    assert "Deleted codes" in page
    client.post(reverse("qual:code-restore", args=[qw.project.pk, qw.parent.pk]))
    qw.code.refresh_from_db()
    assert qw.code.deleted_at is None


def test_another_site_cannot_change_or_undo(qw: QualWorld) -> None:
    other = client_for(qw.researcher_b)
    url = reverse("qual:code", args=[qw.project.pk, qw.code.pk])
    assert other.post(url, {"do": "rename", "name": "Mine"}).status_code == 404
    event = AuditEvent.objects.filter(object_id=str(qw.code.pk)).latest("id")
    assert other.post(reverse("qual:code-undo", args=[qw.project.pk, event.pk])).status_code == 404
    assert client_for(qw.world.facilitator_a).get(url).status_code == 404
    qw.code.refresh_from_db()
    assert qw.code.name == "Breathing"


def test_memos_on_the_project_and_a_code(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    url = reverse("qual:memos", args=[qw.project.pk])
    client.post(url, {"on": "project", "text": "Early sense: breathing is a gateway."})
    client.post(url, {"on": f"code:{qw.code.uid}", "text": "Overlaps with pacing?"})
    memos = Note.objects.filter(kind="memo").order_by("id")
    assert [(m.target_kind, m.target_uid) for m in memos] == [
        ("project", None),
        ("code", qw.code.uid),
    ]
    page = client.get(url).content.decode()
    assert "Code: Breathing" in page and "res_a" in page
    empty = client.post(url, {"on": "project", "text": "  "})
    assert empty.status_code == 400 and "The note is empty" in empty.content.decode()
    forged = client.post(url, {"on": "code:not-a-uid", "text": "x"})
    assert forged.status_code == 400 and Note.objects.count() == 2


def test_the_project_home_lists_what_was_deleted_and_restores_it(qw: QualWorld) -> None:
    actions.remove_coding(coding=qw.coding_b, by=qw.coder_2)
    actions.delete_code(code=qw.other_code, by=qw.world.researcher_a)
    client = client_for(qw.world.researcher_a)
    page = client.get(reverse("qual:project", args=[qw.project.pk])).content.decode()
    assert "Coding Breathing in P1 interview" in page and "Code Self-kindness" in page
    restore = reverse("qual:coding-restore", args=[qw.project.pk, qw.coding_b.pk])
    assert restore in page
    response = client.post(restore)
    assert response.status_code == 302
    qw.coding_b.refresh_from_db()
    assert qw.coding_b.deleted_at is None
    page = client.get(reverse("qual:project", args=[qw.project.pk])).content.decode()
    assert "Coding Breathing" not in page


def test_page_titles_are_plain(qw: QualWorld) -> None:
    import re

    actions.delete_code(code=qw.other_code, by=qw.world.researcher_a)
    client = client_for(qw.world.researcher_a)
    for url in (
        reverse("qual:project", args=[qw.project.pk]),
        reverse("qual:codebook", args=[qw.project.pk]),
    ):
        title = re.search(r"<title>(.*?)</title>", client.get(url).content.decode(), re.S)
        assert title is not None and "<" not in title.group(1) and "\n" not in title.group(1)
