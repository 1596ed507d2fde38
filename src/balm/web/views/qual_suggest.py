"""Suggestions (:mod:`balm.qual.suggest`): candidate groupings of one coder's coded passages,
and "more like this" for a passage. Nothing changes until a person accepts: a grouping becomes
a theme, a similar turn is coded with the passage's code (recorded as an accepted suggestion).
"""

from __future__ import annotations

import uuid

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from balm.accounts.errors import InvalidInput
from balm.qual.analysis_errors import QualAnalysisError
from balm.qual.suggest import group_passages, passages, similar_passages
from balm.qualitative import actions
from balm.qualitative.models import Code, Coder, Coding, QualProject, Source
from balm.web.views.qual_access import workspace

SKIP_SPEAKERS = ("Interviewer", "Facilitator")
"""Turns of these speakers are questions, not what a passage is about."""


def _coder(project: QualProject, request: HttpRequest) -> tuple[list[Coder], Coder | None]:
    coders = list(Coder.objects.filter(project=project))
    wanted = request.GET.get("coder", "")
    chosen = next((c for c in coders if str(c.pk) == wanted), None)
    if chosen is None:
        mine = next((c for c in coders if c.user_id == request.user.pk), None)
        busiest = max(coders, key=lambda c: c.codings.count(), default=None)
        chosen = mine if mine is not None and mine.codings.exists() else busiest
    return coders, chosen


def _coding_rows(project: QualProject, coder: Coder) -> list[Coding]:
    rows = list(
        Coding.objects.filter(
            source__project=project,
            coder=coder,
            deleted_at__isnull=True,
            source__deleted_at__isnull=True,
            code__deleted_at__isnull=True,
        ).select_related("source", "code")
    )
    for row in rows:
        row.quote = row.source.text[row.start : row.end]  # type: ignore[attr-defined]
    return rows


