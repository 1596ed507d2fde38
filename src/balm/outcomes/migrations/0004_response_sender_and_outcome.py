# ruff: noqa: RUF012  (the shape Django makemigrations writes)
"""Who sent a response or check-in (the API token beside the user), and a staff-recorded
outcome of an assessment without a response (not returned, declined)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("outcomes", "0003_alert_email_retries"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "No outcome recorded"),
                    ("not_returned", "Not returned"),
                    ("declined", "Declined"),
                ],
                default="",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="assessment",
            name="outcome_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="assessment",
            name="outcome_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="assessment",
            name="outcome_note",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="checkin",
            name="api_token",
            field=models.ForeignKey(
                blank=True,
                help_text="The API token it was sent with, if any (its user is entered_by).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="api.apitoken",
            ),
        ),
        migrations.AddField(
            model_name="response",
            name="api_token",
            field=models.ForeignKey(
                blank=True,
                help_text="The API token it was sent with, if any (its user is entered_by).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="api.apitoken",
            ),
        ),
    ]
