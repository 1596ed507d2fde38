"""The summary in plain words for a service lead, and what the evidence can and cannot say."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from balm.report.model import OutcomeReport, Report
from balm.report.shareable import count_text, small

Count = Callable[[int | None], str]

#: Below this many people with both scores, the summary warns that the numbers are fragile.
SMALL_N = 30


def _one(value: float | None, digits: int = 1) -> str:
    return "not known" if value is None else f"{value:.{digits}f}"


def _pct(part: int, whole: int, shareable: bool = False) -> str:
    if shareable and small(part):
        return "share not shown"
    return f"{round(100.0 * part / whole)}%" if whole else "—"


def _interval(low: float, high: float) -> str:
    """The 95% CI of a change (post - pre) in words: falls and rises, not signs."""

    def side(value: float) -> str:
        return f"a fall of {_one(-value)}" if value < 0 else f"a rise of {_one(value)}"

    if low < 0 < high:
        return (
            f"95% confidence interval from {side(low)} to {side(high)} points, so the data are "
            "also consistent with no change"
        )
    if high <= 0:
        return f"95% confidence interval: a fall of {_one(-high)} to {_one(-low)} points"
    return f"95% confidence interval: a rise of {_one(low)} to {_one(high)} points"


def _outcome_sentence(o: OutcomeReport, pre: str, post: str, shareable: bool = False) -> str:
    def n(value: int | None) -> str:
        return count_text(value, shareable)

    if o.n == 0:
        return f"{o.label}: nobody had a score at both {pre} and {post}."
    if o.change_mean is None:
        return f"{o.label}: {n(o.n)} people had scores at both {pre} and {post}."
    direction = "fell" if o.change_mean < 0 else "rose" if o.change_mean > 0 else "did not move"
    words = (
        f"{o.label} ({o.better} is better): {n(o.n)} people had scores at both {pre} and {post}. "
        f"Their average went from {_one(o.paired_pre.mean)} to {_one(o.paired_post.mean)}; it "
        f"{direction} by {_one(abs(o.change_mean))} points"
    )
    low, high = o.change_ci_low, o.change_ci_high
    if low is not None and high is not None:
        words += f" ({_interval(low, high)})"
        clear = high < 0 or low > 0
        better = (o.change_mean < 0) == (o.better == "lower") and o.change_mean != 0
        if clear:
            words += ", in the better direction." if better else ", in the worse direction."
        else:
            words += "."
    else:
        words += "."
    if o.categories is not None:
        c = o.categories
        improved = c["recovered"] + c["improved"]
        worse = c["deteriorated"] + c["harmed"]
        words += (
            f" {n(improved)} of {n(o.n)} ({_pct(improved, o.n, shareable)}) improved reliably "
            f"(by more than the questionnaire's measurement error), {n(c['recovered'])} of them "
            f"also past the cut-off score (recovered); {n(worse)} "
            f"({_pct(worse, o.n, shareable)}) got reliably worse."
        )
    return words


def with_words(report: Report) -> Report:
    """The report with its summary sentences and limitations written from its numbers."""
    flow = report.flow
    pre, post = report.pre_label, report.post_label
    shareable = report.shareable

    def n(value: int | None) -> str:
        return count_text(value, shareable)

    summary: list[str] = []
    if flow.started is not None:
        summary.append(
            f"{n(flow.referred)} people were referred, {n(flow.started)} started a group and "
            f"{n(flow.completed)} completed it; {n(flow.withdrawn)} withdrew."
        )
    summary.append(
        f"The scores file holds {n(flow.in_scores)} courses of treatment: "
        f"{n(flow.with_baseline)} with a score at {pre} and {n(flow.with_post)} at {post}."
    )
    if report.attendance.rate is not None:
        summary.append(
            f"On average {round(100 * report.attendance.rate)}% of the people enrolled came to "
            f"each of the {report.attendance.sessions} sessions held."
        )
    summary.extend(_outcome_sentence(o, pre, post, shareable) for o in report.outcomes)
    if report.qualitative_given:
        cases = report.joint_display.get("cases", [])
        summary.append(
            f"The qualitative project holds {n(len(cases))} interviewed participants and "
            f"{len(report.themes)} group themes; the joint displays set each theme beside the "
            "scores it speaks to, and list the people whose words and scores disagree."
        )
        discordant = next((t for t in report.tables if t.key == "jd_discordant"), None)
        if discordant is not None and discordant.rows:
            people = len({row[0] for row in discordant.rows})
            recorded = sum(1 for row in discordant.rows if row[5] != "not recorded")
            summary.append(
                f"For {n(people)} interviewed participants, words and scores disagree on at "
                f"least one score or a meta-inference was recorded; the researcher's "
                f"meta-inference is recorded for {n(recorded)} of the {n(len(discordant.rows))} "
                "rows of the discordant cases."
            )

    limits = [
        "There is no control group: the changes describe the people who took part, not what "
        "the groups caused. Scores can improve with time, with other care, or because people "
        "often join when they feel worst (regression to the mean).",
    ]
    smallest = min((o.n for o in report.outcomes), default=0)
    if smallest < SMALL_N:
        limits.append(
            f"Some results rest on few people (as few as {n(smallest)} with both scores); "
            "their confidence intervals are wide and one or two people can change a percentage "
            "a lot."
        )
    if flow.in_scores and flow.with_post < flow.in_scores:
        missing = flow.in_scores - flow.with_post
        limits.append(
            f"{n(missing)} of {n(flow.in_scores)} courses "
            f"({_pct(missing, flow.in_scores, shareable)}) have no "
            f"score at {post}. The change figures use only people with both scores; if those "
            "who left or did not answer fared worse, the figures look better than the truth. "
            "The growth model uses every score anyone gave, so it is less affected when the "
            "missing scores can be predicted from the scores given (missing at random)."
        )
    for item in flow.missing:
        limits.append(f"Not known from the inputs given: {item}.")
    no_categories = [o.label for o in report.outcomes if o.categories is None]
    if no_categories:
        limits.append(
            "Reliable change cannot be judged for "
            + ", ".join(no_categories)
            + ": the catalogue has no reliability (or other number needed) for them."
        )
    return replace(report, summary=tuple(summary), limitations=tuple(limits))
