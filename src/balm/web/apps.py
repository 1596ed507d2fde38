from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "balm.web"
    label = "web"
    verbose_name = "balm web"

    def ready(self) -> None:
        # Connect the log-in signals: participants' short session, staff's idle clock.
        from balm.web import participant_session, staff_session  # noqa: F401
