"""Forms for the staff pages: validation at the edge, every problem beside its field.

Actions still check everything that matters; an action's :class:`InvalidInput` is put back on
the form with :meth:`BalmForm.add_problems`, so both kinds of problem show the same way.
"""

from __future__ import annotations

from typing import Any

from django import forms

from balm.accounts.errors import InvalidInput
from balm.instruments.schema import Instrument, ItemKind
from balm.programmes.models import (
    AttendanceMark,
    DiagnosisCategory,
    EnrolmentStatus,
    Format,
    transition_problem,
)
from balm.programmes.templates import Timepoint

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BalmForm(forms.Form):
    """A form whose widgets point at their error messages (``aria-describedby``)."""

    template_name = "balm/_form.html"

    def full_clean(self) -> None:
        super().full_clean()
        self._mark_errors()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        self._mark_errors()

    def add_problems(self, error: InvalidInput) -> None:
        """Show an action's problems beside the fields they name (others on the form)."""
        for problem in error.problems:
            field = problem.field if problem.field in self.fields else None
            message = problem.message
            if field is None and problem.field:
                message = f"{problem.field}: {message}"
            self.add_error(field, message)

    def summary_errors(self) -> list[str]:
        """Problems not shown beside a visible field: the whole form's and hidden fields'."""
        found = list(self.non_field_errors())
        for field in self.hidden_fields():
            found.extend(field.errors)
        return found

    def field_problems(self) -> list[tuple[str, str, str]]:
        """``(id, label, message)`` of every visible field's problems, for the summary."""
        found = []
        for field in self.visible_fields():
            target = field.id_for_label or f"{field.auto_id}_0"  # a radio group: its first
            label = str(field.label).rstrip(".:")
            found.extend((target, label, str(message)) for message in field.errors)
        return found

    def _mark_errors(self) -> None:
        for name, field in self.fields.items():
            attrs = field.widget.attrs
            if name in self.errors:
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"err-{self.add_prefix(name)}"
            else:
                attrs.pop("aria-invalid", None)
                attrs.pop("aria-describedby", None)


# --- cohorts and enrolments --------------------------------------------------------------


class CohortForm(BalmForm):
    site = forms.ModelChoiceField(queryset=None, empty_label=None)  # type: ignore[arg-type]
    template = forms.ModelChoiceField(
        queryset=None,  # type: ignore[arg-type]
        empty_label=None,
        label="Programme",
        help_text="Sessions and the questionnaire schedule come from the programme.",
    )
    name = forms.CharField(max_length=200, label="Group name")
    start_date = forms.DateField(widget=DATE, help_text="The date of the first session.")
    format = forms.ChoiceField(choices=Format.choices)

    def __init__(self, *args: Any, sites: Any, templates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]


class EnrolForm(BalmForm):
    pseudonym = forms.CharField(
        max_length=40,
        help_text="What researchers see. An existing participant at this site is enrolled "
        "with the same pseudonym.",
    )
    name = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False, help_text="For questionnaire reminders.")
    phone = forms.CharField(
        max_length=40, required=False, label="Telephone", help_text="Seen by clinical staff only."
    )
    gp = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="GP",
        help_text="Practice, name and telephone; seen by clinical staff only.",
    )
    diagnosis_category = forms.ChoiceField(
        choices=[("", "Choose…"), *DiagnosisCategory.choices], label="Diagnosis category"
    )
    format = forms.ChoiceField(choices=[("", "Same as the group"), *Format.choices], required=False)
    consent_recorded_on = forms.DateField(widget=DATE, required=False, label="Consent recorded on")


class EnrolCsvForm(BalmForm):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: pseudonym, diagnosis_category (required); name, email, phone, gp, "
        "format, consent_recorded_on (optional). One row per participant.",
    )

    MAX_BYTES = 1_000_000

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB; split it into parts.")
        return upload


class StatusForm(BalmForm):
    status = forms.ChoiceField(choices=[], label="New status")
    on = forms.DateField(widget=DATE, required=False, label="Date", help_text="Default: today.")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Reason",
        help_text="Required if the new status is Withdrawn: record why the participant withdrew.",
    )

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        choices = [
            (value, label)
            for value, label in EnrolmentStatus.choices
            if transition_problem(current, value) is None
        ]
        self.fields["status"].choices = choices
        reason = self.fields["reason"]
        if [value for value, _ in choices] == [EnrolmentStatus.WITHDRAWN]:
            reason.required = True  # withdrawing is the only change left
            reason.help_text = "Record why the participant withdrew."
        elif EnrolmentStatus.WITHDRAWN in [value for value, _ in choices]:
            # Not "(optional)": the label says when it is needed.
            reason.label = "Reason (required for a withdrawal)"
            reason.required_when = "withdrawn"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == EnrolmentStatus.WITHDRAWN and not data.get("reason", "").strip():
            self.add_error("reason", "Record why the participant withdrew.")
        return data


# --- sessions ----------------------------------------------------------------------------


