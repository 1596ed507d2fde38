"""The address a request came from, for django-axes' per-address sign-in locks.

Behind the TLS proxy (``BALM_BEHIND_TLS_PROXY``) every request arrives from the proxy, so one
lock would shut every user out; there the client is the last address the proxy appended to
``X-Forwarded-For`` (the earlier ones are whatever the client sent, and may be forged).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return str(request.META.get("REMOTE_ADDR", ""))
