from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "balm.audit"
    label = "audit"
    verbose_name = "Audit trail"
