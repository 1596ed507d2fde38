"""/api/qual: a site's qualitative projects: sources, codes, codings, themes and memos (lists
are pages, ``?limit=&offset=``), a coding or a memo made, and a project as a REFI-QDA ``.qdpx``.

The same rules as the workspace pages (``balm.accounts.permissions``): researchers and
administrators of the site read and code everything; a facilitator reads only the session
feedback and reflections they added (``/projects/{id}/sources`` and ``/sources/{id}``);
anyone else, and anything deleted, is a 404. Text is pseudonymised; writes go through
``balm.qualitative.actions`` (audited).
"""

# No ``from __future__ import annotations``: ``@paginate`` resolves a view's string
# annotations in django-ninja's own module.
import tempfile
import uuid
from pathlib import Path
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.api.auth import Caller
from balm.api.pagination import Page, Rows
from balm.api.schemas import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Id
from balm.qual.refi import write_qdpx
from balm.qualitative import actions
from balm.qualitative.models import Code, Coding, Note, QualProject, Source, Theme

router = Router(tags=["qualitative"])


class ProjectOut(Schema):
    id: int
    uid: str
    name: str
    description: str
    site: str


TimepointFilter = Literal["baseline", "mid", "end", "follow_up", "none"]
"""Only the sources of one programme timepoint (``none``: those tied to none)."""


class SourceOut(Schema):
    id: int
    uid: str
    project_id: int
    name: str
    kind: str
    participant: str | None = Field(description="The participant's pseudonym, if any.")
    timepoint: str | None = Field(
        description="The programme timepoint the text was gathered at (baseline, mid, end, "
        "follow_up), or null when it is tied to none."
    )
    words: int


class SourceDetailOut(SourceOut):
    text: str = Field(description="Pseudonymised; offsets count its code points.")
    turns: list[dict[str, Any]]


class CodeOut(Schema):
    id: int
    uid: str
    name: str
    parent_id: int | None
    description: str
    colour: str


class CodingOut(Schema):
    id: int
    uid: str
    source_id: int
    code_id: int
    coder: str
    start: int
    end: int
    origin: str
    quote: str


class CodingIn(Schema):
    source_id: Id
    code_id: Id
    start: int = Field(ge=0, le=2**31 - 1)
    end: int = Field(ge=1, le=2**31 - 1)


class MemberOut(Schema):
    kind: str
    uid: str


class ThemeOut(Schema):
    id: int
    uid: str
    name: str
    level: str
    parent_id: int | None
    case: str | None
    description: str
    members: list[MemberOut]


class MemoOut(Schema):
    id: int
    uid: str
    author: str
    kind: str
    text: str
    target_kind: str
    target_uid: str | None
    source_id: int | None
    start: int | None
    end: int | None
    created_at: Any


class MemoIn(Schema):
    project_id: Id
    text: str
    kind: str = "memo"
    target_kind: str = "project"
    target_uid: uuid.UUID | None = None
    source_id: Id | None = None
    start: int | None = Field(None, ge=0, le=2**31 - 1)
    end: int | None = Field(None, ge=1, le=2**31 - 1)


def _user(request: HttpRequest) -> Any:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    return caller.user


def _project(request: HttpRequest, project_id: int) -> QualProject:
    """A project the caller codes (researcher or administrator of its site), else 404."""
    return get_object_or_404(
        permissions.visible_qual_projects(_user(request)).select_related("site"), pk=project_id
    )


def _sources(request: HttpRequest) -> QuerySet[Source]:
    return permissions.visible_qual_sources(_user(request))


def project_out(p: QualProject) -> dict[str, Any]:
    return {
        "id": p.pk,
        "uid": str(p.uid),
        "name": p.name,
        "description": p.description,
        "site": p.site.name,
    }


def source_out(s: Source) -> dict[str, Any]:
    return {
        "id": s.pk,
        "uid": str(s.uid),
        "project_id": s.project_id,
        "name": s.name,
        "kind": s.kind,
        "participant": s.participant.pseudonym if s.participant_id else None,
        "timepoint": s.timepoint or None,
        "words": len(s.text.split()),
    }


def code_out(c: Code) -> dict[str, Any]:
    return {
        "id": c.pk,
        "uid": str(c.uid),
        "name": c.name,
        "parent_id": c.parent_id,
        "description": c.description,
        "colour": c.colour,
    }


