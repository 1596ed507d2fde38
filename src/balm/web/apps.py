from typing import ClassVar

from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig


class BalmStaticFilesConfig(StaticFilesConfig):
    """django.contrib.staticfiles, leaving out django-ninja's ReDoc bundle and its source map
    (4 MB): the API docs are its Swagger UI, and compressing files nobody is sent was a third
    of ``collectstatic``'s time at every ``balm serve``."""

    ignore_patterns: ClassVar[list[str]] = [
        *StaticFilesConfig.ignore_patterns,
        "redoc.standalone.js*",
    ]


class WebConfig(AppConfig):
    name = "balm.web"
    label = "web"
    verbose_name = "balm web"

    def ready(self) -> None:
        # Connect the log-in signals: participants' short session, staff's idle clock.
        from balm.web import participant_session, staff_session  # noqa: F401
