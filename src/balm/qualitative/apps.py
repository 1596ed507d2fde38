from django.apps import AppConfig


class QualitativeConfig(AppConfig):
    name = "balm.qualitative"
    label = "qualitative"
    verbose_name = "Qualitative projects"
