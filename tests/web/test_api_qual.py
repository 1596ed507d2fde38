"""/api/qual for every persona: owner researcher and administrator read and write; a
researcher of another site, facilitators (beyond their own reflections) and participants get
404 or an empty page; no credentials is a 401. The .qdpx export reads back with balm.qual.refi."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from tests.web import factories
from tests.web.qual_analysis_support import P1_STATEMENT, make_study

from balm.api.actions import issue_api_token
from balm.audit.models import AuditEvent
from balm.qual.refi import read_qdpx
from balm.qualitative import actions
from balm.qualitative.models import Coding, Note

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(world):  # type: ignore[no-untyped-def]
    study = make_study(world)
    coding = actions.add_coding(
        source=study.s1, start=0, end=10, code=study.code, by=world.researcher_a
    )
    actions.place_on_theme(
        theme=study.pet1, kind="note", member_uid=study.n1.uid, by=world.researcher_a
    )
    reflection = actions.add_source(
        project=study.project,
        name="Week 2 reflection",
        text="The group settled in.",
        kind="reflection",
        by=world.facilitator_a,
    ).source
    return study, coding, reflection


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _detail_urls(study, coding) -> list[str]:  # type: ignore[no-untyped-def]
    pid = study.project.pk
    return [
        f"/api/qual/projects/{pid}",
        f"/api/qual/sources/{study.s1.pk}",
        f"/api/qual/codes/{study.code.pk}",
        f"/api/qual/codings/{coding.pk}",
        f"/api/qual/themes/{study.pet1.pk}",
        f"/api/qual/memos/{study.n1.pk}",
        f"/api/qual/projects/{pid}/export.qdpx",
    ]


def _list_urls(study) -> list[str]:  # type: ignore[no-untyped-def]
    pid = study.project.pk
    return [
        "/api/qual/projects",
        *(
            f"/api/qual/projects/{pid}/{part}"
            for part in ("sources", "codes", "codings", "themes", "memos")
        ),
    ]


@pytest.mark.parametrize("persona", ["researcher_a", "admin_a"])
def test_owners_read_every_endpoint(world, setting, persona) -> None:  # type: ignore[no-untyped-def]
    study, coding, _reflection = setting
    client = _client(getattr(world, persona))
    for url in _detail_urls(study, coding):
        assert client.get(url).status_code == 200, url
    for url in _list_urls(study):
        body = client.get(url).json()
        assert body["count"] >= 1 and body["items"], url
    sources = client.get(f"/api/qual/projects/{study.project.pk}/sources").json()["items"]
    assert [s["name"] for s in sources] == ["P1 interview", "P2 interview", "Week 2 reflection"]
    assert sources[0]["participant"] == "P1"
    (got,) = client.get(f"/api/qual/projects/{study.project.pk}/codings").json()["items"]
    assert (got["start"], got["end"], got["quote"]) == (0, 10, study.s1.text[0:10])
    (theme,) = [
        t for t in client.get(f"/api/qual/projects/{study.project.pk}/themes").json()["items"]
        if t["name"] == "Alone no more"
    ]  # fmt: skip
    assert theme["members"] == [{"kind": "note", "uid": str(study.n1.uid)}]


def test_pages_are_limited_and_counted(world, setting) -> None:  # type: ignore[no-untyped-def]
    study, _coding, _reflection = setting
    body = (
        _client(world.researcher_a)
        .get(f"/api/qual/projects/{study.project.pk}/sources?limit=1&offset=1")
        .json()
    )
    assert body["count"] == 3 and [s["name"] for s in body["items"]] == ["P2 interview"]
    bad = _client(world.researcher_a).get(f"/api/qual/projects/{study.project.pk}/codes?limit=0")
    assert bad.status_code == 422


@pytest.mark.parametrize("persona", ["researcher_b", "facilitator_a", "facilitator_b", "p1_user"])
def test_others_see_nothing_and_write_nothing(world, setting, persona) -> None:  # type: ignore[no-untyped-def]
    study, coding, reflection = setting
    user = (
        factories.staff("researcher", world.site_b, "res_b")
        if persona == "researcher_b"
        else getattr(world, persona)
    )
    client = _client(user)
    for url in _detail_urls(study, coding):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/qual/projects").json() == {"items": [], "count": 0}
    for url in _list_urls(study)[1:]:
        answer = client.get(url)
        if url.endswith("/sources") and persona == "facilitator_a":
            # A facilitator reads only the reflection they added.
            assert [s["name"] for s in answer.json()["items"]] == [reflection.name]
        else:
            assert answer.status_code == 404, url
    if persona == "facilitator_a":
        assert client.get(f"/api/qual/sources/{reflection.pk}").status_code == 200
    before = (Coding.objects.count(), Note.objects.count())
    made = client.post(
        "/api/qual/codings",
        json.dumps({"source_id": study.s1.pk, "code_id": study.code.pk, "start": 0, "end": 5}),
        content_type="application/json",
    )
    assert made.status_code == 404
    memo = client.post(
        "/api/qual/memos",
        json.dumps({"project_id": study.project.pk, "text": "mine"}),
        content_type="application/json",
    )
    assert memo.status_code == 404
    assert (Coding.objects.count(), Note.objects.count()) == before


def test_no_credentials_is_401(setting) -> None:  # type: ignore[no-untyped-def]
    study, coding, _reflection = setting
    client = Client()
    for url in [*_detail_urls(study, coding), *_list_urls(study)]:
        assert client.get(url).status_code == 401, url
    made = client.post(
        "/api/qual/memos", json.dumps({"project_id": study.project.pk, "text": "x"}),
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 401


def test_create_a_coding_and_a_memo_with_a_token(world, setting) -> None:  # type: ignore[no-untyped-def]
    study, _coding, _reflection = setting
    token = issue_api_token(user=world.researcher_a, name="t", by=None)[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    start = study.s1.text.index(P1_STATEMENT)
    made = client.post(
        "/api/qual/codings",
        json.dumps({"source_id": study.s1.pk, "code_id": study.code.pk, "start": start,
                    "end": start + len(P1_STATEMENT)}),
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["quote"] == P1_STATEMENT
    assert AuditEvent.objects.filter(action="qual.coding.add").count() == 2
    # Every problem at once: a passage outside the text.
    bad = client.post(
        "/api/qual/codings",
        json.dumps({"source_id": study.s1.pk, "code_id": study.code.pk, "start": 5, "end": 99999}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "start"
    memo = client.post(
        "/api/qual/memos",
        json.dumps({"project_id": study.project.pk, "text": "Loneliness recurs.",
                    "target_kind": "theme", "target_uid": str(study.pet1.uid)}),
        content_type="application/json",
    )  # fmt: skip
    assert memo.status_code == 201, memo.content
    assert memo.json()["target_uid"] == str(study.pet1.uid)
    empty = client.post(
        "/api/qual/memos", json.dumps({"project_id": study.project.pk, "text": "  "}),
        content_type="application/json",
    )  # fmt: skip
    assert empty.status_code == 422


def test_qdpx_export_reads_back(world, setting) -> None:  # type: ignore[no-untyped-def]
    study, _coding, _reflection = setting
    answer = _client(world.researcher_a).get(f"/api/qual/projects/{study.project.pk}/export.qdpx")
    assert answer.status_code == 200
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.qdpx"
        path.write_bytes(answer.content)
        project = read_qdpx(path)
    assert sorted(s.name for s in project.sources) == [
        "P1 interview",
        "P2 interview",
        "Week 2 reflection",
    ]
    assert [(c.start, c.end) for c in project.codings] == [(0, 10)]
    assert AuditEvent.objects.filter(action="qual.project.export").count() == 1
