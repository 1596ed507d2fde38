"""Coders compared: pick two coders and a set of sources; agreement per code and each
disagreement side by side, settled one by one into the agreed layer."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from balm.accounts.errors import InvalidInput
from balm.qualitative import actions, comparison
from balm.qualitative.models import Code, Coder, QualProject, Source
from balm.web.views.qual_access import workspace

SHOWN = 40
"""Disagreements listed at once (the unsettled first)."""


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _choice(
    project: QualProject, data: dict[str, list[str]]
) -> tuple[list[Coder], Coder | None, Coder | None, list[Source], list[Source]]:
    coders = list(Coder.objects.filter(project=project).exclude(name=actions.AGREED_CODER))
    by_pk = {c.pk: c for c in coders}
    first = by_pk.get(next(iter(_ids(data.get("a", []))), 0))
    second = by_pk.get(next(iter(_ids(data.get("b", []))), 0))
    if first is None and second is None and len(coders) >= 2:
        first, second = coders[0], coders[1]
    all_sources = list(Source.objects.filter(project=project, deleted_at__isnull=True))
    wanted = set(_ids(data.get("source", [])))
    chosen = [s for s in all_sources if s.pk in wanted] if wanted else []
    if not wanted and first is not None and second is not None:
        both = set(
            Source.objects.filter(project=project, codings__coder=first).values_list(
                "pk", flat=True
            )
        ) & set(
            Source.objects.filter(project=project, codings__coder=second).values_list(
                "pk", flat=True
            )
        )
        chosen = [s for s in all_sources if s.pk in both]
    return coders, first, second, all_sources, chosen


@login_required
@require_GET
def compare(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    project = ws.project
    coders, first, second, all_sources, chosen = _choice(project, dict(request.GET.lists()))
    context: dict[str, object] = {
        "project": project,
        "ws": ws,
        "section": "compare",
        "coders": coders,
        "first": first,
        "second": second,
        "all_sources": all_sources,
        "chosen": {s.pk for s in chosen},
        "problems": [],
    }
    if first is None or second is None or first == second:
        context["problems"] = ["Choose two different coders."]
    elif not chosen:
        context["problems"] = ["Choose at least one source."]
    else:
        result, problems = comparison.agreement_of(project, chosen, first, second)
        items = comparison.shown(project, comparison.run_disagreements(chosen, first, second))
        open_items = [i for i in items if i.decision is None]
        context.update(
            problems=problems,
            result=result,
            per_code=sorted(result.codes.items()) if result else [],
            total=len(items),
            open_count=len(open_items),
            items=(open_items + [i for i in items if i.decision is not None])[:SHOWN],
            query=urlencode(
                [("a", first.pk), ("b", second.pk)] + [("source", s.pk) for s in chosen]
            ),
        )
    return render(request, "balm/qual/compare.html", context)


@login_required
@require_POST
def settle(request: HttpRequest, project_id: int) -> HttpResponse:
    """Settle one disagreement: the agreed layer takes one coder's version, or none. The
    disagreement is found again on the server; the page only names it."""
    ws = workspace(request, project_id)
    project = ws.project
    back = reverse("qual:compare", args=[project.pk]) + "?" + request.POST.get("query", "")
    source = get_object_or_404(
        Source.objects.filter(project=project, deleted_at__isnull=True),
        pk=int(request.POST.get("source", "0") or 0)
        if request.POST.get("source", "").isdigit()
        else 0,
    )
    code_id = request.POST.get("code", "")
    code = get_object_or_404(
        Code.objects.filter(project=project), pk=int(code_id) if code_id.isdigit() else 0
    )
    coders = {c.pk: c for c in Coder.objects.filter(project=project)}
    pair = _ids([request.POST.get("a", ""), request.POST.get("b", "")])
    if len(pair) != 2 or any(p not in coders for p in pair):
        messages.error(request, "Choose two coders of this project.")
        return redirect(back)
    first, second = coders[pair[0]], coders[pair[1]]
    start, end = request.POST.get("start", ""), request.POST.get("end", "")
    match = next(
        (
            d
            for d in comparison.run_disagreements([source], first, second)
            if d.code == str(code.pk) and str(d.start) == start and str(d.end) == end
        ),
        None,
    )
    if match is None:
        messages.error(request, "That disagreement is no longer there: the codings changed.")
        return redirect(back)
    choice = request.POST.get("keep", "")
    spans = {"a": match.first, "b": match.second, "none": ()}.get(choice)
    if spans is None:
        messages.error(request, "Choose whose version the agreed layer takes, or neither.")
        return redirect(back)
    try:
        actions.settle_disagreement(
            source=source,
            code=code,
            start=match.start,
            end=match.end,
            spans=spans,
            choice={"a": first.name, "b": second.name, "none": ""}[choice],
            by=request.user,  # type: ignore[arg-type]
        )
    except InvalidInput as error:
        for problem in error.problems:
            messages.error(request, problem.message)
        return redirect(back)
    taken = {"a": f"{first.name}'s version", "b": f"{second.name}'s version"}.get(
        choice, "neither: left uncoded"
    )
    messages.success(request, f"Settled ({code.name} in {source.name}): {taken}.")
    return redirect(back)
