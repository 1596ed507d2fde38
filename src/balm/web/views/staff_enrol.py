"""Enrolling participants in a cohort: one at a time, or everyone in a CSV file (all rows or
none, with every bad row reported at once)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from balm.accounts.actions import create_participant
from balm.accounts.errors import InvalidInput
from balm.accounts.models import Participant
from balm.programmes import actions as programme_actions
from balm.programmes.models import Cohort, DiagnosisCategory, Format
from balm.web import forms
from balm.web.views.common import staff_cohort


def _enrol_row(cohort: Cohort, row: dict[str, Any], *, by: Any) -> None:
    """Find or create the participant by pseudonym at the cohort's site, then enrol them."""
    participant = Participant.objects.filter(site=cohort.site, pseudonym=row["pseudonym"]).first()
    if participant is None:
        participant = create_participant(
            site=cohort.site,
            pseudonym=row["pseudonym"],
            name=row.get("name") or "",
            email=row.get("email") or "",
            phone=row.get("phone") or "",
            gp=row.get("gp") or "",
            by=by,
        )
    programme_actions.enrol_participant(
        participant=participant,
        cohort=cohort,
        diagnosis_category=row["diagnosis_category"],
        format=row.get("format") or None,
        consent_recorded_on=row.get("consent_recorded_on"),
        by=by,
    )


@login_required
@require_http_methods(["GET", "POST"])
def enrol_one(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = staff_cohort(request, cohort_id, change=True)
    form = forms.EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "pseudonym": form.cleaned_data["pseudonym"].strip()}
        try:
            with transaction.atomic():
                _enrol_row(cohort, data, by=request.user)
        except InvalidInput as error:
            form.add_problems(error)
        else:
            messages.success(request, f"{data['pseudonym']} enrolled (referred).")
            return redirect("cohort", cohort_id=cohort.pk)
    return render(request, "balm/enrol.html", {"cohort": cohort, "form": form})


CSV_REQUIRED = ("pseudonym", "diagnosis_category")
CSV_OPTIONAL = ("name", "email", "phone", "gp", "format", "consent_recorded_on")
#: As the single-enrolment form (``forms.EnrolForm``) and the participant record allow.
CSV_PHONE_MAX = 40
CSV_MAX_ROWS = 500


class _RollBack(Exception):
    """Raised inside the transaction to undo every row when one failed."""


def parse_enrolment_csv(text: str, cohort: Cohort) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows to enrol and every problem found (``Row N, field: message``); reads only."""
    try:
        return _parse_enrolment_csv(text, cohort)
    except csv.Error as error:  # a stray quote or line break (found by tests/web/test_fuzz_imports)
        return [], [f"The file could not be read as CSV ({error}); save it as CSV UTF-8."]


def _parse_enrolment_csv(text: str, cohort: Cohort) -> tuple[list[dict[str, Any]], list[str]]:
    # newline="": the csv module reads line ends itself, so a line break inside a quoted
    # field (or a lone carriage return) is read, not refused.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        return [], [
            f"The file has no column {', '.join(missing)}; the first line must name the "
            f"columns: {', '.join(CSV_REQUIRED + CSV_OPTIONAL)}."
        ]
    unknown = [h for h in header if h and h not in CSV_REQUIRED + CSV_OPTIONAL]
    problems: list[str] = []
    if unknown:
        problems.append(
            f"Unknown column {', '.join(unknown)}; allowed: "
            f"{', '.join(CSV_REQUIRED + CSV_OPTIONAL)}."
        )
    reader.fieldnames = header
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    enrolled = set(cohort.enrolments.values_list("participant__pseudonym", flat=True))
    diagnoses = DiagnosisCategory.values
    formats = Format.values
    for number, raw in enumerate(reader, start=1):
        if number > CSV_MAX_ROWS:
            problems.append(f"More than {CSV_MAX_ROWS} rows; split the file.")
            break
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue

        def bad(field: str, message: str, number: int = number) -> None:
            problems.append(f"Row {number}, {field}: {message}")

        pseudonym = row.get("pseudonym", "")
        if not pseudonym:
            bad("pseudonym", "missing.")
        elif len(pseudonym) > 40:
            bad("pseudonym", "longer than 40 characters.")
        elif pseudonym in seen:
            bad("pseudonym", f"{pseudonym!r} is also on row {seen[pseudonym]}.")
        elif pseudonym in enrolled:
            bad("pseudonym", f"{pseudonym!r} is already in this group.")
        if pseudonym:
            seen.setdefault(pseudonym, number)
        diagnosis = row.get("diagnosis_category", "")
        if diagnosis not in diagnoses:
            shown = repr(diagnosis) if diagnosis else "missing"
            bad("diagnosis_category", f"{shown}; allowed: {', '.join(diagnoses)}.")
        fmt = row.get("format", "")
        if fmt and fmt not in formats:
            bad("format", f"{fmt!r}; allowed: {', '.join(formats)} (or blank for the group's).")
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                bad("email", f"{email!r} is not an e-mail address.")
        if len(row.get("phone", "")) > CSV_PHONE_MAX:
            bad("phone", f"longer than {CSV_PHONE_MAX} characters.")
        consent: date | None = None
        if row.get("consent_recorded_on"):
            try:
                consent = date.fromisoformat(row["consent_recorded_on"])
            except ValueError:
                bad("consent_recorded_on", "write the date as YYYY-MM-DD.")
        rows.append({**row, "consent_recorded_on": consent, "_row": number})
    if not rows and not problems:
        problems.append("The file has no rows under the header.")
    return rows, problems


@login_required
@require_http_methods(["GET", "POST"])
def enrol_csv(request: HttpRequest, cohort_id: int) -> HttpResponse:
    """Enrol everyone in a CSV file, or no one: every bad row is reported at once."""
    cohort = staff_cohort(request, cohort_id, change=True)
    form = forms.EnrolCsvForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError:
            problems = ["The file is not UTF-8 text; save it as CSV UTF-8 and try again."]
            rows: list[dict[str, Any]] = []
        else:
            rows, problems = parse_enrolment_csv(text, cohort)
        if not problems:
            try:
                with transaction.atomic():
                    for row in rows:
                        try:
                            _enrol_row(cohort, row, by=request.user)
                        except InvalidInput as error:
                            problems.extend(
                                f"Row {row['_row']}, {p.field or 'row'}: {p.message}"
                                for p in error.problems
                            )
                    if problems:
                        raise _RollBack
            except _RollBack:
                pass
            else:
                messages.success(request, f"{len(rows)} participants enrolled (referred).")
                return redirect("cohort", cohort_id=cohort.pk)
        if problems:
            form.add_error("file", "Nothing was enrolled: correct the rows below and upload again.")
    return render(
        request,
        "balm/enrol_csv.html",
        {
            "cohort": cohort,
            "form": form,
            "problems": problems,
            "columns": CSV_REQUIRED + CSV_OPTIONAL,
            "diagnoses": DiagnosisCategory.values,
            "formats": Format.values,
        },
    )
