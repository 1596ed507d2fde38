"""The theme board (drag and drop, or a form per item for keyboard users), the recurrence table
live from it, and the table's exports (CSV, XLSX, Word)."""

from __future__ import annotations

import uuid
from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from balm.accounts.errors import InvalidInput, Problem
from balm.qual import recurrence_export
from balm.qualitative import actions, board
from balm.qualitative.models import Case, Theme
from balm.web.views.qual_access import workspace

LEVELS = {
    "ipa": (("group", "Group experiential theme"), ("personal", "Personal experiential theme")),
    "ta": (("theme", "Theme"), ("subtheme", "Subtheme")),
}


def _method(request: HttpRequest) -> str:
    method = request.GET.get("method") or request.POST.get("method") or "ipa"
    return method if method in board.METHODS else "ipa"


def _board_url(project_id: int, method: str, case: str = "") -> str:
    """The board, back at the participant the person was working on."""
    at = f"&case={case}" if case.isdigit() else ""
    return f"{reverse('qual:themes', args=[project_id])}?method={method}{at}"


@login_required
@require_GET
def theme_board(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    project = ws.project
    method = _method(request)
    the_board = board.build(project, method)
    column = the_board.column(request.GET.get("case"))
    rec, _frames = board.recurrence_of(project, method)
    return render(
        request,
        "balm/qual/themes.html",
        {
            "project": project,
            "ws": ws,
            "method": method,
            "methods": board.METHODS,
            "board": the_board,
            "column": column,
            "levels": LEVELS[method],
            "cases": Case.objects.filter(project=project),
            "recurrence": _table_context(rec),
            "section": "themes",
        },
    )


def _uid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput([Problem(field, "Choose an item from the board.")]) from None


def _theme(project_id: int, value: str, field: str) -> Theme | None:
    if not value:
        return None
    found = Theme.objects.filter(project_id=project_id, uid=_uid(value, field)).first()
    if found is None:
        raise InvalidInput([Problem(field, "No such theme in this project.")])
    return found


def _move(request: HttpRequest, project_id: int) -> str:
    # "kind:uid" from the script (with "from" beside it), "kind:uid:from" from the form.
    kind, _, rest = request.POST.get("item", "").partition(":")
    uid, _, from_in_item = rest.partition(":")
    to = _theme(project_id, request.POST.get("to", ""), "to")
    source = _theme(project_id, request.POST.get("from", "") or from_in_item, "from")
    if kind == "theme":
        moved = _theme(project_id, uid, "item")
        assert moved is not None
        actions.move_theme(theme=moved, parent=to, by=request.user)  # type: ignore[arg-type]
        return f"{moved.name} moved."
    if kind not in ("coding", "code", "note"):
        raise InvalidInput([Problem("item", "Choose an item from the board.")])
    member = _uid(uid, "item")
    if to is None:
        if source is None:
            raise InvalidInput([Problem("to", "Choose a theme to move it to.")])
        actions.remove_theme_member(theme=source, kind=kind, member_uid=member, by=request.user)  # type: ignore[arg-type]
        return f"Taken off {source.name}."
    actions.place_on_theme(
        theme=to,
        kind=kind,
        member_uid=member,
        from_theme=source,
        by=request.user,  # type: ignore[arg-type]
    )
    return f"Moved to {to.name}."


def _answer(
    request: HttpRequest, project_id: int, method: str, done: str | None, error: InvalidInput | None
) -> HttpResponse:
    """JSON for the board's script, a message and a redirect for the plain form."""
    if request.headers.get("Accept", "").startswith("application/json"):
        if error is not None:
            return JsonResponse({"problems": [p.message for p in error.problems]}, status=422)
        return JsonResponse({"ok": True, "message": done})
    if error is not None:
        for problem in error.problems:
            messages.error(request, problem.message)
    else:
        messages.success(request, done or "Saved.")
    return redirect(_board_url(project_id, method, request.POST.get("case", "")))


@login_required
@require_POST
def theme_move(request: HttpRequest, project_id: int) -> HttpResponse:
    """Move an item onto a theme (or off it, with no target), or a theme under another."""
    ws = workspace(request, project_id)
    project = ws.project
    try:
        done = _move(request, project.pk)
    except InvalidInput as error:
        return _answer(request, project.pk, _method(request), None, error)
    return _answer(request, project.pk, _method(request), done, None)


@login_required
@require_POST
def theme_create(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    project = ws.project
    method = _method(request)
    level = request.POST.get("level", "")
    case = None
    try:
        if request.POST.get("case"):
            case = Case.objects.filter(project=project, pk=request.POST["case"]).first()
            if case is None or not request.POST["case"].isdigit():
                raise InvalidInput([Problem("case", "Choose a participant of this project.")])
        if level not in dict(LEVELS[method]):
            raise InvalidInput(
                [Problem("level", f"Choose one of: {', '.join(dict(LEVELS[method]).values())}.")]
            )
        theme = actions.create_theme(
            project=project,
            name=request.POST.get("name", ""),
            level=level,
            case=case,
            by=request.user,  # type: ignore[arg-type]
        )
    except InvalidInput as error:
        return _answer(request, project.pk, method, None, error)
    return _answer(request, project.pk, method, f"Theme {theme.name} made.", None)


def _cell(passages: int, exemplar: str) -> str:
    """One cell of the recurrence table as HTML (written here: 1,200 cells through the
    template language took longer than the analysis)."""
    if not passages:
        return '<td><span class="muted">none</span></td>'
    plural = "" if passages == 1 else "s"
    return (
        f'<td class="present"><span class="count">{passages} passage{plural}</span>'
        f"<q>{escape(str(exemplar))}</q></td>"
    )


def _table_context(rec: object) -> dict[str, object] | None:
    if rec is None:
        return None
    rows = recurrence_export.table_rows(rec)  # type: ignore[arg-type]
    cases = list(rec.cases)  # type: ignore[attr-defined]
    return {
        "cases": cases,
        "rule": rec.exemplar_rule,  # type: ignore[attr-defined]
        "rows": [
            {
                "name": row[0],
                "cells": [
                    {"passages": row[2 + 2 * i], "exemplar": row[3 + 2 * i]}
                    for i in range(len(cases))
                ],
                "cells_html": mark_safe(
                    "".join(_cell(row[2 + 2 * i], row[3 + 2 * i]) for i in range(len(cases)))
                ),
                "present": row[-2],
                "share": row[-1],
            }
            for row in rows[1:]
        ],
    }


@login_required
@require_GET
def recurrence_table(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    project = ws.project
    method = _method(request)
    rec, _frames = board.recurrence_of(project, method)
    return render(
        request,
        "balm/qual/recurrence.html",
        {
            "project": project,
            "ws": ws,
            "method": method,
            "methods": board.METHODS,
            "recurrence": _table_context(rec),
            "section": "recurrence",
        },
    )


EXPORTS = {
    "csv": ("text/csv; charset=utf-8", "recurrence.csv"),
    "quotes.csv": ("text/csv; charset=utf-8", "recurrence-quotes.csv"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "recurrence.xlsx",
    ),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "recurrence.docx",
    ),
}


@login_required
@require_GET
def recurrence_export_view(request: HttpRequest, project_id: int, fmt: str) -> HttpResponse:
    """The table and its quotes as a file; audited like the project export."""
    ws = workspace(request, project_id)
    project = ws.project
    if fmt not in EXPORTS:
        raise Http404("No such format.")
    method = _method(request)
    rec, frames = board.recurrence_of(project, method)
    if rec is None:
        messages.error(request, "There is no theme at the top of the board to export yet.")
        return redirect(reverse("qual:recurrence", args=[project.pk]) + f"?method={method}")
    table = recurrence_export.table_rows(rec)
    if fmt == "csv":
        body = recurrence_export.to_csv(table)
    else:
        quotes = recurrence_export.quote_rows(rec, frames)
        if fmt == "quotes.csv":
            body = recurrence_export.to_csv(quotes)
        elif fmt == "xlsx":
            body = recurrence_export.to_xlsx(table, quotes)
        else:
            body = recurrence_export.to_docx(
                f"{project.name}: recurrence of themes", rec, table, quotes
            )
    actions.record_recurrence_export(project=project, fmt=fmt, by=request.user)  # type: ignore[arg-type]
    content_type, name = EXPORTS[fmt]
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
