"""A project's sources: the list (filter by group), search across them, upload several files
with the pseudonymisation report reviewed before anything is kept, delete and restore.

An upload is read at once (every unreadable file named, nothing staged if any is) and staged in
the person's server-side session, never in a half-written source: the review page shows every
replacement the pseudonymisation would make; the person adds a term and runs it again, keeps
the sources (all in one transaction, through ``actions.add_source``), or drops them.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput
from balm.accounts.models import Participant
from balm.programmes.models import Cohort
from balm.programmes.templates import Timepoint
from balm.qual.errors import QualInputError
from balm.qual.project import SOURCE_KINDS
from balm.qual.readers import SUFFIXES, read_source_file
from balm.qualitative import actions
from balm.qualitative.convert import turns_from_json, turns_to_json
from balm.qualitative.models import Coding, Source
from balm.qualitative.pseudonyms import preview_source
from balm.web.forms import BalmForm
from balm.web.views.qual_access import Workspace, workspace

STAGED_FOR = 2 * 60 * 60  # seconds an upload waits for its review before it is dropped
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 20
HITS_PER_SOURCE = 5
CONTEXT = 60


NO_TIMEPOINT = "Not tied to a timepoint"
TIMEPOINTS: list[tuple[str, str]] = [("", NO_TIMEPOINT), *Timepoint.choices]


def _kinds(ws: Workspace) -> list[tuple[str, str]]:
    allowed = SOURCE_KINDS if ws.can_code else tuple(permissions.FACILITATOR_SOURCE_KINDS)
    return [(k, k.replace("_", " ").capitalize()) for k in SOURCE_KINDS if k in allowed]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the pattern Django's documentation gives)."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data] if data else single(None, initial)
        return [single(data, initial)]


class UploadForm(BalmForm):
    files = MultipleFileField(
        label="Files",
        help_text=f"One or more transcripts or texts ({', '.join(SUFFIXES)}), up to "
        f"{MAX_FILES} at once. Nothing is kept until you have checked the pseudonymisation.",
        widget=MultipleFileInput(attrs={"accept": ",".join(SUFFIXES)}),
        error_messages={"required": "Choose at least one file."},
    )
    kind = forms.ChoiceField(label="Kind", choices=())
    participant = forms.ModelChoiceField(
        queryset=Participant.objects.none(),
        label="Participant",
        required=False,
        help_text="Whose words these are (you can change it for each file on the next page).",
        empty_label="No one in particular",
    )
    timepoint = forms.ChoiceField(
        label="Timepoint",
        choices=TIMEPOINTS,
        required=False,
        help_text="When in the programme the text was gathered, if it belongs to one of the "
        "measurement timepoints.",
    )

    def __init__(self, *args: Any, ws: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kinds(ws)  # type: ignore[attr-defined]
        participant = self.fields["participant"]
        participant.queryset = _participants(ws)  # type: ignore[attr-defined]
        participant.label_from_instance = lambda p: p.pseudonym  # type: ignore[attr-defined]


def _participants(ws: Workspace) -> Any:
    return Participant.objects.filter(site=ws.project.site_id).order_by("pseudonym")


# --- staging -----------------------------------------------------------------------------


def _stage_key(project_id: int) -> str:
    return f"balm-qual-staged-{project_id}"


def _read_uploads(files: list[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every file read (text, turns), or every problem found."""
    staged, problems = [], []
    if len(files) > MAX_FILES:
        problems.append(f"Upload at most {MAX_FILES} files at once (you chose {len(files)}).")
    for upload in files:
        name = Path(upload.name).name
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            problems.append(f"{name}: balm reads {', '.join(SUFFIXES)} files.")
            continue
        if upload.size > MAX_FILE_BYTES:
            problems.append(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
            continue
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                raw = read_source_file(path)
            except QualInputError as error:
                problems += [p.replace(str(path), name) for p in error.problems]
                continue
        if not raw.text.strip():
            problems.append(f"{name}: the file holds no text.")
            continue
        staged.append(
            {"name": Path(name).stem, "text": raw.text, "turns": turns_to_json(raw.turns)}
        )
    return staged, problems


@dataclass
class StagedFile:
    index: int
    name: str
    kind: str
    participant_id: int | None
    timepoint: str
    stored_name: str
    text: str
    marked: list[tuple[str, bool]]
    """The text to be stored in pieces, each with whether it is a replacement."""
    replacements: list[dict[str, Any]]


def _preview(ws: Workspace, staged: dict[str, Any]) -> list[StagedFile]:
    participants = {p.pk: p for p in _participants(ws)}
    terms = [tuple(t) for t in staged["terms"]]
    out = []
    for i, item in enumerate(staged["files"]):
        clean = preview_source(
            ws.project.site,
            participants.get(item["participant"]),
            item["name"],
            item["text"],
            turns_from_json(item["turns"]),
            terms,  # type: ignore[arg-type]
        )
        text = clean.result.text
        pieces, at, rows = [], 0, []
        for r in clean.result.replacements:
            pieces += [(text[at : r.new_start], False), (text[r.new_start : r.new_end], True)]
            at = r.new_end
            line_start = text.rfind("\n", 0, r.new_start) + 1
            line_end = text.find("\n", r.new_end)
            line_end = len(text) if line_end < 0 else line_end
            rows.append(
                {
                    "kind": r.kind,
                    "original": r.original,
                    "replacement": r.replacement,
                    "before": text[max(line_start, r.new_start - CONTEXT) : r.new_start],
                    "after": text[r.new_end : min(r.new_end + CONTEXT, line_end)],
                }
            )
        pieces.append((text[at:], False))
        out.append(
            StagedFile(
                i,
                item["name"],
                item["kind"],
                item["participant"],
                item.get("timepoint", ""),
                clean.name,
                text,
                pieces,
                rows,
            )
        )
    return out


# --- the list ------------------------------------------------------------------------------


def _hits(text: str, needle: str) -> list[tuple[int, str, str, str]]:
    """Where ``needle`` occurs in ``text`` (case-insensitive): offset and the words around."""
    found, lower, low_needle, at = [], text.casefold(), needle.casefold(), 0
    # casefold can change lengths (ß -> ss); search the lower-cased text only when it kept them
    if len(lower) != len(text):
        lower, low_needle = text.lower(), needle.lower()
    while len(found) < HITS_PER_SOURCE:
        at = lower.find(low_needle, at)
        if at < 0:
            break
        end = at + len(needle)
        found.append((at, text[max(0, at - CONTEXT) : at], text[at:end], text[end : end + CONTEXT]))
        at = end
    return found


@login_required
@require_http_methods(["GET", "POST"])
def source_list(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id, coders_only=False)
    project = ws.project
    form = UploadForm(request.POST or None, request.FILES or None, ws=ws)
    if request.method == "POST" and form.is_valid():
        files, problems = _read_uploads(request.FILES.getlist("files"))
        participant = form.cleaned_data["participant"]
        if problems:
            for problem in problems:
                form.add_error("files", problem)
        else:
            request.session[_stage_key(project.pk)] = {
                "at": time.time(),
                "files": [
                    {
                        **f,
                        "kind": form.cleaned_data["kind"],
                        "participant": participant.pk if participant else None,
                        "timepoint": form.cleaned_data["timepoint"],
                    }
                    for f in files
                ],
                "terms": [],
            }
            return redirect("qual:review", project_id=project.pk)
    cohorts = Cohort.objects.filter(site=project.site_id).order_by("-start_date", "name")
    sources = ws.sources().select_related("participant", "enrolment__cohort")
    cohort_id = request.GET.get("cohort", "")
    if cohort_id.isdigit():
        sources = sources.filter(enrolment__cohort_id=int(cohort_id))
    timepoint = request.GET.get("timepoint", "")
    if timepoint == "none":
        sources = sources.filter(timepoint="")
    elif timepoint in Timepoint.values:
        sources = sources.filter(timepoint=timepoint)
    else:
        timepoint = ""
    query = request.GET.get("q", "").strip()
    if query:
        sources = sources.filter(text__icontains=query)
    sources = sources.annotate(
        n_codings=Count("codings", filter=Q(codings__deleted_at__isnull=True))
    ).order_by("name")
    rows = list(sources)
    coders: dict[int, set[str]] = {}
    for source_id, name in (
        Coding.objects.filter(source__in=[s.pk for s in rows], deleted_at__isnull=True)
        .values_list("source_id", "coder__name")
        .distinct()
    ):
        coders.setdefault(source_id, set()).add(name)
    for source in rows:
        source.words = len(source.text.split())
        source.coder_names = ", ".join(sorted(coders.get(source.pk, ())))
        source.hits = _hits(source.text, query) if query else []
    deleted = (
        Source.objects.filter(project=project, deleted_at__isnull=False).select_related(
            "deleted_by"
        )
        if ws.can_code
        else Source.objects.none()
    )
    return render(
        request,
        "balm/qual/sources.html",
        ws.context(
            form=form,
            sources=rows,
            cohorts=cohorts,
            cohort_id=int(cohort_id) if cohort_id.isdigit() else None,
            timepoints=Timepoint.choices,
            timepoint=timepoint,
            query=query,
            deleted=deleted,
            staged=_stage_key(project.pk) in request.session,
        ),
    )


# --- review ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id, coders_only=False)
    key = _stage_key(ws.project.pk)
    staged = request.session.get(key)
    if staged is not None and time.time() - staged.get("at", 0) > STAGED_FOR:
        # the text is not yet pseudonymised: it does not wait in the session for long
        del request.session[key]
        messages.info(request, "The upload waited too long and was dropped; add it again.")
        return redirect("qual:sources", project_id=project_id)
    if staged is None:
        messages.info(request, "Nothing is waiting to be added.")
        return redirect("qual:sources", project_id=project_id)
    problems: list[str] = []
    if request.method == "POST":
        choice = request.POST.get("do", "")
        if choice == "cancel":
            del request.session[key]
            messages.info(request, "Dropped: nothing was added.")
            return redirect("qual:sources", project_id=project_id)
        problems += _apply_choices(ws, staged, request.POST)
        if choice == "term" and not problems:
            term, tag = request.POST.get("term", "").strip(), request.POST.get("tag", "").strip()
            if not term:
                problems.append("Type the word or name to replace.")
            else:
                staged["terms"].append([term, tag or "redacted"])
        request.session[key] = staged
        if choice == "keep" and not problems:
            try:
                added = _keep(ws, staged, request.user)
            except InvalidInput as error:
                problems += [
                    f"{p.field}: {p.message}" if p.field else p.message for p in error.problems
                ]
            else:
                del request.session[key]
                messages.success(
                    request,
                    f"Added {len(added)} source{'s' if len(added) != 1 else ''}: "
                    + ", ".join(s.name for s in added)
                    + ".",
                )
                return redirect("qual:sources", project_id=project_id)
        elif choice == "term" and not problems:
            return redirect("qual:review", project_id=project_id)
    participants = list(_participants(ws))
    return render(
        request,
        "balm/qual/review.html",
        ws.context(
            files=_preview(ws, staged),
            terms=staged["terms"],
            participants=participants,
            kinds=_kinds(ws),
            timepoints=TIMEPOINTS,
            problems=problems,
        ),
        status=400 if problems else 200,
    )


def _apply_choices(ws: Workspace, staged: dict[str, Any], post: Any) -> list[str]:
    """The participant and kind chosen for each file on the review page."""
    problems = []
    known = set(_participants(ws).values_list("pk", flat=True))
    kinds = {k for k, _ in _kinds(ws)}
    for i, item in enumerate(staged["files"]):
        participant = post.get(f"participant-{i}", "")
        kind = post.get(f"kind-{i}", item["kind"])
        timepoint = post.get(f"timepoint-{i}", item.get("timepoint", ""))
        if participant == "":
            item["participant"] = None
        elif participant.isdigit() and int(participant) in known:
            item["participant"] = int(participant)
        else:
            problems.append(f"{item['name']}: choose a participant of {ws.project.site}.")
        if kind in kinds:
            item["kind"] = kind
        else:
            problems.append(f"{item['name']}: choose the kind from the list.")
        if timepoint in Timepoint.values or timepoint == "":
            item["timepoint"] = timepoint
        else:
            problems.append(f"{item['name']}: choose the timepoint from the list.")
    return problems


def _keep(ws: Workspace, staged: dict[str, Any], user: Any) -> list[Source]:
    """Add every staged file, all or none."""
    participants = {p.pk: p for p in _participants(ws)}
    terms = [tuple(t) for t in staged["terms"]]
    added, problems = [], []
    with transaction.atomic():
        for item in staged["files"]:
            try:
                result = actions.add_source(
                    project=ws.project,
                    name=item["name"],
                    text=item["text"],
                    kind=item["kind"],
                    participant=participants.get(item["participant"]),
                    terms=terms,  # type: ignore[arg-type]
                    turns=turns_from_json(item["turns"]),
                    timepoint=item.get("timepoint", ""),
                    by=user,
                )
            except InvalidInput as error:
                problems += [p._replace(field=item["name"]) for p in error.problems]
            else:
                added.append(result.source)
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise InvalidInput(problems)
    return added


# --- delete and restore ----------------------------------------------------------------------


@login_required
@require_POST
def delete(request: HttpRequest, project_id: int, source_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    source = get_object_or_404(ws.sources(), pk=source_id)
    actions.delete_source(source=source, by=request.user)
    messages.success(request, f"Deleted “{source.name}”; restore it below if that was a mistake.")
    return redirect("qual:sources", project_id=project_id)


@login_required
@require_POST
def set_timepoint(request: HttpRequest, project_id: int, source_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    source = get_object_or_404(ws.sources(), pk=source_id)
    try:
        actions.set_source_timepoint(
            source=source, timepoint=request.POST.get("timepoint", ""), by=request.user
        )
    except InvalidInput as error:
        for problem in error.problems:
            messages.error(request, f"{source.name}: {problem.message}")
    else:
        messages.success(
            request,
            f"“{source.name}”: {source.get_timepoint_display() or NO_TIMEPOINT.lower()}.",
        )
    # back to the list as it was filtered (only the list's own filters travel)
    kept = QueryDict(request.POST.get("filters", "")).dict()
    filters = urlencode({k: v for k, v in kept.items() if k in ("q", "cohort", "timepoint")})
    url = reverse("qual:sources", kwargs={"project_id": project_id})
    return redirect(f"{url}?{filters}" if filters else url)


@login_required
@require_POST
def restore(request: HttpRequest, project_id: int, source_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    source = get_object_or_404(
        Source.objects.filter(project=ws.project, deleted_at__isnull=False), pk=source_id
    )
    try:
        actions.restore_source(source=source, by=request.user)
    except InvalidInput as error:
        for problem in error.problems:
            messages.error(request, problem.message)
    else:
        messages.success(request, f"Restored “{source.name}” with its codings.")
    return redirect("qual:sources", project_id=project_id)