@login_required
@require_GET
def suggestions(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    project = ws.project
    coders, coder = _coder(project, request)
    groups, problems = [], []
    try:
        n_groups = min(max(int(request.GET.get("groups", "6")), 2), 20)
    except ValueError:
        n_groups = 6
    if coder is not None:
        rows = _coding_rows(project, coder)
        by_uid = {str(c.uid): c for c in rows}
        frame = pd.DataFrame(
            {
                "passage": list(by_uid),
                "source": [str(c.source_id) for c in rows],
                "start": [c.start for c in rows],
                "end": [c.end for c in rows],
                "text": [c.source.text[c.start : c.end] for c in rows],
            }
        )
        try:
            for suggestion in group_passages(frame, n_groups=n_groups):
                groups.append(
                    {
                        "suggestion": suggestion,
                        "name": ", ".join(suggestion.label_terms[:3]),
                        "members": [by_uid[m] for m in suggestion.members],
                    }
                )
        except QualAnalysisError as error:
            problems = list(error.problems)
    return render(
        request,
        "balm/qual/suggest.html",
        {
            "project": project,
            "ws": ws,
            "section": "suggest",
            "coders": coders,
            "coder": coder,
            "groups": groups,
            "n_groups": n_groups,
            "problems": problems,
            "level": "group" if project.themes.filter(level="group").exists() else "theme",
        },
    )


@login_required
@require_POST
def accept_grouping(request: HttpRequest, project_id: int) -> HttpResponse:
    """Make a theme from the passages of a grouping the person ticked."""
    ws = workspace(request, project_id)
    project = ws.project
    level = request.POST.get("level", "")
    try:
        members = [uuid.UUID(v) for v in request.POST.getlist("member")]
    except ValueError:
        raise Http404 from None
    try:
        theme = actions.theme_from_suggestion(
            project=project,
            name=request.POST.get("name", ""),
            level=level if level in ("group", "theme") else "",
            codings=members,
            by=request.user,  # type: ignore[arg-type]
        )
    except InvalidInput as error:
        for problem in error.problems:
            messages.error(request, problem.message)
        return redirect("qual:suggestions", project_id=project.pk)
    messages.success(request, f"Theme {theme.name} made from {len(members)} passages.")
    method = "ipa" if theme.level == "group" else "ta"
    return redirect(reverse("qual:themes", args=[project.pk]) + f"?method={method}")


def _turn_frame(project: QualProject, coding: Coding) -> pd.DataFrame:
    """Every speaker turn of the project's live sources (questions left out) and the coding."""
    sources = list(Source.objects.filter(project=project, deleted_at__isnull=True))
    texts = pd.DataFrame(
        {
            "source": [str(s.pk) for s in sources],
            "name": [s.name for s in sources],
            "case": [None for _ in sources],
            "kind": [s.kind for s in sources],
            "text": [s.text for s in sources],
        }
    )
    segments = pd.DataFrame(
        [(str(s.pk), t["start"], t["end"], t.get("speaker")) for s in sources for t in s.turns],
        columns=["source", "start", "end", "speaker"],
    ).astype({"source": "string", "speaker": "string", "start": "int64", "end": "int64"})
    turns = passages(texts, segments=segments, skip_speakers=SKIP_SPEAKERS)
    query = pd.DataFrame(
        {
            "passage": [f"coding:{coding.uid}"],
            "source": [str(coding.source_id)],
            "start": [coding.start],
            "end": [coding.end],
            "text": [coding.source.text[coding.start : coding.end]],
        }
    )
    return pd.concat([query, turns], ignore_index=True)


@login_required
@require_GET
def more_like(request: HttpRequest, project_id: int, coding_uid: uuid.UUID) -> HttpResponse:
    ws = workspace(request, project_id)
    project = ws.project
    coding = get_object_or_404(
        Coding.objects.filter(
            source__project=project, deleted_at__isnull=True, source__deleted_at__isnull=True
        ).select_related("source", "code"),
        uid=coding_uid,
    )
    coding.quote = coding.source.text[coding.start : coding.end]  # type: ignore[attr-defined]
    frame = _turn_frame(project, coding)
    sources = {str(s.pk): s for s in Source.objects.filter(project=project)}
    already = set(
        Coding.objects.filter(
            source__project=project, code=coding.code, deleted_at__isnull=True
        ).values_list("source_id", "start", "end")
    )
    found = []
    for s in similar_passages(frame, f"coding:{coding.uid}", top_n=12):
        passage = s.members[0]
        if passage.startswith("coding:"):
            continue
        source_id, _, span = passage.rpartition(":")
        start, _, end = span.partition("-")
        source = sources[source_id]
        a, b = int(start), int(end)
        if (source.pk, a, b) == (coding.source_id, coding.start, coding.end):
            continue
        found.append(
            {
                "suggestion": s,
                "source": source,
                "start": a,
                "end": b,
                "text": source.text[a:b],
                "coded": (source.pk, a, b) in already,
            }
        )
    return render(
        request,
        "balm/qual/suggest_like.html",
        {"project": project, "ws": ws, "section": "suggest", "coding": coding, "found": found},
    )


@login_required
@require_POST
def accept_like(request: HttpRequest, project_id: int, coding_uid: uuid.UUID) -> HttpResponse:
    """Code a suggested turn with the code of the passage it is like."""
    ws = workspace(request, project_id)
    project = ws.project
    coding = get_object_or_404(
        Coding.objects.filter(source__project=project, deleted_at__isnull=True), uid=coding_uid
    )
    source_id = request.POST.get("source", "")
    source = get_object_or_404(
        Source.objects.filter(project=project), pk=int(source_id) if source_id.isdigit() else 0
    )
    code: Code = coding.code
    try:
        actions.add_coding(
            source=source,
            start=int(request.POST.get("start", "-1") or -1),
            end=int(request.POST.get("end", "-1") or -1),
            code=code,
            origin="suggestion",
            by=request.user,  # type: ignore[arg-type]
        )
    except (InvalidInput, ValueError) as error:
        problems = error.problems if isinstance(error, InvalidInput) else []
        for problem in problems or ["The passage is not a whole number range."]:
            messages.error(request, getattr(problem, "message", str(problem)))
    else:
        messages.success(request, f"Coded with {code.name} in {source.name}.")
    return redirect("qual:suggest-like", project_id=project.pk, coding_uid=coding.uid)
