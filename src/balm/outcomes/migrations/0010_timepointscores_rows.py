# ruff: noqa: RUF012  (the shape Django makemigrations writes)
import json

from django.db import migrations

from balm.outcomes.score_rows import merged_rows


def fill(apps, schema_editor):
    """Keep the merged row of every course and timepoint that has responses already."""
    response = apps.get_model("outcomes", "Response")
    timepoint_scores = apps.get_model("outcomes", "TimepointScores")
    stored = (
        response.objects.order_by("pk")
        .values_list(
            "assessment__enrolment_id",
            "assessment__timepoint",
            "assessment__week",
            "instrument_id",
            "scores",
            "answers",
        )
        .iterator(chunk_size=2000)
    )
    timepoint_scores.objects.bulk_create(
        (
            timepoint_scores(
                enrolment_id=enrolment_id,
                timepoint=timepoint,
                week=week,
                scores=json.dumps(numbers),
                bands=json.dumps(bands),
                answers=json.dumps(answers),
                kinds=json.dumps(kinds),
                items=json.dumps(items),
            )
            for (enrolment_id, timepoint), (
                week,
                numbers,
                bands,
                answers,
                kinds,
                items,
            ) in merged_rows(stored).items()
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0009_timepointscores")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
