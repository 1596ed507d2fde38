"""Enrolment flow per cohort, computed from the status history (never stored).

The counts are "how many enrolments ever reached this step", as a CONSORT-style flow
diagram shows them, plus withdrawals split by whether the person had started, and the
withdrawal reasons. Rates are computed from the counts at the point of use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

ORDER = ("referred", "assessed", "started", "completed")


@dataclass(frozen=True)
class FlowCounts:
    referred: int = 0
    assessed: int = 0
    started: int = 0
    completed: int = 0
    withdrawn: int = 0
    withdrawn_before_start: int = 0
    withdrawn_after_start: int = 0
    in_progress: int = 0  # started, neither completed nor withdrawn
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def dropout_rate(self) -> Fraction | None:
        """Withdrawn after starting / started (Malpus et al. 2023: 45/162); None if none started."""
        if self.started == 0:
            return None
        return Fraction(self.withdrawn_after_start, self.started)


def flow_counts(histories: Iterable[Sequence[tuple[str, str]]]) -> FlowCounts:
    """Counts from each enrolment's history, a sequence of ``(status, reason)`` in order. Pure.

    An enrolment counts at every step up to the furthest it reached, so a completed enrolment
    also counts as referred, assessed and started even if a step was not recorded.
    """
    reached: Counter[str] = Counter()
    withdrawn = before = after = in_progress = 0
    reasons: Counter[str] = Counter()
    for history in histories:
        statuses = [status for status, _ in history]
        furthest = max((ORDER.index(s) for s in statuses if s in ORDER), default=-1)
        for step in ORDER[: furthest + 1]:
            reached[step] += 1
        if "withdrawn" in statuses:
            withdrawn += 1
            if furthest >= ORDER.index("started"):
                after += 1
            else:
                before += 1
            reason = next(r for s, r in reversed(history) if s == "withdrawn")
            reasons[reason.strip() or "no reason recorded"] += 1
        elif furthest == ORDER.index("started"):
            in_progress += 1
    return FlowCounts(
        referred=reached["referred"],
        assessed=reached["assessed"],
        started=reached["started"],
        completed=reached["completed"],
        withdrawn=withdrawn,
        withdrawn_before_start=before,
        withdrawn_after_start=after,
        in_progress=in_progress,
        reasons=dict(sorted(reasons.items())),
    )


def enrolment_flow(cohort: object) -> FlowCounts:
    """Flow counts for one cohort from its enrolments' histories (two queries)."""
    from balm.programmes.models import EnrolmentStatusChange

    histories: dict[int, list[tuple[str, str]]] = {}
    rows = EnrolmentStatusChange.objects.filter(enrolment__cohort=cohort).order_by(
        "enrolment_id", "on", "recorded_at", "id"
    )
    for enrolment_id, status, reason in rows.values_list("enrolment_id", "status", "reason"):
        histories.setdefault(enrolment_id, []).append((status, reason))
    return flow_counts(histories.values())
