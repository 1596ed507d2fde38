from django.apps import AppConfig


class WordingConfig(AppConfig):
    name = "balm.wording"
    verbose_name = "Licensed instrument wording"
    default_auto_field = "django.db.models.BigAutoField"