def coding_out(c: Coding) -> dict[str, Any]:
    return {
        "id": c.pk,
        "uid": str(c.uid),
        "source_id": c.source_id,
        "code_id": c.code_id,
        "coder": c.coder.name,
        "start": c.start,
        "end": c.end,
        "origin": c.origin,
        "quote": c.source.text[c.start : c.end],
    }


def theme_out(t: Theme) -> dict[str, Any]:
    return {
        "id": t.pk,
        "uid": str(t.uid),
        "name": t.name,
        "level": t.level,
        "parent_id": t.parent_id,
        "case": t.case.name if t.case_id else None,
        "description": t.description,
        "members": [{"kind": m.kind, "uid": str(m.member_uid)} for m in t.members.all()],
    }


def memo_out(n: Note) -> dict[str, Any]:
    return {
        "id": n.pk,
        "uid": str(n.uid),
        "author": n.author.name,
        "kind": n.kind,
        "text": n.text,
        "target_kind": n.target_kind,
        "target_uid": str(n.target_uid) if n.target_uid else None,
        "source_id": n.source_id,
        "start": n.start,
        "end": n.end,
        "created_at": n.created_at,
    }


@router.get(
    "/projects",
    response={200: list[ProjectOut], **LIST_ERRORS},
    summary="Projects you code (a page)",
)
@paginate(Page)
def list_projects(request: HttpRequest) -> Rows[QualProject]:
    projects = permissions.visible_qual_projects(_user(request)).select_related("site")
    return Rows(projects.order_by("site__name", "name", "pk"), project_out)


@router.get(
    "/projects/{project_id}", response={200: ProjectOut, **READ_ERRORS}, summary="A project"
)
def get_project(request: HttpRequest, project_id: Id) -> dict[str, Any]:
    return project_out(_project(request, project_id))


@router.get(
    "/projects/{project_id}/sources",
    response={200: list[SourceOut], **READ_ERRORS},
    summary="The project's sources you may read (a page)",
)
@paginate(Page)
def list_sources(
    request: HttpRequest, project_id: Id, timepoint: TimepointFilter | None = None
) -> Rows[Source]:
    # Facilitators of the site reach the list too (their own feedback and reflections).
    get_object_or_404(permissions.workspace_qual_projects(_user(request)), pk=project_id)
    rows = _sources(request).filter(project_id=project_id).select_related("participant")
    if timepoint is not None:
        rows = rows.filter(timepoint="" if timepoint == "none" else timepoint)
    return Rows(rows.order_by("name", "pk"), source_out)


@router.get(
    "/sources/{source_id}", response={200: SourceDetailOut, **READ_ERRORS}, summary="A source"
)
def get_source(request: HttpRequest, source_id: Id) -> dict[str, Any]:
    source = get_object_or_404(_sources(request).select_related("participant"), pk=source_id)
    return {**source_out(source), "text": source.text, "turns": source.turns}


@router.get(
    "/projects/{project_id}/codes",
    response={200: list[CodeOut], **READ_ERRORS},
    summary="Codebook (a page)",
)
@paginate(Page)
def list_codes(request: HttpRequest, project_id: Id) -> Rows[Code]:
    project = _project(request, project_id)
    rows = Code.objects.filter(project=project, deleted_at__isnull=True)
    return Rows(rows.order_by("position", "pk"), code_out)


@router.get("/codes/{code_id}", response={200: CodeOut, **READ_ERRORS}, summary="A code")
def get_code(request: HttpRequest, code_id: Id) -> dict[str, Any]:
    projects = permissions.visible_qual_projects(_user(request))
    return code_out(
        get_object_or_404(
            Code.objects.filter(project__in=projects, deleted_at__isnull=True), pk=code_id
        )
    )


def _codings(request: HttpRequest) -> QuerySet[Coding]:
    projects = permissions.visible_qual_projects(_user(request))
    return Coding.objects.filter(
        source__project__in=projects,
        deleted_at__isnull=True,
        source__deleted_at__isnull=True,
        code__deleted_at__isnull=True,
    ).select_related("source", "coder")


@router.get(
    "/projects/{project_id}/codings",
    response={200: list[CodingOut], **READ_ERRORS},
    summary="Codings, of one source with ?source_id= (a page)",
)
@paginate(Page)
def list_codings(request: HttpRequest, project_id: Id, source_id: Id | None = None) -> Rows[Coding]:
    project = _project(request, project_id)
    rows = _codings(request).filter(source__project=project)
    if source_id is not None:
        rows = rows.filter(source_id=source_id)
    return Rows(rows.order_by("source_id", "start", "end", "pk"), coding_out)


