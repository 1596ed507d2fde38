"""The sources page: several files uploaded at once, the pseudonymisation reviewed before
anything is kept (add a term and run again, keep, or drop), unreadable files named, the list
with its counts, search with context, delete and restore."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from tests.web.qual_support import QualWorld, client_for, qual_world

from balm.qualitative.models import PseudonymEntry, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def qw(world) -> QualWorld:  # type: ignore[no-untyped-def]
    return qual_world(world)


def _txt(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/plain")


def _docx(name: str, paragraphs: list[str]) -> SimpleUploadedFile:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    out = io.BytesIO()
    document.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def test_upload_review_add_a_term_and_keep(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    sources = reverse("qual:sources", args=[qw.project.pk])
    before = Source.objects.count()
    response = client.post(
        sources,
        {
            "files": [
                _txt("p2_followup.txt", "Interviewer: Hello.\nP2: Sam Two here, from Larkfield."),
                _docx("p1_end.docx", ["Interviewer: And now?", "P1: Pat One is calmer."]),
            ],
            "kind": "interview",
            "participant": qw.world.p2.pk,
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("/sources/review/")
    # nothing is kept yet, not even the new pseudonyms
    assert Source.objects.count() == before
    entries = PseudonymEntry.objects.count()
    review = client.get(response["Location"]).content.decode()
    assert "Sam Two" in review  # shown as found, for the person to check
    assert (
        "<mark>P2</mark> here, from Larkfield" in review
    )  # the participant became their pseudonym
    assert "[participant A]" in review  # Pat One, another participant of the site
    # Larkfield was missed: add it and run again
    again = client.post(
        response["Location"],
        {
            "do": "term",
            "term": "Larkfield",
            "tag": "place",
            "participant-0": qw.world.p2.pk,
            "kind-0": "interview",
            "participant-1": qw.world.p1.pk,
            "kind-1": "interview",
        },
    )
    assert again.status_code == 302
    review = client.get(response["Location"]).content.decode()
    assert "from <mark>[place]</mark>" in review and Source.objects.count() == before
    kept = client.post(
        response["Location"],
        {
            "do": "keep",
            "participant-0": qw.world.p2.pk,
            "kind-0": "interview",
            "participant-1": qw.world.p1.pk,
            "kind-1": "interview",
        },
    )
    assert kept.status_code == 302
    p2 = Source.objects.get(name="p2_followup")
    assert p2.text == "Interviewer: Hello.\nP2: P2 here, from [place]."
    assert p2.participant == qw.world.p2
    assert [t["speaker"] for t in p2.turns] == ["Interviewer", "P2"]
    p1 = Source.objects.get(name="p1_end")
    assert p1.text == "Interviewer: And now?\nP1: P1 is calmer." and p1.participant == qw.world.p1
    assert PseudonymEntry.objects.count() > entries
    # the staged upload is gone
    assert client.get(response["Location"]).status_code == 302


def test_an_unreadable_file_stages_nothing_and_is_named(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    sources = reverse("qual:sources", args=[qw.project.pk])
    response = client.post(
        sources,
        {
            "files": [
                _txt("good.txt", "P1: fine"),
                SimpleUploadedFile("notes.pdf", b"%PDF-1.4"),
                SimpleUploadedFile("broken.docx", b"not a zip"),
            ],
            "kind": "interview",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "notes.pdf: balm reads .txt" in page and "broken.docx" in page
    assert client.get(reverse("qual:review", args=[qw.project.pk])).status_code == 302


def test_dropping_the_upload_keeps_nothing(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    sources = reverse("qual:sources", args=[qw.project.pk])
    client.post(sources, {"files": [_txt("x.txt", "P1: Pat One.")], "kind": "interview"})
    before = (Source.objects.count(), PseudonymEntry.objects.count())
    client.post(reverse("qual:review", args=[qw.project.pk]), {"do": "cancel"})
    assert (Source.objects.count(), PseudonymEntry.objects.count()) == before


def test_a_name_taken_refuses_the_whole_batch(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    sources = reverse("qual:sources", args=[qw.project.pk])
    client.post(
        sources,
        {
            "files": [_txt("fresh.txt", "P1: new"), _txt("P1 interview.txt", "P1: again")],
            "kind": "interview",
        },
    )
    response = client.post(
        reverse("qual:review", args=[qw.project.pk]),
        {
            "do": "keep",
            "participant-0": "",
            "kind-0": "interview",
            "participant-1": "",
            "kind-1": "interview",
        },
    )
    assert response.status_code == 400
    assert "already has a source" in response.content.decode()
    assert not Source.objects.filter(name="fresh").exists()


def test_a_facilitator_may_add_only_feedback_and_reflections(qw: QualWorld) -> None:
    client = client_for(qw.world.facilitator_a)
    sources = reverse("qual:sources", args=[qw.project.pk])
    refused = client.post(sources, {"files": [_txt("i.txt", "P1: hi")], "kind": "interview"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    client.post(sources, {"files": [_txt("week3.txt", "Quiet group.")], "kind": "reflection"})
    client.post(
        reverse("qual:review", args=[qw.project.pk]),
        {"do": "keep", "participant-0": "", "kind-0": "reflection"},
    )
    assert Source.objects.get(name="week3").imported_by == qw.world.facilitator_a
    # a forged kind on the review page is refused too
    client.post(sources, {"files": [_txt("week4.txt", "Lively.")], "kind": "reflection"})
    forged = client.post(
        reverse("qual:review", args=[qw.project.pk]),
        {"do": "keep", "participant-0": "", "kind-0": "interview"},
    )
    assert forged.status_code == 400 and not Source.objects.filter(name="week4").exists()


def test_list_counts_and_search_with_context(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    sources = reverse("qual:sources", args=[qw.project.pk])
    page = client.get(sources).content.decode()
    row = page[page.index(f'data-source="{qw.source.pk}"') :]
    row = row[: row.index("</tr>")]
    words = len(qw.source.text.split())
    assert f"<td>{words}</td>" in row and "<td>2</td>" in row  # words, codings
    assert "res_a" in row and "res_a2" in row  # the two coders
    found = client.get(sources, {"q": "BREATHING"}).content.decode()
    assert "found the <mark>breathing</mark> helped" in found
    assert f"#at-{qw.source.text.index('breathing')}" in found
    assert "No source has" in client.get(sources, {"q": "zebra"}).content.decode()
    other = client.get(sources, {"cohort": qw.world.cohort_b.pk}).content.decode()
    assert "P1 interview" not in other


def test_delete_and_restore_a_source(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    client.post(reverse("qual:source-delete", args=[qw.project.pk, qw.source.pk]))
    qw.source.refresh_from_db()
    assert qw.source.deleted_at is not None
    page = client.get(reverse("qual:sources", args=[qw.project.pk])).content.decode()
    assert "Deleted sources" in page
    assert client.get(reverse("qual:reader", args=[qw.project.pk, qw.source.pk])).status_code == 404
    client.post(reverse("qual:source-restore", args=[qw.project.pk, qw.source.pk]))
    qw.source.refresh_from_db()
    assert qw.source.deleted_at is None


def test_timed_transcripts_keep_their_cue_times(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Interviewer>How was it?\n\n"
        "00:00:03.500 --> 00:00:06.000\n<v P1>Better.\n"
    )
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nInterviewer: And?\n\n"
        "2\n00:00:02,500 --> 00:00:04,000\nP1: Fine.\n"
    )
    client.post(
        reverse("qual:sources", args=[qw.project.pk]),
        {"files": [_txt("a.vtt", vtt), _txt("b.srt", srt)], "kind": "interview"},
    )
    client.post(
        reverse("qual:review", args=[qw.project.pk]),
        {
            "do": "keep",
            "participant-0": "",
            "kind-0": "interview",
            "participant-1": "",
            "kind-1": "interview",
        },
    )
    a = Source.objects.get(name="a")
    assert a.text == "Interviewer: How was it?\nP1: Better."
    assert [(t["speaker"], t["begin_ms"]) for t in a.turns] == [("Interviewer", 1000), ("P1", 3500)]
    assert Source.objects.get(name="b").text == "Interviewer: And?\nP1: Fine."


def test_an_upload_left_waiting_is_dropped(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    client.post(
        reverse("qual:sources", args=[qw.project.pk]),
        {"files": [_txt("late.txt", "P1: Pat One.")], "kind": "interview"},
    )
    session = client.session
    key = f"balm-qual-staged-{qw.project.pk}"
    staged = session[key]
    staged["at"] -= 2 * 60 * 60 + 1
    session[key] = staged
    session.save()
    response = client.post(reverse("qual:review", args=[qw.project.pk]), {"do": "keep"})
    assert response.status_code == 302 and not Source.objects.filter(name="late").exists()
    assert key not in client.session