class SessionForm(BalmForm):
    date = forms.DateField(widget=DATE, required=False)
    delivered_content = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, label="What was delivered"
    )
    facilitator_feedback = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Session feedback"
    )
    reflections = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Reflections"
    )


class AttendanceForm(BalmForm):
    """The register: one row of radio buttons per enrolment, named ``enrolment-<id>`` like the
    action's problems (people who withdrew are left out by the caller)."""

    def __init__(self, *args: Any, enrolments: Any, marks: dict[int, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = []
        for enrolment in enrolments:
            name = f"enrolment-{enrolment.pk}"
            self.fields[name] = forms.ChoiceField(
                choices=AttendanceMark.choices,
                widget=forms.RadioSelect,
                required=False,
                label=enrolment.participant.pseudonym,
                initial=marks.get(enrolment.pk),
            )
            self.people.append((enrolment, name))

    def rows(self) -> list[dict[str, Any]]:
        """Per person: the enrolment and its bound field (the template lays out a row)."""
        return [{"enrolment": e, "field": self[name]} for e, name in self.people]

    def marks(self) -> dict[int, str]:
        return {
            int(name.removeprefix("enrolment-")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("enrolment-") and value
        }


# --- questionnaires entered by staff -----------------------------------------------------


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _as_number(text: str) -> int | float | str:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


class AnswersForm(BalmForm):
    """Every item of an instrument, none required (a blank on paper is missing, never zero).

    The engine checks the answers in the action; this form only collects them."""

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            label = item.text or getattr(item, "concept", "") or item.id
            options = instrument.options_for(item)
            if options:
                self.fields[item.id] = forms.ChoiceField(
                    choices=[
                        (_number_text(o.value), f"{_number_text(o.value)}: {o.label}")
                        for o in options
                    ],
                    widget=forms.RadioSelect,
                    required=False,
                    label=f"{item.id}. {label}",
                )
            elif item.kind is ItemKind.TEXT:
                self.fields[item.id] = forms.CharField(
                    widget=forms.Textarea(attrs={"rows": 2}), required=False, label=label
                )
            else:
                hint = ""
                if item.minimum is not None and item.maximum is not None:
                    hint = f"A number from {_number_text(item.minimum)} to "
                    hint += f"{_number_text(item.maximum)}."
                self.fields[item.id] = forms.CharField(
                    required=False,
                    label=f"{item.id}. {label}",
                    help_text=hint,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
        self.order_fields([item.id for item in instrument.items])

    def answers(self) -> dict[str, object]:
        """The answers given, numbers as numbers; blanks left out."""
        out: dict[str, object] = {}
        for item in self.instrument.items:
            value = (self.cleaned_data.get(item.id) or "").strip()
            if not value:
                continue
            out[item.id] = value if item.kind is ItemKind.TEXT else _as_number(value)
        return out


class PaperEntryForm(AnswersForm):
    client_id = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        error_messages={"required": "The form had expired; please check and send it again."},
    )
    confirm = forms.BooleanField(
        label="I have checked these answers against the paper form.",
        error_messages={"required": "Tick to confirm you checked the answers against the paper."},
    )


class AmendForm(AnswersForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason for the change",
        help_text="Required. The old answers stay in the history.",
        error_messages={"required": "Say why the answers are being changed."},
    )


# --- the evaluation report ---------------------------------------------------------------


class EvaluationFilterForm(BalmForm):
    """The Evaluation page's filters (a GET form: the URL names the report it shows)."""

    cohort = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Group")
    format = forms.ChoiceField(choices=[("", "Any format"), *Format.choices], required=False)
    diagnosis = forms.ChoiceField(
        choices=[("", "Any diagnosis"), *DiagnosisCategory.choices], required=False
    )
    started_from = forms.DateField(widget=DATE, required=False, label="Groups starting on or after")
    started_to = forms.DateField(widget=DATE, required=False, label="Groups starting on or before")
    post = forms.ChoiceField(
        choices=[("", "End (or the latest so far)"), *Timepoint.choices[1:]],
        required=False,
        label="Compare baseline with",
    )
    project = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Interviews (qualitative project)",
        help_text="Adds the themes, the facilitators' feedback and the joint displays of "
        "numbers and words.",
    )

    def __init__(self, *args: Any, cohorts: Any, projects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(c.pk, f"{c.name} ({c.site.slug})") for c in cohorts]
        if len(choices) <= 1:
            del self.fields["cohort"]  # a cohort's own page has nothing to choose
        else:
            self.fields["cohort"].choices = [("", "Every group"), *choices]  # type: ignore[attr-defined]
        if not projects:
            del self.fields["project"]  # none the user may read
        else:
            self.fields["project"].choices = [  # type: ignore[attr-defined]
                ("", "None"),
                *((p.pk, p.name) for p in projects),
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("started_from"), data.get("started_to")
        if low and high and low > high:
            self.add_error("started_to", "The last start date must not be before the first.")
        return data
