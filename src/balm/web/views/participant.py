"""Participant pages: the personal link, open questionnaires, one questionnaire, the check-in.

A participant is found by ``current_participant`` (a personal link or a linked account).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from balm.accounts.actions import open_participant_link
from balm.accounts.errors import InvalidInput
from balm.instruments import get_instrument, safety_flags
from balm.instruments.schema import ItemKind
from balm.outcomes import actions as outcome_actions
from balm.outcomes.models import Assessment, CheckIn, Draft, PracticeType, Response, SafetyAlert
from balm.outcomes.status import answer_by
from balm.programmes.models import Enrolment
from balm.programmes.templates import PARTICIPANT_TIMEPOINT
from balm.web import link_throttle
from balm.web.participant_session import current_participant, forget_link, remember_link
from balm.web.views.qual_feedback import feedback_due
from balm.wording.lookup import answerable_online, online_instrument_ids, site_instrument

ITEMS_PER_PAGE = 3
# The check-in's free-text "which practice" (q7) asks what the practice list beside the
# minutes asks: the page shows the list only, so no question is asked twice.
ASKED_BY_THE_PRACTICE_LIST = "q7"


# --- participant pages -------------------------------------------------------------------


def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """A personal link: remember it in the session and move the token out of the address bar.

    An address that opened too many unknown links lately is refused (429) without a look-up,
    even with a good link (:mod:`balm.web.link_throttle`)."""
    if link_throttle.too_many_failures(request):
        return render(request, "balm/link_invalid.html", {"throttled": True}, status=429)
    link = open_participant_link(token=token)
    if link is None:
        link_throttle.note_failure(request)
        return render(request, "balm/link_invalid.html", status=404)
    remember_link(request, link)
    return redirect("my-questionnaires")


@require_http_methods(["GET", "POST"])
def forget_device(request: HttpRequest) -> HttpResponse:
    """Sign out of a personal link: this browser forgets it (a POST; a GET only shows the
    page, so a link preview cannot sign anyone out)."""
    if request.method == "POST":
        forget_link(request)
        return redirect("forget-device")
    return render(request, "balm/signed_out.html")


def _participant_or_404(request: HttpRequest):  # type: ignore[no-untyped-def]
    participant = current_participant(request)
    if participant is None:
        raise Http404("Open your personal link again, or ask your group facilitator for a new one.")
    return participant


def my_questionnaires(request: HttpRequest) -> HttpResponse:
    participant = _participant_or_404(request)
    today = timezone.localdate()
    assessments = (
        Assessment.objects.filter(enrolment__participant=participant)
        .open_on(today)
        .filter(instrument_id__in=online_instrument_ids(participant.site))
        .select_related("enrolment__cohort")
        .order_by("due_on", "instrument_id")
    )
    items = [
        {
            "assessment": a,
            "instrument": get_instrument(a.instrument_id),
            "started": Draft.objects.filter(assessment=a).exclude(answers={}).exists(),
            "when": PARTICIPANT_TIMEPOINT.get(a.timepoint, a.timepoint),
            "answer_by": answer_by(due_on=a.due_on, closes_on=a.closes_on, today=today),
        }
        for a in assessments
    ]
    checkin = _checkin_due(participant, today)
    return render(
        request,
        "balm/my_questionnaires.html",
        {
            "participant": participant,
            "items": items,
            "checkin": checkin,
            "feedback_due": feedback_due(participant),
        },
    )


def _checkin_due(participant, today):  # type: ignore[no-untyped-def]
    """``(enrolment, week)`` of the check-in open now, or None: the week of the latest session
    held, once per week, for a started enrolment whose programme has a check-in."""
    enrolment = (
        Enrolment.objects.filter(participant=participant, status="started")
        .select_related("cohort__template")
        .order_by("-cohort__start_date")
        .first()
    )
    if enrolment is None or not enrolment.cohort.template.checkin_instrument:
        return None
    held = enrolment.cohort.sessions.filter(date__lte=today).count()
    if held == 0 or CheckIn.objects.filter(enrolment=enrolment, week=held).exists():
        return None
    return enrolment, held


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest) -> HttpResponse:
    participant = _participant_or_404(request)
    due = _checkin_due(participant, timezone.localdate())
    if due is None:
        messages.info(request, "There is no check-in waiting for you right now.")
        return redirect("my-questionnaires")
    enrolment, week = due
    instrument = get_instrument(enrolment.cohort.template.checkin_instrument)
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    client_key = f"balm-checkin-{enrolment.pk}-{week}"
    client_id = request.session.setdefault(client_key, uuid.uuid4().hex)
    if request.method == "POST":
        values = {item.id: request.POST.get(item.id, "") for item in instrument.items}
        try:
            outcome_actions.submit_checkin(
                enrolment=enrolment,
                week=week,
                answers=values,
                client_id=client_id,
                practice_type=request.POST.get("practice_type", PracticeType.NONE),
                note=values.get("q8", ""),
                by=participant,
            )
        except InvalidInput as error:
            errors = error.by_field()
        else:
            request.session.pop(client_key, None)
            messages.success(request, "Thank you, your check-in was saved.")
            return redirect("my-questionnaires")
    fields = []
    for item in instrument.items:
        if item.id == ASKED_BY_THE_PRACTICE_LIST:
            continue
        scale = None
        if item.kind is ItemKind.INTEGER and item.maximum is not None and item.maximum <= 10:
            scale = [str(n) for n in range(int(item.minimum or 0), int(item.maximum) + 1)]
        fields.append(
            {
                "item": item,
                "scale": scale,
                "value": values.get(item.id, ""),
                "errors": errors.get(item.id, []),
            }
        )
    summary = [
        (
            f"id_{f['item'].id}_0" if f["scale"] else f"id_{f['item'].id}",
            f["item"].concept.split(" (")[0],
            message,
        )
        for f in fields
        for message in f["errors"]
    ]
    summary += [
        ("id_practice_type", "Which practice", message)
        for message in errors.get("practice_type", [])
    ]
    return render(
        request,
        "balm/checkin.html",
        {
            "week": week,
            "instrument": instrument,
            "fields": fields,
            "summary": summary,
            "practice_types": PracticeType.choices,
            "practice_type": request.POST.get("practice_type", PracticeType.NONE),
            "form_errors": errors.get("", []),
        },
    )


def _pages(instrument) -> list[list]:  # type: ignore[no-untyped-def]
    shown = list(instrument.items)
    return [shown[i : i + ITEMS_PER_PAGE] for i in range(0, len(shown), ITEMS_PER_PAGE)] or [[]]


def _first_unanswered(pages: list[list], saved: dict) -> int:  # type: ignore[type-arg]
    """Where to resume: the first page with a question not yet answered (else the last)."""
    for number, items in enumerate(pages, start=1):
        if any(item.id not in saved for item in items):
            return number
    return len(pages)


def _bad_values(errors: dict[str, list[str]], items: list) -> bool:  # type: ignore[type-arg]
    """Whether saving the page failed (a bad value), not merely left questions unanswered."""
    unanswered = ["Please answer this question."]
    return any(errors.get(item.id, unanswered) != unanswered for item in items) or "" in errors


@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, assessment_id: int) -> HttpResponse:
    participant = _participant_or_404(request)
    assessment = get_object_or_404(
        Assessment.objects.select_related("enrolment__cohort__site"),
        pk=assessment_id,
        enrolment__participant=participant,
    )
    if Response.objects.filter(assessment=assessment).exists():
        return redirect("questionnaire-done", assessment_id=assessment.pk)
    site = assessment.enrolment.cohort.site
    if not answerable_online(site, assessment.instrument_id):
        raise Http404("This questionnaire is answered on paper; your group facilitator has it.")
    instrument = site_instrument(site, assessment.instrument_id)
    pages = _pages(instrument)
    draft = Draft.objects.filter(assessment=assessment).first()
    saved = dict(draft.answers) if draft else {}
    asked = request.GET.get("page", request.POST.get("page"))
    try:
        page = _first_unanswered(pages, saved) if asked is None else int(asked)
    except ValueError:
        page = 1
    page = min(max(page, 1), len(pages))
    errors: dict[str, list[str]] = {}
    client_key = f"balm-client-{assessment.pk}"
    client_id = request.session.setdefault(client_key, uuid.uuid4().hex)
    if request.method == "POST":
        # An unticked radio group is absent from the POST: keep what was saved before.
        on_page = {
            item.id: request.POST[item.id] for item in pages[page - 1] if item.id in request.POST
        }
        try:
            draft = outcome_actions.save_draft_answers(
                assessment=assessment, answers=on_page, by=participant
            )
            saved = dict(draft.answers)
        except InvalidInput as error:
            errors = error.by_field()
            saved.update({k: v for k, v in on_page.items() if v})
        if not errors:
            for item in pages[page - 1]:
                if item.required and item.kind is not ItemKind.TEXT and item.id not in saved:
                    errors[item.id] = ["Please answer this question."]
        going = request.POST.get("go")
        if going == "stop" and not _bad_values(errors, pages[page - 1]):
            messages.success(
                request,
                f"Your answers are saved. Come back to it any time until "
                f"{assessment.closes_on:%-d %B}.",
            )
            return redirect("my-questionnaires")
        if going == "back":
            return redirect(f"{request.path}?page={max(page - 1, 1)}")
        if not errors and page < len(pages):
            return redirect(f"{request.path}?page={page + 1}")
        if not errors:
            try:
                outcome_actions.submit_response(
                    assessment=assessment, answers=saved, client_id=client_id, by=participant
                )
            except InvalidInput as error:
                errors = error.by_field()
            else:
                request.session.pop(client_key, None)
                return redirect("questionnaire-done", assessment_id=assessment.pk)
    flagged = safety_flags(instrument, saved) if saved else []
    return render(
        request,
        "balm/questionnaire.html",
        {
            "assessment": assessment,
            "instrument": instrument,
            "fields": [
                {
                    "item": item,
                    "options": instrument.options_for(item),
                    "value": saved.get(item.id, ""),
                    "errors": errors.get(item.id, []),
                }
                for item in pages[page - 1]
            ],
            "form_errors": errors.get("", []),
            "page": page,
            "pages": len(pages),
            "show_crisis": bool(flagged),
            "crisis_contacts": assessment.enrolment.cohort.site.crisis_contacts,
        },
    )


def questionnaire_done(request: HttpRequest, assessment_id: int) -> HttpResponse:
    participant = _participant_or_404(request)
    assessment = get_object_or_404(
        Assessment.objects.select_related("enrolment__cohort__site"),
        pk=assessment_id,
        enrolment__participant=participant,
    )
    response = Response.objects.filter(assessment=assessment).first()
    if response is None:
        return redirect("questionnaire", assessment_id=assessment.pk)
    return render(
        request,
        "balm/questionnaire_done.html",
        {
            "assessment": assessment,
            "instrument": get_instrument(assessment.instrument_id),
            "show_crisis": SafetyAlert.objects.filter(response=response).exists(),
            "crisis_contacts": assessment.enrolment.cohort.site.crisis_contacts,
        },
    )
