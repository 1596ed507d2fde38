"""A session saved while the database is unreachable: 503 (try again), not 400.

Found by ``bench/faults.py``: during ``pg_ctl restart -m immediate`` a form page answered
"Bad Request (400)", because Django reports any database error while updating a session as
an interrupted session. The outage is injected as the driver's error at the one statement
(an execute wrapper); everything else runs on the real database."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test import RequestFactory

from balm.web.sessions import SessionMiddleware

pytestmark = pytest.mark.django_db


def _fail_session_updates(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
    if sql.lstrip().upper().startswith("UPDATE") and "django_session" in sql:
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


def _request_changing(session_key: str):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/me/")
    request.session = SessionStore(session_key)
    request.session["seen"] = 2  # modified: the middleware saves it
    return request


def _stored_session() -> str:
    store = SessionStore()
    store["seen"] = 1
    store.create()
    assert store.session_key is not None
    return store.session_key


def test_a_session_saved_while_the_database_is_down_answers_503() -> None:
    key = _stored_session()
    middleware = SessionMiddleware(lambda request: HttpResponse("page"))
    with connection.execute_wrapper(_fail_session_updates):
        response = middleware.process_response(_request_changing(key), HttpResponse("page"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert SessionStore(key).load() == {"seen": 1}  # nothing half-written


def test_a_session_deleted_meanwhile_is_still_a_400() -> None:
    key = _stored_session()
    request = _request_changing(key)
    SessionStore(key).delete()  # a sign-out in another tab
    middleware = SessionMiddleware(lambda request: HttpResponse("page"))
    with pytest.raises(SessionInterrupted):  # Django answers it with its 400 page
        middleware.process_response(request, HttpResponse("page"))


def test_a_session_saved_normally_keeps_the_page() -> None:
    key = _stored_session()
    middleware = SessionMiddleware(lambda request: HttpResponse("page"))
    response = middleware.process_response(_request_changing(key), HttpResponse("page"))
    assert (response.status_code, response.content) == (200, b"page")
    assert SessionStore(key).load() == {"seen": 2}


def test_the_app_uses_it() -> None:
    assert "balm.web.sessions.SessionMiddleware" in settings.MIDDLEWARE
    assert "django.contrib.sessions.middleware.SessionMiddleware" not in settings.MIDDLEWARE
