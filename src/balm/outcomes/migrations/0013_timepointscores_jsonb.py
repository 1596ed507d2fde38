# ruff: noqa: RUF012  (the shape Django makemigrations writes)
# The kept rows' scores and answers become jsonb columns on PostgreSQL (read back as text:
# balm.outcomes.jsonsql.JsonbText). Their text was already jsonb's own (score_rows writes
# ``%s::jsonb::text``), so the cast keeps every value. SQLite keeps text: nothing to change.

from typing import Any

from django.db import migrations

import balm.outcomes.jsonsql

COLUMNS = ("scores", "answers")


def _alter(to: str) -> Any:
    def alter(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name("outcomes_timepointscores")
        changes = ", ".join(
            f"ALTER COLUMN {schema_editor.quote_name(c)} TYPE {to} "
            f"USING {schema_editor.quote_name(c)}::{to}"
            for c in COLUMNS
        )
        schema_editor.execute(f"ALTER TABLE {table} {changes}")

    return alter


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0012_checkin_minutes_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="timepointscores",
                    name="answers",
                    field=balm.outcomes.jsonsql.JsonbText(
                        help_text="JSON: {column: numeric answer}"
                    ),
                ),
                migrations.AlterField(
                    model_name="timepointscores",
                    name="scores",
                    field=balm.outcomes.jsonsql.JsonbText(help_text="JSON: {column: number}"),
                ),
            ],
            database_operations=[migrations.RunPython(_alter("jsonb"), _alter("text"))],
        ),
    ]
