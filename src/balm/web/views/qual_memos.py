"""Memos on the project, its sources, codes and themes, with their authors and times: the audit
trail of the analysis that IPA asks for. Writes go through ``actions.add_note``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from balm.accounts.errors import InvalidInput
from balm.qualitative import actions
from balm.qualitative.models import Code, Note, Theme
from balm.web.views.qual_access import Workspace, workspace


def targets(ws: Workspace) -> dict[str, tuple[str, str]]:
    """``"kind:uid"`` -> (kind, what a person reads) for everything a memo may be on."""
    found = {"project": ("project", "The project")}
    for kind, rows in (
        ("source", ws.sources()),
        ("code", Code.objects.filter(project=ws.project, deleted_at__isnull=True)),
        ("theme", Theme.objects.filter(project=ws.project)),
    ):
        for row in rows.only("uid", "name"):
            found[f"{kind}:{row.uid}"] = (kind, f"{kind.capitalize()}: {row.name}")
    return found


@login_required
@require_http_methods(["GET", "POST"])
def memos(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    choices = targets(ws)
    problems: list[str] = []
    text, chosen = "", request.GET.get("on", "project")
    if request.method == "POST":
        text, chosen = request.POST.get("text", ""), request.POST.get("on", "")
        if chosen not in choices:
            problems.append("Choose what the memo is about from the list.")
        else:
            kind, _, uid = chosen.partition(":")
            try:
                actions.add_note(
                    project=ws.project,
                    text=text,
                    kind="memo",
                    target_kind=kind,
                    target_uid=uuid.UUID(uid) if uid else None,
                    by=request.user,
                )
            except InvalidInput as error:
                problems += [p.message for p in error.problems]
            else:
                messages.success(request, "Memo saved.")
                return redirect("qual:memos", project_id=project_id)
    notes = (
        Note.objects.filter(project=ws.project, kind="memo", deleted_at__isnull=True)
        .select_related("author")
        .order_by("-created_at", "-id")
    )
    labels = {key.partition(":")[2]: label for key, (_, label) in choices.items()}
    rows = [(note, labels.get(str(note.target_uid), "The project")) for note in notes]
    return render(
        request,
        "balm/qual/memos.html",
        ws.context(rows=rows, choices=choices, chosen=chosen, text=text, problems=problems),
        status=400 if problems else 200,
    )
