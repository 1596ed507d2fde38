"""Django's session middleware, answering 503 (try again) rather than 400 when the database
is unreachable at the moment the session is saved.

Django's database session store turns any database error while updating a session into
``UpdateError``, which the middleware reports as ``SessionInterrupted``: a 400 "Bad Request",
meant for a session deleted by a concurrent sign-out. When PostgreSQL is restarting the error
is the connection's, not the client's, and a client rightly does not retry a 400; so a phone
gave up on a form it could have sent a second later (``bench/faults.py``, restart
``-m immediate``). Here that case answers 503 with ``Retry-After``; the request's own writes
were committed or rolled back before the session is saved, and a submission retried with its
client id is stored once. A session really deleted meanwhile still gets the 400.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase

RETRY_AFTER_SECONDS = 5


def _database_unreachable(error: SessionInterrupted) -> bool:
    update = error.__context__
    return isinstance(update, UpdateError) and isinstance(
        update.__context__, (OperationalError, InterfaceError)
    )


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        try:
            return super().process_response(request, response)
        except SessionInterrupted as error:
            if not _database_unreachable(error):
                raise
        unavailable = HttpResponse(
            "The service is briefly unavailable. Please try again in a few seconds.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        unavailable["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return unavailable
