from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "balm.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
