"""A staff member's own API tokens: list them, issue one (shown once), revoke one.

Only staff (facilitators, researchers, administrators) have the page; a participant gets 404.
A token belongs to one user: anyone else's token is a 404. Writes go through
:mod:`balm.api.actions`, which check permission again and audit.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput
from balm.api.actions import (
    NAME_MAX_LENGTH,
    issue_api_token,
    revoke_api_token,
    token_lifetime_days,
)
from balm.web.forms import BalmForm


class ApiTokenForm(BalmForm):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        label="Name",
        help_text=f"What the token is for, to tell your tokens apart: for example clinic "
        f"tablet (up to {NAME_MAX_LENGTH} characters).",
        error_messages={
            "required": "Say what the token is for.",
            "max_length": f"Keep the name to {NAME_MAX_LENGTH} characters "
            "(this one has %(show_value)d).",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _require_token_owner(request: HttpRequest) -> None:
    """The page is not there (404) for anyone who may not hold tokens of their own."""
    if not permissions.can_manage_own_api_tokens(request.user):
        raise Http404


def _page(request: HttpRequest, form: ApiTokenForm, new_token: str | None = None) -> HttpResponse:
    tokens = permissions.visible_api_tokens(request.user).order_by("-created_at", "-pk")
    response = render(
        request,
        "balm/api_tokens.html",
        {
            "form": form,
            "tokens": tokens,
            "new_token": new_token,
            "lifetime_days": token_lifetime_days(request.user),  # type: ignore[arg-type]
        },
    )
    response["Cache-Control"] = "no-store"  # a new token is on this page once
    return response


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the user's tokens; POST issues one and shows it on this response only."""
    _require_token_owner(request)
    if request.method != "POST":
        return _page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            _, token = issue_api_token(
                user=request.user,
                name=form.cleaned_data["name"],
                by=request.user,
            )
        except InvalidInput as error:
            form.add_problems(error)
        else:  # shown on this response only (the page says so), never stored or redirected
            return _page(request, ApiTokenForm(), new_token=token)
    return _page(request, form)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's own tokens: it stops working at once."""
    _require_token_owner(request)
    token = get_object_or_404(permissions.visible_api_tokens(request.user), pk=token_id)
    was_active = token.revoked_at is None
    revoke_api_token(token=token, by=request.user)
    if was_active:
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    else:
        messages.info(request, f"Token “{token.name}” was already revoked.")
    return redirect("api-tokens")