@router.get("/codings/{coding_id}", response={200: CodingOut, **READ_ERRORS}, summary="A coding")
def get_coding(request: HttpRequest, coding_id: Id) -> dict[str, Any]:
    return coding_out(get_object_or_404(_codings(request), pk=coding_id))


@router.post(
    "/codings",
    response={201: CodingOut, **WRITE_ERRORS},
    summary="Code a passage (as yourself)",
)
def create_coding(request: HttpRequest, body: CodingIn) -> Status:
    user = _user(request)
    projects = permissions.visible_qual_projects(user)
    source = get_object_or_404(
        Source.objects.filter(project__in=projects, deleted_at__isnull=True), pk=body.source_id
    )
    code = Code.objects.filter(project=source.project_id, pk=body.code_id).first()
    if code is None:
        raise InvalidInput([Problem("code_id", "No such code in the source's project.")])
    coding = actions.add_coding(source=source, start=body.start, end=body.end, code=code, by=user)
    return Status(201, coding_out(coding))


@router.get(
    "/projects/{project_id}/themes",
    response={200: list[ThemeOut], **READ_ERRORS},
    summary="Themes (a page)",
)
@paginate(Page)
def list_themes(request: HttpRequest, project_id: Id) -> Rows[Theme]:
    project = _project(request, project_id)
    rows = Theme.objects.filter(project=project).select_related("case").prefetch_related("members")
    return Rows(rows.order_by("position", "pk"), theme_out)


@router.get("/themes/{theme_id}", response={200: ThemeOut, **READ_ERRORS}, summary="A theme")
def get_theme(request: HttpRequest, theme_id: Id) -> dict[str, Any]:
    projects = permissions.visible_qual_projects(_user(request))
    return theme_out(
        get_object_or_404(
            Theme.objects.filter(project__in=projects).select_related("case"), pk=theme_id
        )
    )


def _memos(request: HttpRequest) -> QuerySet[Note]:
    projects = permissions.visible_qual_projects(_user(request))
    return Note.objects.filter(project__in=projects, deleted_at__isnull=True).select_related(
        "author"
    )


@router.get(
    "/projects/{project_id}/memos",
    response={200: list[MemoOut], **READ_ERRORS},
    summary="Memos and exploratory notes (a page)",
)
@paginate(Page)
def list_memos(request: HttpRequest, project_id: Id) -> Rows[Note]:
    project = _project(request, project_id)
    return Rows(_memos(request).filter(project=project).order_by("pk"), memo_out)


@router.get("/memos/{memo_id}", response={200: MemoOut, **READ_ERRORS}, summary="A memo")
def get_memo(request: HttpRequest, memo_id: Id) -> dict[str, Any]:
    return memo_out(get_object_or_404(_memos(request), pk=memo_id))


@router.post(
    "/memos",
    response={201: MemoOut, **WRITE_ERRORS},
    summary="Write a memo or an exploratory note (as yourself)",
)
def create_memo(request: HttpRequest, body: MemoIn) -> Status:
    user = _user(request)
    project = _project(request, body.project_id)
    source = None
    if body.source_id is not None:
        source = Source.objects.filter(
            project=project, pk=body.source_id, deleted_at__isnull=True
        ).first()
        if source is None:
            raise InvalidInput([Problem("source_id", "No such source in this project.")])
    note = actions.add_note(
        project=project,
        text=body.text,
        kind=body.kind,
        target_kind=body.target_kind,
        target_uid=body.target_uid,
        source=source,
        start=body.start,
        end=body.end,
        by=user,
    )
    return Status(201, memo_out(note))


@router.get(
    "/projects/{project_id}/export.qdpx",
    response={200: None, **READ_ERRORS},
    summary="The project as a REFI-QDA .qdpx file (audited)",
)
def export_qdpx(request: HttpRequest, project_id: Id) -> HttpResponse:
    project = _project(request, project_id)
    content = actions.export_project(project=project, by=_user(request))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "project.qdpx"
        write_qdpx(content, path)
        body = path.read_bytes()
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="project-{project.pk}.qdpx"'
    return response
