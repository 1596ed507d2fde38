"""Participant flow, attendance and check-ins: counts from the input files, nothing modelled."""

from __future__ import annotations

import numpy as np
import pandas as pd

from balm.programmes.flow import flow_counts
from balm.report.inputs import ENROLMENT_STEPS, ReportOptions, time_labels
from balm.report.model import Attendance, Checkins, CheckinWeek, Flow
from balm.report.outcomes import number


def _ids_at(scores: pd.DataFrame, options: ReportOptions, label: str) -> set[str]:
    """Ids with at least one score at the timepoint ``label``."""
    from balm.report.inputs import score_columns

    columns = score_columns(scores, options)
    at = scores.loc[(time_labels(scores[options.time]) == label).fillna(False)]
    scored = at[columns].apply(pd.to_numeric, errors="coerce").notna().any(axis=1)
    return set(at.loc[scored, options.id].astype("string"))


def _histories(enrolments: pd.DataFrame) -> list[list[tuple[str, str]]]:
    """Each enrolment's steps in the order reached (date, then the order of the steps)."""
    reasons = enrolments["withdrawal_reason"].astype("string").fillna("").tolist()
    dates = [
        pd.to_datetime(enrolments[f"{step}_on"], format="%Y-%m-%d", errors="coerce").tolist()
        for step in ENROLMENT_STEPS
    ]
    out: list[list[tuple[str, str]]] = []
    for position, reason in enumerate(reasons):
        steps = sorted(
            (dates[rank][position], rank)
            for rank in range(len(ENROLMENT_STEPS))
            if not pd.isna(dates[rank][position])
        )
        out.append(
            [
                (ENROLMENT_STEPS[rank], reason if ENROLMENT_STEPS[rank] == "withdrawn" else "")
                for _, rank in steps
            ]
        )
    return out


def participant_flow(
    scores: pd.DataFrame, options: ReportOptions, enrolments: pd.DataFrame | None
) -> Flow:
    """CONSORT-style counts.

    From the enrolments file (when given): enrolments that ever reached each step, counted as
    the web app counts them (:func:`balm.programmes.flow.flow_counts`: a step counts every
    enrolment that reached it or a later one), withdrawals split by whether the person had
    started, with reasons; enrolments that attended at least ``k`` sessions. From the scores:
    enrolments with any score at baseline, at the post timepoint and at follow-up.
    """
    in_scores = set(scores[options.id].astype("string"))
    with_pre = _ids_at(scores, options, options.pre)
    with_post = _ids_at(scores, options, options.post)
    times = set(time_labels(scores[options.time]).dropna())
    followed: int | None = (
        len(_ids_at(scores, options, options.follow_up)) if options.follow_up in times else None
    )
    missing: list[str] = []
    if followed is None:
        missing.append(f"followed up: the scores have no {options.follow_up!r} timepoint")
    if enrolments is None:
        missing.append(
            "referred, assessed, started, completed, withdrawn and sessions attended: the "
            "scores export has no enrolment history; give the enrolments file (--enrolments)"
        )
        return Flow(
            referred=None,
            assessed=None,
            started=None,
            attended_k=None,
            k=options.k,
            sessions_planned=options.sessions_planned,
            completed=None,
            followed_up=followed,
            withdrawn=None,
            withdrawn_before_start=None,
            withdrawn_after_start=None,
            reasons={},
            in_scores=len(in_scores),
            with_baseline=len(with_pre),
            with_post=len(with_post),
            source="scores only",
            missing=tuple(missing),
        )
    counts = flow_counts(_histories(enrolments))
    attended = pd.to_numeric(enrolments["sessions_attended"], errors="coerce")
    known = int(attended.notna().sum())
    if known < len(enrolments):
        missing.append(
            f"sessions attended: not known for {len(enrolments) - known} of "
            f"{len(enrolments)} enrolments"
        )
    return Flow(
        referred=counts.referred,
        assessed=counts.assessed,
        started=counts.started,
        attended_k=int((attended >= options.k).sum()) if known else None,
        k=options.k,
        sessions_planned=options.sessions_planned,
        completed=counts.completed,
        followed_up=followed,
        withdrawn=counts.withdrawn,
        withdrawn_before_start=counts.withdrawn_before_start,
        withdrawn_after_start=counts.withdrawn_after_start,
        reasons=dict(counts.reasons),
        in_scores=len(in_scores),
        with_baseline=len(with_pre),
        with_post=len(with_post),
        source="enrolments file and scores",
        missing=tuple(missing),
    )


