from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "balm.web"
    label = "web"
    verbose_name = "balm web"

    def ready(self) -> None:
        # Connects the log-in signal that gives participants a short session.
        from balm.web import participant_session  # noqa: F401
