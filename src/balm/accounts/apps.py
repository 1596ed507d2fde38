from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "balm.accounts"
    label = "accounts"
    verbose_name = "Sites, people and roles"