def attendance(sessions: pd.DataFrame | None, enrolments: pd.DataFrame | None) -> Attendance:
    """Sessions held and the share of enrolled people who came (sum attended / sum enrolled
    over the sessions held, i.e. those with a date), and sessions attended per enrolment."""
    cohorts = n_sessions = attended_total = enrolled_total = None
    rate = None
    if sessions is not None:
        held = sessions.loc[sessions["date"].notna()]
        cohorts = int(held["cohort"].nunique())
        n_sessions = len(held)
        attended_total = int(pd.to_numeric(held["attended"]).sum())
        enrolled_total = int(pd.to_numeric(held["enrolled"]).sum())
        rate = attended_total / enrolled_total if enrolled_total else None
    known = mean = median = None
    if enrolments is not None:
        attended = pd.to_numeric(enrolments["sessions_attended"], errors="coerce").dropna()
        known = len(attended)
        if known:
            mean, median = number(attended.mean()), number(attended.median())
    return Attendance(
        sessions_file=sessions is not None,
        cohorts=cohorts,
        sessions=n_sessions,
        attended_total=attended_total,
        enrolled_total=enrolled_total,
        rate=rate,
        per_enrolment_known=known,
        sessions_attended_mean=mean,
        sessions_attended_median=median,
    )


def attendance_by_session(sessions: pd.DataFrame) -> pd.DataFrame:
    """Per session number over the cohorts that held it: cohorts, attended, enrolled, rate."""
    held = sessions.loc[sessions["date"].notna()].copy()
    for column in ("session", "attended", "enrolled"):
        held[column] = pd.to_numeric(held[column]).astype("int64")
    table = held.groupby("session", sort=True).agg(
        cohorts=("cohort", "nunique"),
        attended=("attended", "sum"),
        enrolled=("enrolled", "sum"),
    )
    table["rate"] = table["attended"] / table["enrolled"].where(table["enrolled"] > 0)
    return table.reset_index()


PRACTICE = "checkin_practice_minutes"


def checkins_summary(checkins: pd.DataFrame | None, options: ReportOptions) -> Checkins:
    """Check-ins returned per week, home-practice minutes (n reporting, mean, median) and the
    mean of each other check-in rating per week."""
    if checkins is None:
        return Checkins(False, 0, 0, None, None, ())
    frame = checkins.copy()
    frame["week"] = pd.to_numeric(frame["week"]).astype("int64")
    scales = [str(c) for c in frame.columns if str(c).startswith("checkin_") and c != PRACTICE]
    for column in [*scales, PRACTICE]:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    weeks: list[CheckinWeek] = []
    for week, part in frame.groupby("week", sort=True):
        minutes = (
            part[PRACTICE].to_numpy(dtype=np.float64)
            if PRACTICE in part.columns
            else np.array([], dtype=np.float64)
        )
        practice = minutes[~np.isnan(minutes)]
        weeks.append(
            CheckinWeek(
                week=int(str(week)),
                returned=len(part),
                practice_n=len(practice),
                practice_mean=number(float(np.mean(practice))) if len(practice) else None,
                practice_median=number(float(np.median(practice))) if len(practice) else None,
                scales={
                    s.removeprefix("checkin_"): number(part[s].mean())
                    if part[s].notna().any()
                    else None
                    for s in scales
                },
            )
        )
    total = median_week = None
    if PRACTICE in frame.columns and frame[PRACTICE].notna().any():
        total = number(frame[PRACTICE].sum())
        median_week = number(frame[PRACTICE].median())
    return Checkins(
        given=True,
        enrolments=int(frame[options.id].nunique()),
        checkins=len(frame),
        practice_minutes_total=total,
        practice_minutes_median_per_week=median_week,
        by_week=tuple(weeks),
    )
