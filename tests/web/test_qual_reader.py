"""The reader: the transcript's segments give back the stored text at their offsets; coding,
resizing, removing and restoring through the page, with offsets checked against the text; two
researchers coding at once lose nothing; IPA notes and experiential statements; the layer
that shows where two coders differ."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse
from tests.web.qual_support import QualWorld, client_for, qual_world

from balm.audit.models import AuditEvent
from balm.qualitative.models import Code, Coding, Note, Theme
from balm.web.qual_transcript import differences

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def qw(world) -> QualWorld:  # type: ignore[no-untyped-def]
    return qual_world(world)


class Segments(HTMLParser):
    """Collects (offset, text) of every element with data-o."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str]] = []
        self._open: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "data-o" in values:
            self._open = int(values["data-o"] or 0)
            self.found.append((self._open, ""))

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            offset, text = self.found[-1]
            self.found[-1] = (offset, text + data)


def _reader(qw: QualWorld, user=None, **params: str) -> str:  # type: ignore[no-untyped-def]
    url = reverse("qual:reader", args=[qw.project.pk, qw.source.pk])
    response = client_for(user or qw.world.researcher_a).get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_every_segment_holds_the_stored_text_at_its_offset(qw: QualWorld) -> None:
    parser = Segments()
    parser.feed(_reader(qw))
    text = qw.source.text
    assert parser.found, "no segments"
    for offset, piece in parser.found:
        assert text[offset : offset + len(piece)] == piece
    # the segments cover every turn: the text minus the line breaks between turns
    covered = "".join(piece for _, piece in parser.found)
    assert covered == text.replace("\n", "")
    # a coding boundary is a segment boundary
    assert qw.coding_a.start in {o for o, _ in parser.found}


def test_offsets_count_code_points_not_utf16(qw: QualWorld) -> None:
    from balm.qualitative import actions

    source = actions.add_source(
        project=qw.project, name="emoji", text="P1: I felt 😊 then calm.", by=qw.world.researcher_a
    ).source
    at = source.text.index("then")  # after an astral character: one code point, two UTF-16 units
    url = reverse("qual:coding-add", args=[qw.project.pk, source.pk])
    response = client_for(qw.world.researcher_a).post(
        url, {"start": at, "end": at + 4, "quote": "then", "code": qw.code.pk}, **JSON
    )
    assert response.status_code == 200, response.content
    assert Coding.objects.get(source=source).start == 13  # hand-counted: "P1: I felt 😊 " = 13


def _add(qw: QualWorld, user, **fields):  # type: ignore[no-untyped-def]
    url = reverse("qual:coding-add", args=[qw.project.pk, qw.source.pk])
    return client_for(user).post(url, fields, **JSON)


def test_coding_a_passage_with_two_codes_and_a_new_one(qw: QualWorld) -> None:
    text = qw.source.text
    at = text.index("Being kind to myself")
    response = _add(
        qw,
        qw.world.researcher_a,
        start=at,
        end=at + 20,
        quote="Being kind to myself",
        code=[qw.code.pk, qw.other_code.pk],
        new_code="Resistance",
    )
    assert response.status_code == 200 and response.json()["ok"]
    made = Coding.objects.filter(start=at, end=at + 20)
    assert sorted(c.code.name for c in made) == ["Breathing", "Resistance", "Self-kindness"]
    assert {c.coder.user for c in made} == {qw.world.researcher_a}
    assert (
        AuditEvent.objects.filter(
            action="qual.coding.add", object_id__in=[str(c.pk) for c in made]
        ).count()
        == 3
    )
    # the same again records nothing and says so
    again = _add(qw, qw.world.researcher_a, start=at, end=at + 20, code=[qw.code.pk])
    assert again.status_code == 400 and "already coded" in again.json()["problems"][0]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"start": "5", "end": "5"}, "not inside the text"),
        ({"start": "-1", "end": "4"}, "not inside the text"),
        ({"start": "0", "end": "100000"}, "not inside the text"),
        ({"start": "x", "end": "4"}, "Select a passage first"),
        ({"start": "0", "end": "4", "quote": "Nope"}, "not the one selected"),
        ({"start": "0", "end": "4"}, "Choose at least one code"),
    ],
)
def test_bad_offsets_and_passages_are_refused_and_nothing_is_written(
    qw: QualWorld, fields: dict[str, str], says: str
) -> None:
    before = Coding.objects.count()
    if says != "Choose at least one code":
        fields = {**fields, "code": str(qw.code.pk)}
    response = _add(qw, qw.world.researcher_a, **fields)
    assert response.status_code == 400
    assert says in " ".join(response.json()["problems"])
    assert Coding.objects.count() == before


def test_a_code_of_another_project_is_refused(qw: QualWorld) -> None:
    from balm.qualitative import actions

    other = actions.create_project(site=qw.world.site_a, name="Other", by=qw.world.researcher_a)
    foreign = actions.add_code(project=other, name="Foreign", by=qw.world.researcher_a)
    response = _add(qw, qw.world.researcher_a, start=0, end=4, code=[foreign.pk])
    assert response.status_code == 400 and not Coding.objects.filter(code=foreign).exists()


