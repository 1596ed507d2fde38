"""Personal-link tokens never reach a log: the token in ``/p/<token>/`` is replaced by
``[link]`` in Django's log records (``django.request``'s "Not Found: /p/...", runserver's
request lines) and in gunicorn's access log (``balm serve``).

A token is a password to someone's questionnaires, and logs are kept longer and read by more
people than the database's hashed copy.
"""

from __future__ import annotations

import logging
import re

_LINK = re.compile(r"(/p/)[^/\s?#\"']+")


def redact(text: str) -> str:
    """``text`` with every personal-link token replaced."""
    return _LINK.sub(r"\1[link]", text)


class RedactLinks(logging.Filter):
    """A logging filter that rewrites the message of every record passing the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
