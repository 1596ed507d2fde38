"""Django's database session store, reading the session with SQL compiled once.

Every request with a session cookie reads its session row; the ORM built that one-table
SELECT anew each time (``bench/submit_profile.py``). Here it is the ORM's own query for it
(``Session.objects.get(session_key=..., expire_date__gt=now)``), compiled once per thread
(:mod:`balm.web.compiled_query`) and run with the key and the time; everything else (saving,
cycling, expiry, clearing) is Django's store unchanged. ``SESSION_ENGINE`` names this module.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db.models.query import MAX_GET_RESULTS
from django.utils import timezone

from balm.web.compiled_query import CompiledQuery

# The queryset of Django's ``_get_session_from_db`` as ``get()`` runs it.
_SESSION = CompiledQuery(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now).order_by()[
        :MAX_GET_RESULTS
    ],
    kinds=(str, datetime),
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        found = _SESSION.fetch(key, timezone.now()) if key is not None else []
        if len(found) != 1:  # none (the key is the primary key, so never more)
            self._session_key = None
            return None
        return found[0]
