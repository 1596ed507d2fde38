"""The reader: a source shown by speaker turns, its codings and notes in the margin (colour,
coder), the layer switch (everyone, one coder, where two coders differ), coding and IPA
exploratory notes.

Offsets are code points of the stored text. Every write checks them against the text (and,
when the page sends it, that ``text[start:end]`` is the passage the person saw) and refuses bad
ones naming the problem. Writes go through ``balm.qualitative.actions`` (one transaction, an
audit event). The page's script posts with ``Accept: application/json`` and gets JSON back
(400 with every problem, 409 when someone else changed the thing meanwhile); a plain form post
is redirected back to the passage.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from balm.accounts.errors import InvalidInput, Problem
from balm.qual.project import NOTE_KINDS
from balm.qualitative import actions
from balm.qualitative.convert import turns_from_json
from balm.qualitative.models import Code, Coder, Coding, Note, Source, ThemeMember
from balm.web import qual_transcript as tx
from balm.web.views.qual_access import Workspace, as_int, workspace, workspace_source

RECENT = 5
EXPLORATORY = ("descriptive", "linguistic", "conceptual")


def code_paths(project_id: int) -> list[tuple[Code, str]]:
    """Live codes in tree order, each with its path ("Coping › Breathing")."""
    codes = list(Code.objects.filter(project=project_id, deleted_at__isnull=True))
    by_parent: dict[int | None, list[Code]] = {}
    for code in codes:
        by_parent.setdefault(code.parent_id, []).append(code)
    out: list[tuple[Code, str]] = []

    def walk(parent: int | None, prefix: str, depth: int) -> None:
        for code in by_parent.get(parent, []):
            code.depth = depth
            path = f"{prefix} › {code.name}" if prefix else code.name
            out.append((code, path))
            walk(code.pk, path, depth + 1)

    walk(None, "", 0)
    return out


def _layer(request: HttpRequest, coders: list[Coder], counts: Counter[int]) -> dict[str, Any]:
    layer = request.GET.get("layer", "all")
    ids = {c.pk for c in coders}
    ranked = sorted(ids, key=lambda i: -counts[i])
    a = as_int(request.GET.get("a"))
    b = as_int(request.GET.get("b"))
    a = a if a in ids else (ranked[0] if ranked else None)
    b = b if b in ids and b != a else next((i for i in ranked if i != a), None)
    if layer.startswith("coder-") and as_int(layer[6:]) in ids:
        return {"layer": layer, "coders": {as_int(layer[6:])}, "a": a, "b": b}
    if layer == "differ" and a is not None and b is not None:
        return {"layer": layer, "coders": {a, b}, "a": a, "b": b}
    return {"layer": "all", "coders": ids, "a": a, "b": b}


@login_required
@require_GET
def reader(request: HttpRequest, project_id: int, source_id: int) -> HttpResponse:
    ws, source = workspace_source(request, project_id, source_id)
    paths = code_paths(ws.project.pk)
    code_by_id = {code.pk: code for code, _ in paths}
    rows = list(
        Coding.objects.filter(
            source=source, deleted_at__isnull=True, code__deleted_at__isnull=True
        ).values_list("pk", "start", "end", "code_id", "coder_id")
    )
    coders = list(Coder.objects.filter(project=ws.project))
    for coder in coders:
        coder.layer_key = f"coder-{coder.pk}"
    coder_names = {c.pk: c.name for c in coders}
    per_coder = Counter(row[4] for row in rows)
    layer = _layer(request, [c for c in coders if per_coder[c.pk]], per_coder)
    shown = [r for r in rows if r[4] in layer["coders"]]
    differ: list[tuple[int, int]] = []
    if layer["layer"] == "differ":
        differ = tx.differences(
            [(s, e, c) for _, s, e, c, who in shown if who == layer["a"]],
            [(s, e, c) for _, s, e, c, who in shown if who == layer["b"]],
        )
        shown = [r for r in shown if any(x < r[2] and y > r[1] for x, y in differ)]
    blocks = tx.render(
        source.text,
        turns_from_json(source.turns),
        [tx.Span(pk, s, e, code) for pk, s, e, code, _ in shown],
        differ=differ,
    )
    text = source.text
    resize = reverse("qual:coding-resize", args=[ws.project.pk, 0]).replace("/0/", "/{}/")
    remove = reverse("qual:coding-remove", args=[ws.project.pk, 0]).replace("/0/", "/{}/")
    starts = [b.start for b in blocks]
    for pk, start, end, code_id, coder_id in shown:
        blocks[tx.block_at(starts, start)].codings.append(
            tx.coding_item(
                coding_id=pk,
                start=start,
                end=end,
                code_id=code_id,
                code_name=code_by_id[code_id].name,
                coder=coder_names[coder_id],
                quote=_quote(text[start:end]),
                resize_url=resize.format(pk),
                remove_url=remove.format(pk),
            )
        )
    notes = Note.objects.filter(source=source, deleted_at__isnull=True).select_related("author")
    statements = set(
        ThemeMember.objects.filter(
            kind="note", theme__level="statement", member_uid__in=[n.uid for n in notes]
        ).values_list("member_uid", flat=True)
    )
    for note in notes:
        blocks[tx.block_at(starts, note.start or 0)].notes.append(
            {
                "note": note,
                "is_statement": note.uid in statements,
                "exploratory": note.kind in EXPLORATORY,
                "quote": _quote(text[note.start : note.end]),
            }
        )
    mine = Coder.objects.filter(project=ws.project, user=request.user).first()
    recent_ids: list[int] = []
    if mine is not None:
        recent_ids = [
            row["code_id"]
            for row in Coding.objects.filter(coder=mine, code__deleted_at__isnull=True)
            .values("code_id")
            .annotate(last=Max("id"))
            .order_by("-last")[:RECENT]
        ]
    recent = [(code_by_id[i], path) for i in recent_ids for c, path in paths if c.pk == i]
    return render(
        request,
        "balm/qual/reader.html",
        ws.context(
            source=source,
            blocks=blocks,
            paths=[p for p in paths if p[0].pk not in recent_ids],
            recent=recent,
            coders=[c for c in coders if per_coder[c.pk]],
            counts=per_coder,
            layer=layer,
            shown=len(shown),
            total=len(rows),
            note_kinds=NOTE_KINDS,
            length=len(text),
        ),
    )


def _quote(passage: str, limit: int = 80) -> str:
    passage = " ".join(passage.split())
    return passage if len(passage) <= limit else passage[: limit - 1] + "…"


# --- writes ---------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _done(
    request: HttpRequest, ws: Workspace, source: Source, message: str, at: int, **data: Any
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": message, **data})
    messages.success(request, message)
    url = reverse("qual:reader", args=[ws.project.pk, source.pk])
    return redirect(f"{url}?{request.GET.urlencode()}#at-{at}")


def _refused(
    request: HttpRequest, ws: Workspace, source: Source, problems: list[str], status: int = 400
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "problems": problems}, status=status)
    for problem in problems:
        messages.error(request, problem)
    return redirect("qual:reader", project_id=ws.project.pk, source_id=source.pk)


def _messages(error: InvalidInput) -> list[str]:
    return [p.message for p in error.problems]


def _span(post: Any, text: str) -> tuple[int, int]:
    """``start`` and ``end`` from the form, inside ``text``; with ``quote``, checked to be the
    passage there (a page showing an older text, or an off-by-one, is refused)."""
    start, end = as_int(post.get("start")), as_int(post.get("end"))
    if start is None or end is None:
        raise InvalidInput([Problem("start", "Select a passage first (no start and end given).")])
    if not 0 <= start < end <= len(text):
        raise InvalidInput(
            [
                Problem(
                    "start",
                    f"The passage [{start}, {end}) is not inside the text "
                    f"(need 0 <= start < end <= {len(text)}).",
                )
            ]
        )
    quote = post.get("quote")
    if quote is not None and quote != text[start:end]:
        raise InvalidInput(
            [
                Problem(
                    "quote",
                    f"The passage at [{start}, {end}) is not the one selected; "
                    "reload the page and select it again.",
                )
            ]
        )
    return start, end


@login_required
@require_POST
def coding_add(request: HttpRequest, project_id: int, source_id: int) -> HttpResponse:
    """Apply one or more codes (and perhaps a new code, made here) to the selected passage."""
    ws, source = workspace_source(request, project_id, source_id)
    try:
        start, end = _span(request.POST, source.text)
    except InvalidInput as error:
        return _refused(request, ws, source, _messages(error))
    ids = {as_int(v) for v in request.POST.getlist("code")}
    codes = list(Code.objects.filter(project=ws.project, deleted_at__isnull=True, pk__in=ids))
    problems = []
    if None in ids or len(codes) != len(ids):
        problems.append("One of the chosen codes is not in this project (or was deleted).")
    new_name = request.POST.get("new_code", "").strip()
    if not codes and not new_name:
        problems.append("Choose at least one code, or name a new one.")
    if problems:
        return _refused(request, ws, source, problems)
    made = []
    try:
        with transaction.atomic():
            if new_name:
                found = Code.objects.filter(
                    project=ws.project, name=new_name, deleted_at__isnull=True
                ).first()
                codes.append(
                    found or actions.add_code(project=ws.project, name=new_name, by=request.user)
                )
            mine = Coder.objects.filter(project=ws.project, user=request.user).first()
            for code in codes:
                if (
                    mine is not None
                    and Coding.objects.filter(
                        source=source,
                        code=code,
                        coder=mine,
                        start=start,
                        end=end,
                        deleted_at__isnull=True,
                    ).exists()
                ):
                    continue  # already coded so by this person: nothing to record
                made.append(
                    actions.add_coding(
                        source=source, start=start, end=end, code=code, by=request.user
                    )
                )
    except InvalidInput as error:
        return _refused(request, ws, source, _messages(error))
    if not made:
        return _refused(request, ws, source, ["You have already coded this passage so."])
    names = ", ".join(c.code.name for c in made)
    return _done(
        request,
        ws,
        source,
        f"Coded [{start}, {end}) as {names}.",
        start,
        codings=[c.pk for c in made],
    )


def _coding(ws: Workspace, coding_id: int, *, removed: bool | None = False) -> Coding:
    found = Coding.objects.filter(
        source__project=ws.project, source__in=ws.sources()
    ).select_related("source", "code")
    if removed is not None:
        found = found.filter(deleted_at__isnull=not removed)
    return get_object_or_404(found, pk=coding_id)


@login_required
@require_POST
def coding_remove(request: HttpRequest, project_id: int, coding_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    coding = _coding(ws, coding_id, removed=None)
    if coding.deleted_at is not None:
        return _refused(
            request, ws, coding.source, ["This coding was already removed (by someone else?)."], 409
        )
    actions.remove_coding(coding=coding, by=request.user)
    return _done(
        request,
        ws,
        coding.source,
        f"Removed the coding {coding.code.name} [{coding.start}, {coding.end}).",
        coding.start,
        undo=reverse("qual:coding-restore", args=[project_id, coding.pk]),
    )


@login_required
@require_POST
def coding_restore(request: HttpRequest, project_id: int, coding_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    coding = _coding(ws, coding_id, removed=True)
    try:
        actions.restore_coding(coding=coding, by=request.user)
    except InvalidInput as error:
        return _refused(request, ws, coding.source, _messages(error))
    return _done(request, ws, coding.source, "The coding is back.", coding.start)


@login_required
@require_POST
def coding_resize(request: HttpRequest, project_id: int, coding_id: int) -> HttpResponse:
    """Move a coding's ends to the selected passage; refused (409) if someone else changed or
    removed it since the page showed it (``expected_start``/``expected_end``)."""
    ws = workspace(request, project_id)
    coding = _coding(ws, coding_id, removed=None)
    try:
        start, end = _span(request.POST, coding.source.text)
    except InvalidInput as error:
        return _refused(request, ws, coding.source, _messages(error))
    expected_start = as_int(request.POST.get("expected_start"))
    expected_end = as_int(request.POST.get("expected_end"))
    expected = (
        (expected_start, expected_end)
        if expected_start is not None and expected_end is not None
        else None
    )
    try:
        actions.resize_coding(
            coding=coding, start=start, end=end, expected=expected, by=request.user
        )
    except InvalidInput as error:
        return _refused(request, ws, coding.source, _messages(error), 409)
    return _done(
        request, ws, coding.source, f"{coding.code.name} now covers [{start}, {end}).", start
    )


@login_required
@require_POST
def note_add(request: HttpRequest, project_id: int, source_id: int) -> HttpResponse:
    """An exploratory note (descriptive, linguistic, conceptual) or a memo on the passage."""
    ws, source = workspace_source(request, project_id, source_id)
    try:
        start, end = _span(request.POST, source.text)
        note = actions.add_note(
            project=ws.project,
            text=request.POST.get("text", ""),
            kind=request.POST.get("kind", ""),
            target_kind="source",
            target_uid=source.uid,
            source=source,
            start=start,
            end=end,
            by=request.user,
        )
    except InvalidInput as error:
        return _refused(request, ws, source, _messages(error))
    return _done(request, ws, source, f"{note.kind.capitalize()} note added.", start)


def _note(ws: Workspace, note_id: int) -> Note:
    return get_object_or_404(
        Note.objects.filter(
            project=ws.project, source__in=ws.sources(), deleted_at__isnull=True
        ).select_related("source__case"),
        pk=note_id,
    )


@login_required
@require_POST
def note_delete(request: HttpRequest, project_id: int, note_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    note = _note(ws, note_id)
    actions.delete_note(note=note, by=request.user)
    return _done(request, ws, note.source, "Note deleted.", note.start or 0)


@login_required
@require_POST
def note_statement(request: HttpRequest, project_id: int, note_id: int) -> HttpResponse:
    """Turn an exploratory note into an experiential statement of the participant."""
    ws = workspace(request, project_id)
    note = _note(ws, note_id)
    try:
        theme = actions.note_to_statement(
            note=note, name=request.POST.get("name", ""), by=request.user
        )
    except InvalidInput as error:
        return _refused(request, ws, note.source, _messages(error))
    return _done(
        request,
        ws,
        note.source,
        f"Experiential statement “{theme.name}” made for {note.source.case}.",
        note.start or 0,
        theme=str(theme.uid),
    )
