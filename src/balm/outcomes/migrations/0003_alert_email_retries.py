# ruff: noqa: RUF012  (the shape Django makemigrations writes)
"""Safety-alert e-mails are retried: when each was settled, its outcome, attempts, the last
attempt and the last error, on the alert.

Alerts raised before this migration count as e-mailed when they were raised (one attempt,
outcome "unknown"): whether their e-mail went out was never recorded, and they are on the
dashboard until acknowledged, so the first check after the upgrade must not e-mail them all.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

BEFORE_RECORDING = "unknown: raised before e-mail delivery was recorded"


def existing_alerts_count_as_sent(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    safety_alert = apps.get_model("outcomes", "SafetyAlert")
    safety_alert.objects.using(schema_editor.connection.alias).filter(
        email_sent_at__isnull=True
    ).update(
        email_sent_at=models.F("created_at"),
        email_last_attempt_at=models.F("created_at"),
        email_attempts=1,
        email_outcome=BEFORE_RECORDING,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_reminder_retries"),
    ]

    operations = [
        migrations.AddField(
            model_name="safetyalert",
            name="email_sent_at",
            field=models.DateTimeField(
                blank=True, help_text="When its e-mail to the team was sent or settled.", null=True
            ),
        ),
        migrations.AddField(
            model_name="safetyalert",
            name="email_outcome",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="safetyalert",
            name="email_attempts",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="Times its e-mail was handed to the task queue."
            ),
        ),
        migrations.AddField(
            model_name="safetyalert",
            name="email_last_attempt_at",
            field=models.DateTimeField(
                blank=True, help_text="When its e-mail was last queued or taken to send.", null=True
            ),
        ),
        migrations.AddField(
            model_name="safetyalert",
            name="email_last_error",
            field=models.TextField(
                blank=True, help_text="Why the latest attempt failed (kept after a later success)."
            ),
        ),
        migrations.RunPython(existing_alerts_count_as_sent, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="safetyalert",
            index=models.Index(
                condition=models.Q(("email_sent_at__isnull", True)),
                fields=["email_last_attempt_at"],
                name="alert_email_unsettled",
            ),
        ),
    ]
