"""``balm serve``: the app under gunicorn, configured in code rather than a config file.

gunicorn's documented way to embed it is a ``BaseApplication`` subclass that supplies the
settings and the WSGI application (https://docs.gunicorn.org/en/stable/custom.html).
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from balm.web.log_redaction import redact


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with every access-log atom (request line, path, query, referrer,
    request headers) passed through :func:`balm.web.log_redaction.redact`."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}


class BalmServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with ``gthread`` workers and the given options, serving ``balm.web.wsgi``."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from balm.web.wsgi import application

        return application


def serve(*, bind: str, workers: int, threads: int) -> None:
    """Run the server until it is stopped (SIGINT or SIGTERM: it finishes current requests)."""
    BalmServer(
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "keepalive": 5,
            "accesslog": "-",
            # The access log never holds a personal link's token (balm.web.log_redaction).
            "logger_class": "balm.web.server.RedactingLogger",
            "errorlog": "-",
            "loglevel": "warning",
            # Requests in flight get this long to finish on SIGTERM.
            "graceful_timeout": 30,
        }
    ).run()
