"""The codebook: the hierarchy with descriptions and colours (text contrast checked), counts per
code and per participant; add, rename, describe, move, merge, split, delete and restore codes,
each with its history and an undo. Writes go through ``balm.qualitative.actions`` and
``balm.qualitative.codebook``."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balm.accounts.errors import InvalidInput
from balm.audit.models import AuditEvent
from balm.qualitative import actions
from balm.qualitative import codebook as book
from balm.qualitative.models import Code, Coding
from balm.web.contrast import GRAPHIC_MINIMUM, PAPER, contrast, text_on
from balm.web.views.qual_access import Workspace, as_int, workspace, workspace_code
from balm.web.views.qual_reader import code_paths


@login_required
@require_GET
def code_colours(request: HttpRequest, project_id: int) -> HttpResponse:
    """The codes' colours as a stylesheet (``.code-ID { --c: #rrggbb }``): the pages use
    classes, never inline styles."""
    ws = workspace(request, project_id)
    lines = [
        f".code-{pk} {{ --c: {colour}; --c-ink: {text_on(colour)}; }}"
        for pk, colour in Code.objects.filter(project=ws.project)
        .exclude(colour="")
        .values_list("pk", "colour")
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "private, no-cache"
    return response


def _counts(ws: Workspace) -> tuple[Counter[int], dict[int, Counter[str]], list[str]]:
    """Live codings per code, and per code per participant (pseudonym)."""
    rows = Coding.objects.filter(source__in=ws.sources(), deleted_at__isnull=True).values_list(
        "code_id", "source__participant__pseudonym"
    )
    per_code: Counter[int] = Counter()
    per_participant: dict[int, Counter[str]] = defaultdict(Counter)
    for code_id, pseudonym in rows:
        per_code[code_id] += 1
        per_participant[code_id][pseudonym or "—"] += 1
    people = sorted({p for c in per_participant.values() for p in c})
    return per_code, per_participant, people


@login_required
@require_http_methods(["GET", "POST"])
def codebook(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    problems: list[str] = []
    if request.method == "POST":
        parent_id = as_int(request.POST.get("parent"))
        parent = workspace_code(ws, parent_id) if parent_id else None
        try:
            code = actions.add_code(
                project=ws.project,
                name=request.POST.get("name", ""),
                parent=parent,
                description=request.POST.get("description", ""),
                colour=request.POST.get("colour", "").strip(),
                by=request.user,
            )
        except InvalidInput as error:
            problems = [p.message for p in error.problems]
        else:
            messages.success(request, f"Code “{code.name}” added.")
            return redirect("qual:codebook", project_id=project_id)
    paths = code_paths(ws.project.pk)
    per_code, per_participant, people = _counts(ws)
    rows = []
    for code, path in paths:
        low = bool(code.colour) and contrast(code.colour, PAPER) < GRAPHIC_MINIMUM
        rows.append(
            {
                "code": code,
                "path": path,
                "count": per_code[code.pk],
                "people": [per_participant[code.pk][p] for p in people],
                "low_contrast": low,
            }
        )
    deleted = Code.objects.filter(project=ws.project, deleted_at__isnull=False).select_related(
        "deleted_by"
    )
    return render(
        request,
        "balm/qual/codebook.html",
        ws.context(
            rows=rows,
            people=people,
            paths=paths,
            deleted=deleted,
            problems=problems,
            form=request.POST if problems else {},
        ),
        status=400 if problems else 200,
    )


def _history(code: Code) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="qualitative.code", object_id=str(code.pk))
        .select_related("actor")
        .order_by("-at", "-id")
    )


@login_required
@require_http_methods(["GET", "POST"])
def code_detail(request: HttpRequest, project_id: int, code_id: int) -> HttpResponse:
    """One code: rename, describe and colour, move, merge, split, delete; its history."""
    ws = workspace(request, project_id)
    code = workspace_code(ws, code_id)
    problems: list[str] = []
    if request.method == "POST":
        try:
            said = _change(request, ws, code)
        except InvalidInput as error:
            problems = [p.message for p in error.problems]
        else:
            messages.success(request, said)
            if code.deleted_at is not None:
                return redirect("qual:codebook", project_id=project_id)
            return redirect("qual:code", project_id=project_id, code_id=code.pk)
    paths = code_paths(ws.project.pk)
    codings = list(
        Coding.objects.filter(code=code, source__in=ws.sources(), deleted_at__isnull=True)
        .select_related("source", "coder")
        .order_by("source__name", "start")
    )
    for coding in codings:
        coding.quote = " ".join(coding.source.text[coding.start : coding.end].split())[:160]
    below = {c.pk for c in actions._descendants(code)} | {code.pk}
    return render(
        request,
        "balm/qual/code.html",
        ws.context(
            code=code,
            codings=codings,
            parents=[(c, p) for c, p in paths if c.pk not in below],
            others=[(c, p) for c, p in paths if c.pk != code.pk],
            history=_history(code),
            undoable=book.UNDOABLE,
            problems=problems,
            low_contrast=bool(code.colour) and contrast(code.colour, PAPER) < GRAPHIC_MINIMUM,
        ),
        status=400 if problems else 200,
    )


def _change(request: HttpRequest, ws: Workspace, code: Code) -> str:
    post, by = request.POST, request.user
    do = post.get("do", "")
    if do == "rename":
        actions.rename_code(code=code, name=post.get("name", ""), by=by)
        return f"Renamed to “{code.name}”."
    if do == "describe":
        book.describe_code(
            code=code,
            description=post.get("description", ""),
            colour=post.get("colour", "").strip(),
            by=by,
        )
        return "Description and colour saved."
    if do == "move":
        parent_id = as_int(post.get("parent"))
        parent = workspace_code(ws, parent_id) if parent_id else None
        actions.move_code(code=code, parent=parent, by=by)
        return f"Moved {'under “' + parent.name + '”' if parent else 'to the top'}."
    if do == "merge":
        if not post.get("into"):
            raise InvalidInput([("into", "Choose the code to merge this one into.")])
        into = workspace_code(ws, post.get("into"))
        moved = book.merge_code(code=code, into=into, by=by)
        return f"Merged “{code.name}” into “{into.name}” ({moved} codings moved)."
    if do == "split":
        ids = {as_int(v) for v in post.getlist("coding")}
        chosen = list(Coding.objects.filter(code=code, pk__in=[i for i in ids if i]))
        new = book.split_code(code=code, codings=chosen, name=post.get("new_name", ""), by=by)
        return f"{len(chosen)} codings moved to the new code “{new.name}”."
    if do == "delete":
        n = actions.delete_code(code=code, by=by)
        return f"Deleted “{code.name}”" + (f" with {n - 1} sub-codes" if n > 1 else "") + "."
    raise InvalidInput([("", "Choose what to change.")])


@login_required
@require_POST
def code_restore(request: HttpRequest, project_id: int, code_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    code = workspace_code(ws, code_id, deleted=True)
    try:
        n = actions.restore_code(code=code, by=request.user)
    except InvalidInput as error:
        for problem in error.problems:
            messages.error(request, problem.message)
    else:
        messages.success(
            request, f"Restored “{code.name}”" + (f" and {n - 1} sub-codes" if n > 1 else "") + "."
        )
    return redirect("qual:codebook", project_id=project_id)


@login_required
@require_POST
def undo(request: HttpRequest, project_id: int, event_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    event = get_object_or_404(
        AuditEvent.objects.filter(
            object_type="qualitative.code",
            object_id__in=[
                str(pk)
                for pk in Code.objects.filter(project=ws.project).values_list("pk", flat=True)
            ],
        ),
        pk=event_id,
    )
    code = Code.objects.get(pk=int(event.object_id))
    try:
        said = book.undo(event=event, by=request.user)
    except InvalidInput as error:
        for problem in error.problems:
            messages.error(request, problem.message)
    else:
        messages.success(request, f"Undone: {said}")
    code.refresh_from_db()
    if code.deleted_at is not None:
        return redirect("qual:codebook", project_id=project_id)
    return redirect("qual:code", project_id=project_id, code_id=code.pk)
