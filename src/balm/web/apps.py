from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "balm.web"
    label = "web"
    verbose_name = "balm web"
