# ruff: noqa: RUF012  (Django migration API)
"""Load the shipped 12-week CFT-for-persistent-pain template (kept if already present)."""

from django.db import migrations


def load(apps, schema_editor):
    from balm.programmes.loader import data_path, read_template_file, write_template

    write_template(
        read_template_file(data_path()),
        template_model=apps.get_model("programmes", "ProgrammeTemplate"),
        plan_model=apps.get_model("programmes", "SessionPlan"),
        entry_model=apps.get_model("programmes", "ScheduleEntry"),
    )


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
