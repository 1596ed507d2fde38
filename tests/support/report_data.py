"""Synthetic inputs for ``balm report`` in the shape of balm's exports (fictional people only).

Used by the report tests and ``bench/report.py``. Scores are drawn within each catalogue
scale's range, improving on average, with some people missing later timepoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from balm.instruments import get_instrument

TIMEPOINTS = (("baseline", 0), ("mid", 6), ("end", 12), ("follow_up", 24))
INSTRUMENTS = ("phq9", "gad7", "dass21", "pcs", "cpaq8", "pseq")
DIAGNOSES = ("back_spinal", "fibromyalgia", "neuropathic", "crps", "other")
FORMATS = ("in_person", "online", "hybrid")
REASONS = ("moved away", "health worsened", "work", "")


@dataclass(frozen=True)
class Synthetic:
    scores: pd.DataFrame
    checkins: pd.DataFrame
    sessions: pd.DataFrame
    enrolments: pd.DataFrame

    def write(self, folder: Path) -> dict[str, Path]:
        paths = {}
        for name in ("scores", "checkins", "sessions", "enrolments"):
            path = folder / f"{name}.csv"
            getattr(self, name).to_csv(path, index=False)
            paths[name] = path
        return paths


def synthetic(
    participants: int = 1000,
    cohorts: int = 80,
    sites: int = 4,
    instruments: tuple[str, ...] = INSTRUMENTS,
    weeks: int = 13,
    seed: int = 12,
) -> Synthetic:
    rng = np.random.default_rng(seed)
    ids = [f"P{k:04d}" for k in range(participants)]
    cohort_of = [k % cohorts for k in range(participants)]
    enrolment = [f"{p}-c{c + 1}" for p, c in zip(ids, cohort_of, strict=True)]
    # How far each person got: 0 referred .. 3 started; completed or withdrawn after.
    started = rng.random(participants) < 0.85
    withdrew = rng.random(participants) < 0.2
    completed = started & ~withdrew
    last = np.where(completed, 3, np.where(started, rng.integers(1, 3, participants), 0))
    base = {
        "enrolment": enrolment,
        "participant": ids,
        "cohort": [f"Cohort {c + 1}" for c in cohort_of],
        "site": [f"site-{c % sites + 1}" for c in cohort_of],
        "format": [FORMATS[c % len(FORMATS)] for c in cohort_of],
        "diagnosis": [DIAGNOSES[k % len(DIAGNOSES)] for k in range(participants)],
    }
    rows = []
    severity = rng.normal(0.6, 0.15, participants).clip(0.05, 0.95)
    gain = rng.normal(0.12, 0.12, participants)
    for t, (timepoint, week) in enumerate(TIMEPOINTS):
        present = (last >= t) if t else np.ones(participants, dtype=bool)
        frame = pd.DataFrame(base).assign(timepoint=timepoint, week=week).loc[present]
        for instrument_id in instruments:
            inst = get_instrument(instrument_id)
            for scale in inst.scales:
                if len(inst.scales) > 1 and scale.id == "total" and instrument_id == "cpaq8":
                    continue
                span = scale.maximum - scale.minimum
                sign = -1.0 if scale.direction.value == "higher_worse" else 1.0
                level = severity if sign < 0 else 1 - severity
                value = level + sign * gain * min(t, 2) / 2 + rng.normal(0, 0.08, participants)
                scores = (scale.minimum + value.clip(0, 1) * span).round()
                frame[f"{instrument_id}_{scale.id}"] = scores[present]
        rows.append(frame)
    scores_frame = pd.concat(rows).sort_values(["cohort", "participant", "week"], kind="stable")
    checkins = []
    for week in range(1, weeks + 1):
        present = started & ((last >= 2) | (week <= 6)) & (rng.random(participants) < 0.8)
        frame = pd.DataFrame(base).assign(week=week).loc[present]
        n = int(present.sum())
        for scale in ("mood", "outlook", "acceptance", "comfort", "pain"):
            frame[f"checkin_{scale}"] = rng.integers(0, 11, n)
        frame["checkin_practice_minutes"] = rng.integers(0, 120, n)
        frame["practice_type"] = "breathing"
        checkins.append(frame)
    sessions = []
    for c in range(cohorts):
        members = int(sum(1 for k in cohort_of if k == c))
        for s in range(1, 13):
            sessions.append(
                {
                    "cohort": f"Cohort {c + 1}",
                    "session": s,
                    "date": f"2026-{1 + s % 12:02d}-{1 + c % 28:02d}",
                    "title": f"Session {s}",
                    "attended": int(rng.integers(0, members + 1)),
                    "enrolled": members,
                }
            )
    attended = np.where(started, rng.integers(1, 13, participants), 0)
    enrol = pd.DataFrame(
        {
            "enrolment": enrolment,
            "cohort": base["cohort"],
            "referred_on": "2026-01-05",
            "assessed_on": np.where(last >= 1, "2026-01-20", ""),
            "started_on": np.where(started, "2026-02-01", ""),
            "completed_on": np.where(completed, "2026-05-01", ""),
            "withdrawn_on": np.where(withdrew, "2026-03-01", ""),
            "withdrawal_reason": [
                REASONS[k % len(REASONS)] if w else "" for k, w in enumerate(withdrew)
            ],
            "sessions_attended": attended,
        }
    )
    return Synthetic(
        scores=scores_frame.reset_index(drop=True),
        checkins=pd.concat(checkins).reset_index(drop=True),
        sessions=pd.DataFrame(sessions),
        enrolments=enrol,
    )


THEME_CODES = {
    "Living with pain": ("limits", "loss"),
    "Belonging in the group": ("connection", "less alone"),
    "The inner critic": ("critic", "self-reassurance"),
    "New ways of coping": ("breathing", "pacing"),
    "Acceptance": ("accepting limits", "little change"),
}
_WORDS = (
    "pain", "group", "week", "breathing", "kind", "tired", "family", "work", "better", "worse",
    "session", "voice", "critic", "calm", "slow", "walk", "sleep", "friend", "home", "day",
)  # fmt: skip


def synthetic_project(participants: list[str], *, seed: int = 7, words: int = 1300) -> Any:
    """A coded qualitative project: one interview of about ``words`` words per participant
    (cases named by the participant), ten codes under five group themes, about 20 codings
    per interview, and a few passages cleared for sharing. Fictional text only."""
    from balm.qual import Case, Code, Coding, Project, Source, Theme, ThemeMember, User

    rng = np.random.default_rng(seed)
    project = Project("Synthetic interviews", users=[User("u1", "Coder")])
    members: dict[str, list[ThemeMember]] = {}
    for theme, codes in THEME_CODES.items():
        for name in codes:
            code_id = f"code:{name}"
            project.codes.append(Code(code_id, name))
            members.setdefault(theme, []).append(ThemeMember("code", code_id))
    project.codes.append(Code("code:cleared", "cleared for sharing"))
    code_ids = [c.id for c in project.codes if c.id != "code:cleared"]
    n = 0
    for participant in participants:
        sentences = []
        while sum(len(s.split()) for s in sentences) < words:
            length = int(rng.integers(8, 30))
            sentences.append(" ".join(rng.choice(_WORDS, length)).capitalize() + ".")
        text = " ".join(sentences)
        case_id, source_id = f"case:{participant}", f"source:{participant}"
        project.cases.append(Case(case_id, participant))
        project.sources.append(
            Source(source_id, f"interview {participant}", text, "interview", case_id)
        )
        starts = np.cumsum([0] + [len(s) + 1 for s in sentences[:-1]])
        for k in rng.choice(len(sentences), size=min(20, len(sentences)), replace=False):
            start = int(starts[k])
            end = start + len(sentences[k])
            n += 1
            project.codings.append(
                Coding(f"coding:{n}", source_id, start, end, str(rng.choice(code_ids)), "u1")
            )
            if rng.random() < 0.3:
                n += 1
                project.codings.append(
                    Coding(f"coding:{n}", source_id, start, end, "code:cleared", "u1")
                )
    for k, (theme, theme_members) in enumerate(members.items()):
        speaks = "Speaks to: phq9_total, pcs_total" if k % 2 else "Speaks to: gad7_total (worse)"
        project.themes.append(
            Theme(f"theme:{k}", theme, "group", description=speaks, members=tuple(theme_members))
        )
    return project
