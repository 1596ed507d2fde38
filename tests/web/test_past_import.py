"""Importing a service's past groups (CSV, XLSX, a REDCap export): every problem at once,
nothing written on error, all or nothing, entry mode import, an audit event, idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from tests.web import factories

from balm.accounts.errors import NotAllowed
from balm.audit.models import AuditEvent
from balm.exchange.past import check_rows, read_file
from balm.outcomes import score_rows
from balm.outcomes.actions import record_submission
from balm.outcomes.bulk_rows import insert_rows
from balm.outcomes.export import scores_frame
from balm.outcomes.models import Assessment, EntryMode, Response, TimepointScores
from balm.outcomes.past_import import client_id_for, import_past
from balm.programmes.models import Cohort, DiagnosisCategory, Enrolment, EnrolmentStatusChange

pytestmark = pytest.mark.django_db

PHQ = [f"phq9_q{i}" for i in range(1, 10)]
GAD = [f"gad7_q{i}" for i in range(1, 8)]
HEAD = [
    "participant",
    "cohort",
    "cohort_start",
    "diagnosis",
    "timepoint",
    "status",
    "status_reason",
]


def row(person, cohort, start, timepoint, phq, gad, status="completed", reason=""):  # type: ignore[no-untyped-def]
    return [person, cohort, start, "fibromyalgia", timepoint, status, reason, *phq, *gad]


# PHQ-9 all 1 = 9 ("mild" 5-9) and all 3 but q9 = 24 ("severe" 20-27), Kroenke et al. 2001;
# GAD-7 all 2 = 14 ("moderate" 10-14), Spitzer et al. 2006. A blank stays blank: P03's end
# PHQ-9 has q9 blank, prorated 8 x 9 / 8 = 9 under the catalogue's rule.
ROWS = [
    row("P01", "Spring 2023", "2023-03-06", "baseline", ["3"] * 8 + ["0"], ["2"] * 7),
    row("P01", "Spring 2023", "2023-03-06", "end", ["1"] * 9, ["2"] * 7),
    row(
        "P02",
        "Spring 2023",
        "2023-03-06",
        "baseline",
        ["1"] * 9,
        [""] * 7,
        "withdrawn",
        "moved away",
    ),
    row("P03", "Autumn 2023", "2023-09-04", "baseline", ["1"] * 9, ["2"] * 7),
    row("P03", "Autumn 2023", "2023-09-04", "end", ["1"] * 8 + [""], ["2"] * 7),
]


def write_csv(path: Path, rows=ROWS, head=None) -> Path:  # type: ignore[no-untyped-def]
    pd.DataFrame(rows, columns=head or [*HEAD, *PHQ, *GAD]).to_csv(path, index=False)
    return path


def rows_of(path: Path):  # type: ignore[no-untyped-def]
    checked = check_rows(read_file(path), diagnoses=DiagnosisCategory.values)
    assert checked.problems == []
    return checked.rows


@pytest.fixture
def place():  # type: ignore[no-untyped-def]
    site = factories.site("north")
    factories.template()
    return site, factories.staff("administrator", site)


def test_import_creates_groups_courses_and_scored_responses(place, tmp_path) -> None:
    site, admin = place
    result = import_past(site=site, rows=rows_of(write_csv(tmp_path / "past.csv")), by=admin)
    assert (result.participants, result.cohorts, result.enrolments, result.responses) == (
        3,
        2,
        3,
        9,
    )
    assert set(Cohort.objects.filter(site=site).values_list("name", "status")) == {
        ("Spring 2023", "finished"),
        ("Autumn 2023", "finished"),
    }
    withdrawn = Enrolment.objects.get(participant__pseudonym="P02")
    assert withdrawn.status == "withdrawn"
    assert list(withdrawn.history.values_list("status", "reason")) == [
        ("referred", ""),
        ("withdrawn", "moved away"),
    ]
    completed = Enrolment.objects.get(participant__pseudonym="P01")
    assert list(completed.history.values_list("status", flat=True)) == [
        "referred",
        "assessed",
        "started",
        "completed",
    ]
    assert {r.entry_mode for r in Response.objects.all()} == {"import"}
    frame = scores_frame(Enrolment.objects.filter(cohort__site=site), bands=True)
    got = {
        (r.participant, r.timepoint): (r.phq9_total, r.phq9_total_band, r.gad7_total)
        for r in frame.itertuples()
    }
    assert got[("P01", "baseline")] == (24, "severe", 14)
    assert got[("P01", "end")] == (9, "mild", 14)
    assert got[("P03", "end")][:2] == (9, "mild")
    assert pd.isna(got[("P02", "baseline")][2])  # GAD-7 left blank: no response, never 0
    # The export's kept rows: one per course and timepoint of the file's five lines.
    assert TimepointScores.objects.filter(enrolment__cohort__site=site).count() == 5
    assert score_rows.differences(Enrolment.objects.values_list("pk", flat=True)) == []
    # PHQ-9 and GAD-7 at each of their 4 scheduled timepoints (answered or not); nothing of
    # the instruments the file does not hold.
    assert Assessment.objects.filter(enrolment=completed).count() == 8
    event = AuditEvent.objects.get(action="past.import")
    assert event.details["responses"] == 9 and event.actor == admin


def test_importing_the_same_file_twice_changes_nothing(place, tmp_path) -> None:
    site, admin = place
    path = write_csv(tmp_path / "past.csv")
    import_past(site=site, rows=rows_of(path), by=admin)
    counts = (
        Response.objects.count(),
        Enrolment.objects.count(),
        EnrolmentStatusChange.objects.count(),
    )
    again = import_past(site=site, rows=rows_of(path), by=admin)
    assert (again.responses, again.unchanged) == (0, 9)
    assert counts == (
        Response.objects.count(),
        Enrolment.objects.count(),
        EnrolmentStatusChange.objects.count(),
    )
    assert AuditEvent.objects.filter(action="past.import").count() == 1
    changed = [list(r) for r in ROWS]
    changed[1][7] = "0"  # P01's end PHQ-9 q1, now another answer
    with pytest.raises(Exception, match="imported before with other answers"):
        import_past(site=site, rows=rows_of(write_csv(tmp_path / "changed.csv", changed)), by=admin)


def test_dry_run_lists_what_would_happen_and_writes_nothing(place, tmp_path) -> None:
    site, admin = place
    result = import_past(
        site=site, rows=rows_of(write_csv(tmp_path / "p.csv")), by=admin, dry_run=True
    )
    assert result.responses == 9 and Response.objects.count() == 0 and Cohort.objects.count() == 0


def test_every_problem_at_once_and_nothing_written(place, tmp_path) -> None:
    bad = [list(r) for r in ROWS]
    bad[0][3] = "fibro"  # diagnosis
    bad[1][4] = "week 12"  # timepoint
    bad[2][6] = ""  # withdrawn without a reason
    bad[3][2] = "4/9/2023"  # start date
    bad[4][7] = "5"  # PHQ-9 q1 weight 5
    path = write_csv(tmp_path / "bad.csv", bad)
    with pytest.raises(CommandError) as error:
        call_command("import_past", "north", str(path))
    text = str(error.value)
    assert "5 problem(s)" in text, text
    assert "line 2, diagnosis: 'fibro' is not one of back_spinal" in text
    assert "line 3, timepoint: 'week 12' is not one of baseline, mid, end, follow_up" in text
    assert "line 4, status_reason" in text
    assert "line 5, cohort_start: '4/9/2023' is not a date" in text
    assert "line 6, phq9_q1: 5 is not one of 0, 1, 2, 3" in text  # the engine's words
    assert Response.objects.count() == 0 and Cohort.objects.count() == 0


def test_answer_at_an_unscheduled_timepoint_and_unknown_columns(place, tmp_path) -> None:
    head = [*HEAD, "pdi_q1", "pdi_q99", "notes"]
    rows = [["P01", "G", "2023-03-06", "fibromyalgia", "mid", "", "", "4", "", "x"]]
    with pytest.raises(CommandError) as error:
        call_command("import_past", "north", str(write_csv(tmp_path / "u.csv", rows, head)))
    text = str(error.value)
    assert "column pdi_q99: not an item of pdi" in text and "column notes" in text
    rows = [["P01", "G", "2023-03-06", "fibromyalgia", "mid", "", "", "4"]]
    path = write_csv(tmp_path / "m.csv", rows, [*HEAD, "pdi_q1"])
    with pytest.raises(CommandError, match="does not schedule pdi at mid"):
        call_command("import_past", "north", str(path))
    assert Response.objects.count() == 0


def test_xlsx_and_the_command(place, tmp_path) -> None:
    path = tmp_path / "past.xlsx"
    frame = pd.read_csv(write_csv(tmp_path / "p.csv"), dtype=str, keep_default_na=False)
    frame.to_excel(path, index=False)
    call_command("import_past", "north", str(path), "--dry-run")
    assert Response.objects.count() == 0
    call_command("import_past", "north", str(path))
    assert Response.objects.count() == 9


def test_only_administrators_import(place, tmp_path) -> None:
    site, _ = place
    rows = rows_of(write_csv(tmp_path / "p.csv"))
    for person in (
        factories.staff("facilitator", site),
        factories.staff("researcher", site),
        factories.staff("administrator", factories.site("south")),
    ):
        with pytest.raises(NotAllowed):
            import_past(site=site, rows=rows, by=person)
    assert Response.objects.count() == 0


def test_redcap_records_import_through_a_mapping(place, tmp_path) -> None:
    records = pd.DataFrame(
        {
            "record_id": ["101", "101", "102"],
            "redcap_event_name": ["baseline_arm_1", "week_12_arm_1", "baseline_arm_1"],
            **{c: ["1"] * 3 for c in PHQ},
            "phq9_complete": ["2"] * 3,
        }
    )
    path = tmp_path / "records.csv"
    records.to_csv(path, index=False)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "events: {baseline_arm_1: baseline, week_12_arm_1: end}\n"
        "records: {'101': P01, '102': {pseudonym: P02, diagnosis: crps}}\n"
        "cohort: Winter 2022\ncohort_start: 2022-01-10\ndiagnosis: back_spinal\n"
    )
    from typer.testing import CliRunner

    from balm.cli import app

    dry = CliRunner().invoke(
        app, ["redcap", "import", "north", str(path), "--map", str(mapping), "--dry-run"]
    )
    assert dry.exit_code == 0 and "would import 3 responses" in dry.output, dry.output
    assert Response.objects.count() == 0
    call_command("redcap_import", "north", str(path), "--map", str(mapping))
    assert Response.objects.count() == 3
    assert set(Enrolment.objects.values_list("participant__pseudonym", "diagnosis_category")) == {
        ("P01", "back_spinal"),
        ("P02", "crps"),
    }
    assert {r.scores["total"] for r in Response.objects.all()} == {9}
    mapping.write_text("events: {baseline_arm_1: baseline}\ncohort: W\ncohort_start: 2022-01-10\n")
    with pytest.raises(CommandError, match="'week_12_arm_1' is not mapped"):
        call_command("redcap_import", "north", str(path), "--map", str(mapping))


@pytest.mark.parametrize("instrument_id", ["phq9", "dass21", "cpaq8", "pdi", "scs_sf", "nrs"])
def test_check_many_agrees_with_check_answers(instrument_id) -> None:
    """The batch path gives what the one-response path gives, answer set by answer set (good,
    blank, prorated, too few, out of range, not a number), in the cpaq20 printed order too."""
    import random

    from balm.instruments import get_instrument
    from balm.outcomes.answers import check_answers, check_many

    instrument = get_instrument(instrument_id)
    rng = random.Random(instrument_id)
    many = []
    for _ in range(60):
        answers: dict[str, object] = {}
        for item in instrument.scored_items:
            roll = rng.random()
            options = [o.value for o in instrument.options_for(item)] or [item.minimum]
            if roll < 0.15:
                answers[item.id] = None
            elif roll < 0.17:
                answers[item.id] = rng.choice([99, "often"])
            else:
                answers[item.id] = int(rng.choice(options))
        many.append(answers)
    many.append({})
    variant = "cpaq20_order" if instrument.needs_variant else None
    batch = check_many(instrument_id, many, variant=variant)
    for answers, got in zip(many, batch, strict=True):
        one = check_answers(instrument_id, answers, require_complete=False, variant=variant)
        assert got.problems == one.problems
        if not one.problems:
            assert got.scores == one.scores and got.flagged == one.flagged


def _stored_rows(model, order: str) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    """Every stored column but the primary key (and the two timestamps of a response, which
    are the moment of writing), read straight from the table."""
    skip = {"id", "created_at", "updated_at"} if model is Response else {"id"}
    columns = [f.column for f in model._meta.concrete_fields if f.column not in skip]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(quote(c) for c in columns)} FROM "
            f"{quote(model._meta.db_table)} ORDER BY {quote(order)}, {quote('id')}"
        )
        return [tuple(r) for r in cursor.fetchall()]


def test_the_batched_import_stores_what_record_submission_stores(place, tmp_path) -> None:
    """The import checks and scores every row first and writes them in bulk; each response it
    stores is, column for column, the one the per-answer action stores for the same answers."""
    site, _ = place
    rows = rows_of(write_csv(tmp_path / "past.csv"))
    import_past(site=site, rows=rows, by=None)
    batched = _stored_rows(Response, "client_id")
    assert len(batched) == 9
    assert all(r.created_at == r.updated_at for r in Response.objects.all())
    Response.objects.all().delete()
    for row in rows:
        for instrument_id, answers in row.answers.items():
            assessment = Assessment.objects.get(
                enrolment__participant__pseudonym=row.participant,
                enrolment__cohort__name=row.cohort,
                instrument_id=instrument_id,
                timepoint=row.timepoint,
            )
            record_submission(
                assessment=assessment,
                answers=answers,
                client_id=client_id_for(site, row, instrument_id),
                entry_mode=EntryMode.IMPORT,
                by=None,
            )
    assert _stored_rows(Response, "client_id") == batched


def test_insert_rows_stores_what_bulk_create_stores(place) -> None:
    """:func:`insert_rows` against Django's own ``bulk_create`` on the three models the import
    writes with it: text (accents, quotes), dates, null and set foreign keys, defaults,
    JSON with decimals, nulls and text numbers."""
    site, admin = place
    cohort = factories.cohort(site, start=date(2024, 1, 8))
    enrolment = factories.enrol(factories.participant(site, "P1"), cohort)
    at = datetime(2024, 2, 1, 9, 30, tzinfo=UTC)
    assessments = [
        {
            "enrolment_id": enrolment.pk,
            "instrument_id": instrument,
            "timepoint": "baseline",
            "week": week,
            "opens_on": date(2024, 1, 1),
            "due_on": date(2024, 1, 8),
            "closes_on": date(2024, 1, 22),
        }
        for week, instrument in enumerate(["phq9", "gad7", "dass21", "scs_sf"])
    ]
    history = [
        {
            "enrolment_id": enrolment.pk,
            "status": "referred",
            "on": date(2024, 1, 1),
            "reason": "",
            "by_id": None,
            "recorded_at": at,
        },
        {
            "enrolment_id": enrolment.pk,
            "status": "withdrawn",
            "on": date(2024, 1, 9),
            "reason": 'moved to Zürich "for work"',
            "by_id": admin.pk,
            "recorded_at": at,
        },
    ]

    def responses(ids: list[int], tag: str) -> list[dict[str, object]]:
        answers = [{"q1": 1, "q2": None, "q3": 2.5}, {"q1": "3", "q9": 0}]
        return [
            {
                "assessment_id": pk,
                "instrument_id": "phq9",
                "instrument_version": "1.0",
                "wording_id": None,
                "variant": "",
                "answers": answers[n % 2],
                "scores": {"total": 9.5, "total_band": "mild", "missing": None},
                "scorer_version": "7",
                "entered_by_id": admin.pk if n % 2 else None,
                "entry_mode": "import",
                "client_id": f"{tag}-{n}",
                "created_at": at,
                "updated_at": at,
            }
            for n, pk in enumerate(ids)
        ]

    def both_ways(model, rows, order) -> list[list[tuple[object, ...]]]:  # type: ignore[no-untyped-def]
        stored = []
        for write in (
            lambda: model.objects.bulk_create(model(**r) for r in rows),
            lambda: insert_rows(model, rows),
        ):
            model.objects.all().delete()
            write()
            stored.append(_stored_rows(model, order))
        return stored

    made, inserted = both_ways(EnrolmentStatusChange, history, "on")
    assert made == inserted and len(made) == 2
    made, inserted = both_ways(Assessment, assessments, "week")
    assert made == inserted and len(made) == 4
    ids = list(Assessment.objects.order_by("week").values_list("pk", flat=True))
    made, inserted = both_ways(Response, responses(ids, "same"), "client_id")
    assert made == inserted and len(made) == 4
    # A default (the recorded time) is filled in as bulk_create fills it.
    del history[0]["recorded_at"]
    insert_rows(EnrolmentStatusChange, history)
    assert EnrolmentStatusChange.objects.filter(status="referred").last().recorded_at is not None
    with pytest.raises(ValueError, match="has no field colour"):
        insert_rows(EnrolmentStatusChange, [{**history[1], "colour": "red"}])
