from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "balm.programmes"
    label = "programmes"
    verbose_name = "Programmes and cohorts"
