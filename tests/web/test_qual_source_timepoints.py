"""A source's programme timepoint: chosen at upload (and per file on the review page), changed
in the list by coders only (audited), shown and filtered in the list, carried by the API and
through a .qdpx export and import; end-of-programme feedback comes in at timepoint "end"."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from tests.web.qual_support import QualWorld, client_for, qual_world

from balm.accounts.errors import InvalidInput
from balm.audit.models import AuditEvent
from balm.programmes.templates import Timepoint
from balm.qual.project import TIMEPOINTS
from balm.qual.refi import read_qdpx, write_qdpx
from balm.qualitative import actions
from balm.qualitative.models import Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def qw(world) -> QualWorld:  # type: ignore[no-untyped-def]
    return qual_world(world)


def _txt(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/plain")


def test_the_core_timepoints_are_the_programmes() -> None:
    assert tuple(Timepoint.values) == TIMEPOINTS


def test_chosen_at_upload_and_changed_per_file_on_review(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    sources = reverse("qual:sources", args=[qw.project.pk])
    staged = client.post(
        sources,
        {
            "files": [_txt("a.txt", "P: First words."), _txt("b.txt", "P: Second words.")],
            "kind": "interview",
            "timepoint": "baseline",
        },
    )
    assert staged.status_code == 302
    review = client.get(staged["Location"])
    assert [f.timepoint for f in review.context["files"]] == ["baseline", "baseline"]
    kept = client.post(
        staged["Location"],
        {"do": "keep", "kind-0": "interview", "timepoint-0": "baseline",
         "kind-1": "interview", "timepoint-1": "follow_up"},
    )  # fmt: skip
    assert kept.status_code == 302
    assert dict(Source.objects.filter(name__in=["a", "b"]).values_list("name", "timepoint")) == {
        "a": "baseline",
        "b": "follow_up",
    }


def test_an_unknown_timepoint_is_refused_and_nothing_kept(qw: QualWorld) -> None:
    client = client_for(qw.world.researcher_a)
    sources = reverse("qual:sources", args=[qw.project.pk])
    page = client.post(
        sources, {"files": [_txt("a.txt", "Words.")], "kind": "interview", "timepoint": "week3"}
    )
    assert page.status_code == 200 and "timepoint" in page.context["form"].errors
    client.post(sources, {"files": [_txt("a.txt", "Words.")], "kind": "interview"})
    review = reverse("qual:review", args=[qw.project.pk])
    refused = client.post(review, {"do": "keep", "kind-0": "interview", "timepoint-0": "week3"})
    assert refused.status_code == 400
    assert "a: choose the timepoint from the list." in refused.context["problems"]
    assert not Source.objects.filter(name="a").exists()
    with pytest.raises(InvalidInput) as error:
        actions.add_source(
            project=qw.project, name="x", text="Words.", timepoint="week3", by=qw.world.researcher_a
        )
    assert [p.field for p in error.value.problems] == ["timepoint"]


def test_listed_filtered_and_changed_by_coders_only(qw: QualWorld) -> None:
    end = actions.add_source(
        project=qw.project, name="P2 end", text="P2: Calmer now.", timepoint="end",
        participant=qw.world.p2, by=qw.world.researcher_a,
    ).source  # fmt: skip
    client = client_for(qw.world.researcher_a)
    url = reverse("qual:sources", args=[qw.project.pk])

    def names(**filters: str) -> list[str]:
        return [s.name for s in client.get(url, filters).context["sources"]]

    assert names() == ["P1 interview", "P2 end"]
    assert names(timepoint="end") == ["P2 end"]
    assert names(timepoint="none") == ["P1 interview"]
    assert names(timepoint="baseline") == []
    assert (
        "Sources of the chosen timepoint (1)"
        in client.get(url, {"timepoint": "end"}).content.decode()
    )
    page = client.get(url).content.decode()
    row = page[page.index(f'data-source="{end.pk}"') :]
    assert '<option value="end" selected>End</option>' in row[: row.index("</tr>")]

    change = reverse("qual:source-timepoint", args=[qw.project.pk, qw.source.pk])
    answer = client.post(change, {"timepoint": "mid", "filters": "timepoint=none&evil=1"})
    assert answer["Location"] == f"{url}?timepoint=none"  # back to the list as filtered
    qw.source.refresh_from_db()
    assert qw.source.timepoint == "mid"
    event = AuditEvent.objects.get(action="qual.source.timepoint")
    assert event.details == {"from": "", "to": "mid"}
    client.post(change, {"timepoint": "soon"})
    qw.source.refresh_from_db()
    assert qw.source.timepoint == "mid"  # refused, unchanged
    client.post(change, {"timepoint": ""})
    qw.source.refresh_from_db()
    assert qw.source.timepoint == ""
    # a researcher of another site cannot reach it; a facilitator cannot change it
    other = client_for(qw.researcher_b).post(change, {"timepoint": "end"})
    assert other.status_code == 404
    facilitator = client_for(qw.world.facilitator_a).post(change, {"timepoint": "end"})
    assert facilitator.status_code == 404
    qw.source.refresh_from_db()
    assert qw.source.timepoint == ""


def test_the_api_carries_and_filters_it(qw: QualWorld) -> None:
    actions.set_source_timepoint(source=qw.source, timepoint="baseline", by=qw.world.researcher_a)
    actions.add_source(project=qw.project, name="Loose", text="Words.", by=qw.world.researcher_a)
    client = client_for(qw.world.researcher_a)
    url = f"/api/qual/projects/{qw.project.pk}/sources"
    items = client.get(url).json()["items"]
    assert {i["name"]: i["timepoint"] for i in items} == {"P1 interview": "baseline", "Loose": None}
    assert [i["name"] for i in client.get(url, {"timepoint": "none"}).json()["items"]] == ["Loose"]
    assert client.get(url, {"timepoint": "week3"}).status_code == 422
    detail = client.get(f"/api/qual/sources/{qw.source.pk}").json()
    assert detail["timepoint"] == "baseline"


def test_it_survives_export_and_import(qw: QualWorld) -> None:
    actions.set_source_timepoint(source=qw.source, timepoint="follow_up", by=qw.world.researcher_a)
    exported = actions.export_project(project=qw.project, by=qw.world.researcher_a)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.qdpx"
        write_qdpx(exported, path)
        back = read_qdpx(path)
    assert [(s.name, s.timepoint) for s in back.sources] == [("P1 interview", "follow_up")]
    imported = actions.import_project(
        site=qw.world.site_a, project=back, name="Copy", by=qw.world.researcher_a
    )
    copy = Source.objects.get(project=imported.project)
    assert copy.timepoint == "follow_up"
