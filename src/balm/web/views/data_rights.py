"""Data-protection requests: an administrator erases a participant (a confirmation page first);
a participant downloads their own data from "My progress" (a printable page and JSON)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from balm.accounts import permissions
from balm.accounts.erasure import erase_participant, own_data, plan_erasure
from balm.accounts.models import Participant
from balm.web.forms import BalmForm
from balm.web.participant_session import current_participant


class EraseForm(BalmForm):
    confirm = forms.CharField(
        label="Type the participant's pseudonym to confirm",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    keep_research_data = forms.BooleanField(
        required=False,
        label="Keep their pseudonymised answers and scores for research (consent recorded)",
    )

    def __init__(self, *args: object, participant: Participant, consent: bool, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.participant = participant
        if not consent:
            del self.fields["keep_research_data"]

    def clean_confirm(self) -> str:
        value = str(self.cleaned_data["confirm"]).strip()
        if value != self.participant.pseudonym:
            raise forms.ValidationError("That is not this participant's pseudonym.")
        return value


@login_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = get_object_or_404(
        permissions.visible_participants(request.user).select_related("site"), pk=participant_id
    )
    if not permissions.can_erase_participant(request.user, participant):
        raise Http404
    plan = plan_erasure(participant)
    form = EraseForm(request.POST or None, participant=participant, consent=plan.consent_recorded)
    if request.method == "POST" and form.is_valid():
        erase_participant(
            participant=participant,
            by=request.user,
            keep_research_data=bool(form.cleaned_data.get("keep_research_data")),
        )
        messages.success(request, "The participant's details were erased.")
        return redirect("home")
    return render(
        request,
        "balm/erase.html",
        {"participant": participant, "plan": plan, "form": form},
        status=422 if form.errors else 200,
    )


def _own(request: HttpRequest) -> Participant:
    participant = current_participant(request)
    if participant is None:
        raise Http404("Open your personal link again, or ask your group facilitator for a new one.")
    return participant


@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """A readable, printable page of everything balm holds about the participant."""
    participant = _own(request)
    response = render(request, "balm/my_data.html", {"data": own_data(participant)})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def my_data_json(request: HttpRequest) -> HttpResponse:
    participant = _own(request)
    body = json.dumps(own_data(participant), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-balm-data.json"'
    response["Cache-Control"] = "no-store"
    return response
