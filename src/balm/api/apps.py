from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "balm.api"
    label = "api"
    verbose_name = "JSON API and its tokens"
