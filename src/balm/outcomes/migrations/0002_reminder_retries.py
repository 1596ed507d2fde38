# ruff: noqa: RUF012  (the shape Django makemigrations writes)
"""Questionnaire e-mails are retried: attempts, the last attempt and the last error per row.

Rows claimed before this migration count as one attempt made when they were queued, so an
e-mail that was claimed but never sent (its task could not be queued, or sending failed) is
picked up by the next check once it is older than ``BALM_REMINDER_RETRY_MINUTES``.
"""

import django.utils.timezone
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def last_attempt_is_when_queued(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    reminder_log = apps.get_model("outcomes", "ReminderLog")
    reminder_log.objects.using(schema_editor.connection.alias).update(
        last_attempt_at=models.F("queued_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="reminderlog",
            name="attempts",
            field=models.PositiveSmallIntegerField(
                default=1, help_text="Times the e-mail was handed to the task queue."
            ),
        ),
        migrations.AddField(
            model_name="reminderlog",
            name="last_attempt_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="When it was last queued or taken by a task to send.",
            ),
        ),
        migrations.AddField(
            model_name="reminderlog",
            name="last_error",
            field=models.TextField(
                blank=True,
                help_text="Why the latest attempt failed (kept after a later success).",
            ),
        ),
        migrations.RunPython(last_attempt_is_when_queued, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="reminderlog",
            index=models.Index(
                condition=models.Q(("sent_at__isnull", True)),
                fields=["last_attempt_at"],
                name="reminder_unsettled",
            ),
        ),
    ]