def test_two_researchers_coding_at_once_lose_nothing(qw: QualWorld) -> None:
    """Both open the page; their posts interleave; every coding of both is kept, and a resize
    based on a stale view is refused rather than overwriting the other's change."""
    a, b = client_for(qw.world.researcher_a), client_for(qw.coder_2)
    page = reverse("qual:reader", args=[qw.project.pk, qw.source.pk])
    assert a.get(page).status_code == 200 and b.get(page).status_code == 200
    text = qw.source.text
    spans = [(text.index(w), text.index(w) + len(w)) for w in ("wary", "strength", "giving up")]
    add = reverse("qual:coding-add", args=[qw.project.pk, qw.source.pk])
    for i, (start, end) in enumerate(spans):
        for client in (a, b) if i % 2 == 0 else (b, a):
            r = client.post(add, {"start": start, "end": end, "code": qw.other_code.pk}, **JSON)
            assert r.status_code == 200
    assert Coding.objects.filter(code=qw.other_code, deleted_at__isnull=True).count() == 6
    # both saw coding_a at its old span; A resizes it, then B's resize from the old view is refused
    coding = qw.coding_a
    start0, end0 = coding.start, coding.end
    resize = reverse("qual:coding-resize", args=[qw.project.pk, coding.pk])
    old = {"expected_start": coding.start, "expected_end": coding.end}
    first = a.post(resize, {"start": coding.start, "end": coding.end + 1, **old}, **JSON)
    assert first.status_code == 200
    second = b.post(resize, {"start": coding.start + 2, "end": coding.end, **old}, **JSON)
    assert (
        second.status_code == 409
        and "changed this coding meanwhile" in second.json()["problems"][0]
    )
    coding.refresh_from_db()
    assert (coding.start, coding.end) == (start0, end0 + 1)
    # one removes it; the other's remove is refused, and the undo brings it back once
    remove = reverse("qual:coding-remove", args=[qw.project.pk, coding.pk])
    assert a.post(remove, **JSON).status_code == 200
    assert b.post(remove, **JSON).status_code == 409
    undo = a.post(reverse("qual:coding-restore", args=[qw.project.pk, coding.pk]), **JSON)
    assert undo.status_code == 200
    coding.refresh_from_db()
    assert coding.deleted_at is None


def test_resize_outside_the_text_is_refused(qw: QualWorld) -> None:
    resize = reverse("qual:coding-resize", args=[qw.project.pk, qw.coding_a.pk])
    response = client_for(qw.world.researcher_a).post(resize, {"start": 3, "end": 10**6}, **JSON)
    assert response.status_code == 400
    qw.coding_a.refresh_from_db()
    assert qw.coding_a.start != 3


def test_exploratory_note_becomes_an_experiential_statement(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    text = qw.source.text
    at = text.index("It felt like giving up")
    url = reverse("qual:note-add", args=[qw.project.pk, qw.source.pk])
    response = client.post(
        url,
        {"start": at, "end": at + 22, "kind": "conceptual", "text": "Kindness as defeat"},
        **JSON,
    )
    assert response.status_code == 200
    note = Note.objects.get(kind="conceptual")
    assert (note.source, note.start, note.end, note.target_uid) == (
        qw.source,
        at,
        at + 22,
        qw.source.uid,
    )
    assert "Kindness as defeat" in _reader(qw)
    bad = client.post(url, {"start": at, "end": at + 22, "kind": "gossip", "text": "x"}, **JSON)
    assert bad.status_code == 400 and "Choose one of" in bad.json()["problems"][0]
    make = reverse("qual:note-statement", args=[qw.project.pk, note.pk])
    assert client.post(make, **JSON).status_code == 200
    theme = Theme.objects.get(level="statement")
    assert theme.case.participant == qw.world.p1 and theme.name == "Kindness as defeat"
    assert list(theme.members.values_list("kind", "member_uid")) == [("note", note.uid)]
    twice = client.post(make, **JSON)
    assert twice.status_code == 400 and Theme.objects.count() == 1
    assert "Experiential statement" in _reader(qw)


def test_differences_hand_worked() -> None:
    # A codes [0, 10) as code 1; B codes [5, 15) as code 1 and [20, 25) as code 2.
    # Code 1 differs on [0, 5) (A only) and [10, 15) (B only); code 2 on [20, 25).
    assert differences([(0, 10, 1)], [(5, 15, 1), (20, 25, 2)]) == [(0, 5), (10, 15), (20, 25)]
    assert differences([(0, 10, 1)], [(0, 10, 1)]) == []


def test_the_differ_layer_marks_where_two_coders_differ(qw: QualWorld) -> None:
    # coding_a covers 4 characters more than coding_b at its start: only those differ
    page = _reader(qw, layer="differ", a=str(qw.coding_a.coder_id), b=str(qw.coding_b.coder_id))
    assert page.count('differ" data-o') == 1
    assert f'class="seg code-{qw.code.pk} differ" data-o="{qw.coding_a.start}"' in page
    one = _reader(qw, layer=f"coder-{qw.coding_b.coder_id}")
    assert f'data-coding="{qw.coding_a.pk}"' not in one and f'data-coding="{qw.coding_b.pk}"' in one


def test_other_sites_and_facilitators_cannot_write(qw: QualWorld) -> None:
    url = reverse("qual:coding-add", args=[qw.project.pk, qw.source.pk])
    for user in (qw.researcher_b, qw.world.facilitator_a, qw.world.p1_user):
        response = client_for(user).post(url, {"start": 0, "end": 4, "code": qw.code.pk}, **JSON)
        assert response.status_code == 404
    remove = reverse("qual:coding-remove", args=[qw.project.pk, qw.coding_a.pk])
    assert client_for(qw.researcher_b).post(remove).status_code == 404
    assert Code.objects.filter(project=qw.project).count() == 3
    qw.coding_a.refresh_from_db()
    assert qw.coding_a.deleted_at is None
