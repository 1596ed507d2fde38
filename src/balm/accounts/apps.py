from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _forget(**_: Any) -> None:
    from balm.accounts.permissions import forget_lookups

    forget_lookups()


class AccountsConfig(AppConfig):
    name = "balm.accounts"
    label = "accounts"
    verbose_name = "Sites, people and roles"

    def ready(self) -> None:
        # A membership, participant or site changed within a request: permission answers the
        # request looked up earlier are asked again.
        for model in ("Membership", "Participant", "Site"):
            sender = self.get_model(model)
            post_save.connect(_forget, sender=sender, dispatch_uid=f"balm.forget.save.{model}")
            post_delete.connect(_forget, sender=sender, dispatch_uid=f"balm.forget.del.{model}")
