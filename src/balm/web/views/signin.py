"""Staff sign-in pages: the two-factor step (a code from the authenticator app, or a recovery
code), setting the app up, the account's security page (new recovery codes, sign out
everywhere, change password) and, for administrators, the sign-in locks page.

Every page is for signed-in staff; anyone else gets 404 (the locks page: administrators only).
Writes go through :mod:`balm.accounts.signin`. A wrong code counts as a failed sign-in for
django-axes, so guessing codes locks the account and the address as guessing passwords does.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, NotAllowed
from balm.accounts.signin import (
    confirm_authenticator,
    pending_authenticator,
    replace_recovery_codes,
    sign_in_locks,
    sign_out_everywhere,
    unlock_sign_in,
)
from balm.web.forms import BalmForm


class CodeForm(BalmForm):
    code = forms.CharField(
        max_length=20,
        label="Code",
        help_text="The 6-digit code your authenticator app shows now, or one of your "
        "recovery codes.",
        error_messages={"required": "Type the code."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
    )


def _staff_or_404(request: HttpRequest) -> None:
    """Staff, and superusers even before any site exists (a fresh install's first sign-in)."""
    user: Any = request.user
    if not (permissions.is_staff_member(user) or (user.is_active and user.is_superuser)):
        raise Http404


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _credentials(request: HttpRequest) -> dict[str, str]:
    return {"username": request.user.get_username()}


def _locked_out(request: HttpRequest) -> HttpResponse | None:
    """Sign out and show the lock page when the account or address is locked."""
    credentials = _credentials(request)
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    logout(request)
    return get_lockout_response(request, None, credentials)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app or a recovery code."""
    _staff_or_404(request)
    user: Any = request.user
    if user.is_verified():
        return redirect(_next(request))
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        query = urlencode({"next": _next(request)}, safe="/")
        return redirect(f"{reverse('two-factor-setup')}?{query}")
    locked = _locked_out(request)
    if locked is not None:
        return locked
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip().replace(" ", "").replace("-", "")
        app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if code.isdigit() and app is not None and not app.verify_is_allowed()[0]:
            # django-otp's back-off after a wrong code (1, 2, 4... seconds): not a new failure
            form.add_error("code", "Too many tries at once: wait a few seconds and try again.")
            context = {"form": form, "next": _next(request)}
            return _no_store(render(request, "balm/two_factor.html", context))
        device = django_otp.match_token(user, code)
        if device is not None:
            django_otp.login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    f"You used a recovery code; {left} left. Make new ones on your "
                    "security page if you are running low or have lost your phone.",
                )
            return redirect(_next(request))
        user_login_failed.send(sender=__name__, credentials=_credentials(request), request=request)
        locked = _locked_out(request)
        if locked is not None:
            return locked
        form.add_error("code", "That code did not work. Try the newest code from your app.")
    return _no_store(
        render(request, "balm/two_factor.html", {"form": form, "next": _next(request)})
    )


def _qr_data_uri(url: str) -> str:
    """The QR code as an SVG image in a data: address (the policy allows data: images)."""
    svg = segno.make(url, error="m").svg_data_uri(scale=5, dark="#1b1f23", light="#ffffff")
    return str(svg)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set the authenticator app up (again): a QR code and the secret, then a first code.

    Someone already signed in with a code may replace their app here; someone half signed in
    may set one up only while they have none (else a stolen password could replace it)."""
    _staff_or_404(request)
    user: Any = request.user
    has_app = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if has_app and not user.is_verified():
        return redirect("two-factor")
    device = pending_authenticator(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = confirm_authenticator(user=user, device=device, code=form.cleaned_data["code"])
        except InvalidInput as error:
            form.add_problems(error)
        else:
            django_otp.login(request, device)
            return _no_store(
                render(
                    request,
                    "balm/recovery_codes.html",
                    {"codes": codes, "next": _next(request), "first_time": True},
                )
            )
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return _no_store(
        render(
            request,
            "balm/two_factor_setup.html",
            {
                "form": form,
                "qr": _qr_data_uri(device.config_url),
                "secret": _grouped(secret),
                "replacing": has_app,
                "next": _next(request),
            },
        )
    )


@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    """Two-factor status, new recovery codes, sign out everywhere, change password."""
    _staff_or_404(request)
    user: Any = request.user
    static = StaticDevice.objects.filter(user=user).first()
    return render(
        request,
        "balm/account_security.html",
        {
            "has_app": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "codes_left": static.token_set.count() if static else 0,
            "must_use_two_factor": permissions.must_use_two_factor(user),
            "can_manage_locks": permissions.can_manage_sign_in_locks(user),
        },
    )


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    _staff_or_404(request)
    try:
        codes = replace_recovery_codes(user=request.user, by=request.user)  # type: ignore[arg-type]
    except NotAllowed as error:
        messages.error(request, str(error))
        return redirect("account-security")
    return _no_store(render(request, "balm/recovery_codes.html", {"codes": codes, "next": "/"}))


@login_required
@require_POST
def sign_out_all(request: HttpRequest) -> HttpResponse:
    """End every session of this user, this one too."""
    _staff_or_404(request)
    sign_out_everywhere(user=request.user, by=request.user)  # type: ignore[arg-type]
    logout(request)
    messages.success(request, "You are signed out on every device, this one too.")
    return redirect("login")


@login_required
@require_http_methods(["GET", "POST"])
def sign_in_locks_page(request: HttpRequest) -> HttpResponse:
    """Administrators: the accounts (of their sites' staff) and addresses locked after
    repeated failed sign-ins; unlocking one is audited."""
    if not permissions.can_manage_sign_in_locks(request.user):
        raise Http404
    if request.method == "POST":
        username = request.POST.get("username", "")
        address = request.POST.get("address", "")
        try:
            unlock_sign_in(by=request.user, username=username, address=address)  # type: ignore[arg-type]
        except InvalidInput as error:
            messages.error(request, " ".join(p.message for p in error.problems))
        except NotAllowed as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Unlocked {username or address}: they can sign in again.")
        return redirect("sign-in-locks")
    usernames, addresses = sign_in_locks(viewer=request.user)  # type: ignore[arg-type]
    return render(
        request, "balm/sign_in_locks.html", {"usernames": usernames, "addresses": addresses}
    )
