"""Sections 6-13 by hand: Talking Therapies, IMMPACT, check-in growth, completers and dose,
comparisons, themes, the four joint displays, shareable mode and provenance.

Eight fictional courses E1..E8 (two sites), PHQ-9, GAD-7 and pain NRS at baseline, mid and
end. Expected values are worked out in the comments from the published definitions; the
change categories and growth models are also checked against balm.change called directly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pytest

from balm.change import analyse_change
from balm.change.mixed import fit_growth_model
from balm.qual import Case, Code, Coding, Project, Source, Theme, ThemeMember, User, write_qdpx
from balm.qual.integration import set_meta_inference, set_speaks_to
from balm.report import ReportOptions, build_report, read_inputs, to_dict, to_html, to_json
from balm.report.model import Report
from balm.report.render import scoped_ids

#            PHQ-9 pre, post   GAD-7 pre, post   NRS pre, post  site
PEOPLE = {
    "E1": ("Aspen", 25, 3, 18, 2, 8, 4, "North"),
    "E2": ("Birch", 24, 24, 15, 15, 6, 5, "North"),
    "E3": ("Cedar", 26, 25, 10, 16, 5, 4, "North"),
    "E4": ("Dale", 4, 26, 3, 3, 4, 5, "North"),
    "E5": ("Elm", 27, 2, 20, 1, 10, 7, "South"),
    "E6": ("Fir", 20, 20, 9, 6, 0, 0, "South"),
    "E7": ("Gorse", 22, 5, 12, 9, 7, 7, "South"),
    "E8": ("Hazel", 21, 21, 8, 7, 9, 8, "South"),
}


def _scores() -> pd.DataFrame:
    rows = []
    for enrolment, (name, d0, d1, a0, a1, p0, p1, site) in PEOPLE.items():
        for timepoint, week, d, a, p in (
            ("baseline", 0, d0, a0, p0),
            ("mid", 6, round((d0 + d1) / 2), round((a0 + a1) / 2), round((p0 + p1) / 2)),
            ("end", 12, d1, a1, p1),
        ):
            rows.append(
                {
                    "enrolment": enrolment,
                    "participant": name,
                    "cohort": f"{site} group",
                    "site": site,
                    "format": "in_person",
                    "diagnosis": "other",
                    "timepoint": timepoint,
                    "week": week,
                    "phq9_total": d,
                    "gad7_total": a,
                    "nrs_total": p,
                }
            )
    return pd.DataFrame(rows)


def _checkins() -> pd.DataFrame:
    rows = []
    for k, enrolment in enumerate(PEOPLE):
        for week in range(1, 7):
            # Mood rises by 0.5 a week from a personal start; pain falls by 0.25 a week.
            rows.append(
                {
                    "enrolment": enrolment,
                    "week": week,
                    "checkin_mood": 2 + k % 3 + 0.5 * week + (0.5 if week % 2 else 0.0),
                    "checkin_pain": 8 - k % 2 - 0.25 * week + (0.25 if week % 3 == 0 else 0.0),
                    "checkin_practice_minutes": 10 * week,
                }
            )
    return pd.DataFrame(rows)


def _enrolments() -> pd.DataFrame:
    rows = []
    for k, enrolment in enumerate(PEOPLE):
        done = k < 4  # E1..E4 completed; E5..E8 withdrew after starting
        rows.append(
            {
                "enrolment": enrolment,
                "referred_on": "2026-01-05",
                "assessed_on": "2026-01-12",
                "started_on": "2026-01-19",
                "completed_on": "2026-04-13" if done else "",
                "withdrawn_on": "" if done else "2026-03-02",
                "withdrawal_reason": "" if done else "work",
                "sessions_attended": [12, 10, 8, 11, 4, 3, 7, 2][k],
            }
        )
    return pd.DataFrame(rows)


ASPEN_BETTER = "I cope better now, I breathe through it."
ASPEN_WORSE = "Some days are still awful."
BIRCH_BETTER = "I manage the bad days better than before."
CEDAR_WORSE = "Nothing has really shifted for me."
DALE_BETTER = "The group helped me cope."


def _project() -> Project:
    """Four interviewed cases (Aspen, Birch, Cedar, Dale): Elm..Hazel were not interviewed.

    Theme "Coping better" (speaks to PHQ-9 for the better): Aspen, Birch, Dale.
    Theme "Still struggling" (speaks to PHQ-9, worse): Aspen, Cedar.
    Only Aspen's "coping better" passage is cleared for sharing.
    """
    texts = {
        "Aspen": f"{ASPEN_BETTER} {ASPEN_WORSE}",
        "Birch": BIRCH_BETTER,
        "Cedar": CEDAR_WORSE,
        "Dale": DALE_BETTER,
    }
    project = Project("Hand-worked", users=[User("u1", "Researcher")])
    project.codes = [
        Code("c-better", "coping better"),
        Code("c-worse", "still struggling"),
        Code("c-clear", "Cleared for sharing"),
    ]
    for name, text in texts.items():
        project.cases.append(Case(f"case-{name}", name))
        project.sources.append(
            Source(f"s-{name}", f"interview_{name.lower()}", text, "interview", f"case-{name}")
        )

    def code(name: str, passage: str, code_id: str, n: int) -> None:
        start = texts[name].index(passage)
        project.codings.append(
            Coding(f"k{n}", f"s-{name}", start, start + len(passage), code_id, "u1")
        )

    code("Aspen", ASPEN_BETTER, "c-better", 1)
    code("Aspen", ASPEN_WORSE, "c-worse", 2)
    code("Birch", BIRCH_BETTER, "c-better", 3)
    code("Cedar", CEDAR_WORSE, "c-worse", 4)
    code("Dale", DALE_BETTER, "c-better", 5)
    code("Aspen", ASPEN_BETTER, "c-clear", 6)
    project.themes = [
        Theme("t-better", "Coping better", "group", members=(ThemeMember("code", "c-better"),)),
        Theme("t-worse", "Still struggling", "group", members=(ThemeMember("code", "c-worse"),)),
    ]
    set_speaks_to(project, "t-better", ("phq9_total",))
    set_speaks_to(project, "t-worse", ("phq9_total (worse)",))
    set_meta_inference(
        project,
        case="Birch",
        outcome="phq9_total",
        inference="complement",
        interpretation="He copes better with the same mood: acceptance, not relief.",
    )
    return project


def _files(folder: Path) -> dict[str, Path]:
    paths = {
        "scores": folder / "scores.csv",
        "checkins": folder / "checkins.csv",
        "enrolments": folder / "enrolments.csv",
        "sessions": folder / "sessions.csv",
        "qual": folder / "project.qdpx",
    }
    _scores().to_csv(paths["scores"], index=False)
    _checkins().to_csv(paths["checkins"], index=False)
    _enrolments().to_csv(paths["enrolments"], index=False)
    pd.DataFrame(
        [
            {"cohort": "North group", "session": 1, "date": "2026-01-19", "title": "Welcome",
             "attended": 4, "enrolled": 4, "feedback": "Warm start.", "reflections": ""},
            {"cohort": "South group", "session": 1, "date": "2026-01-19", "title": "Welcome",
             "attended": 3, "enrolled": 4, "feedback": "", "reflections": "Quiet room."},
        ]
    ).to_csv(paths["sessions"], index=False)  # fmt: skip
    write_qdpx(_project(), paths["qual"])
    return paths


def _build(
    paths: dict[str, Path], options: ReportOptions, *, figures_on: bool | Literal["listed"] = False
) -> Report:
    inputs = read_inputs(
        paths["scores"],
        options,
        checkins=paths["checkins"],
        sessions=paths["sessions"],
        enrolments=paths["enrolments"],
        qual=paths["qual"],
    )
    return build_report(inputs, options, figures_on=figures_on)


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _files(tmp_path_factory.mktemp("joint"))


@pytest.fixture(scope="module")
def report(paths: dict[str, Path]) -> Report:
    return _build(paths, ReportOptions())


def _rows(report: Report, key: str) -> list[dict[str, object]]:
    table = report.table(key)
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def test_phq9_categories_are_balm_changes(report: Report) -> None:
    """The hand reasoning below rests on these categories; balm change gives them.

    E1 25->3 and E5 27->2 fall far more than the RCI and end below the cut-off (recovered);
    E2, E3, E6, E8 move 0-1 points (unchanged); E4 4->26 rises past the cut-off (harmed).
    """
    result = analyse_change(
        _scores(), id="enrolment", time="timepoint", outcome="phq9_total", pre="baseline",
        post="end", instrument="phq9", scale="total",
    )  # fmt: skip
    direct = {str(k): str(v) for k, v in result.participants["category"].items()}
    phq9 = next(o for o in report.outcomes if o.column == "phq9_total")
    assert phq9.by_person == direct
    assert direct["E1"] == direct["E5"] == "recovered"
    assert {direct[e] for e in ("E2", "E3", "E6", "E8")} == {"unchanged"}
    assert direct["E4"] == "harmed"


def test_talking_therapies_by_hand(report: Report) -> None:
    """NHS Talking Therapies: caseness PHQ-9 >= 10 or GAD-7 >= 8; reliable change 6 / 4.

    E1, E5: both fall reliably, leave caseness -> reliable recovery (2).
    E7: PHQ-9 -17 reliable, GAD-7 -3 not; still a case (GAD-7 9) -> reliable improvement (1).
    E3: GAD-7 +6 reliable, PHQ-9 -1 not; E4: PHQ-9 +22 -> reliable deterioration (2).
    E2, E6 (GAD-7 -3), E8 -> no reliable change (3). Recovery alone: 0.
    Cases at baseline: all but E4 (4 and 3) = 7. Rates: recovery 2/7, reliable improvement
    3/8 (E1, E5, E7), deterioration 2/8.
    """
    rows = {r["category"]: r for r in _rows(report, "talking_therapies")}
    names = ("reliable_recovery", "reliable_improvement", "recovery", "no_reliable_change",
             "reliable_deterioration")  # fmt: skip
    counts = {c: rows[c]["n"] for c in names}
    assert counts == {
        "reliable_recovery": 2,
        "reliable_improvement": 1,
        "recovery": 0,
        "no_reliable_change": 3,
        "reliable_deterioration": 2,
    }
    assert rows["above caseness at baseline"]["n"] == 7
    assert rows["recovery rate"]["rate %"] == pytest.approx(100 * 2 / 7)
    assert rows["reliable improvement rate"]["rate %"] == pytest.approx(100 * 3 / 8)
    assert rows["reliable deterioration rate"]["rate %"] == pytest.approx(100 * 2 / 8)
    phq9 = next(o for o in report.outcomes if o.column == "phq9_total")
    assert phq9.clinical_approaches["talking_therapies"]["categories"] == counts


def test_immpact_by_hand(report: Report) -> None:
    """IMMPACT pain intensity (Dworkin et al. 2008): decrease as a share of baseline.

    E1 8->4 50% substantial; E5 10->7 30% moderate; E2 6->5 17%, E3 5->4 20%, E8 9->8 11%
    minimal; E7 7->7 not important; E4 4->5 increased; E6 0->0 left out (zero baseline).
    """
    (row,) = _rows(report, "immpact")
    assert row["domain"] and row["n"] == 7 and row["zero baseline (left out)"] == 1
    assert (row["substantial"], row["moderate"], row["minimal"]) == (1, 1, 3)
    assert (row["not_important"], row["increased"]) == (1, 1)


def test_checkin_growth_is_balm_change_mixed(report: Report) -> None:
    rows = {r["rating"]: r for r in _rows(report, "checkin_growth")}
    assert set(rows) == {"mood", "pain"}
    for rating in ("mood", "pain"):
        fit = fit_growth_model(
            _checkins(), id="enrolment", time="week", outcome=f"checkin_{rating}"
        )
        assert rows[rating]["slope"] == pytest.approx(fit.fixed_effects.loc["week", "estimate"])
        assert rows[rating]["people"] == 8 and rows[rating]["observations"] == 48
    # Mood rises by about 0.5 a week by construction; pain falls by about 0.25.
    assert rows["mood"]["slope"] == pytest.approx(0.5, abs=0.1)
    assert rows["pain"]["slope"] == pytest.approx(-0.25, abs=0.1)


def test_completers_and_dose_by_hand(report: Report) -> None:
    """PHQ-9 changes: E1 -22, E2 0, E3 -1, E4 +22 (completers, mean -1/4); E5 -25, E6 0,
    E7 -17, E8 0: everyone who started (all 8) mean -43/8."""
    rows = {(r["score"], r["who"]): r for r in _rows(report, "completers")}
    assert rows[("phq9_total", "completers")]["n (both)"] == 4
    assert rows[("phq9_total", "completers")]["change"] == pytest.approx(-0.25)
    assert rows[("phq9_total", "everyone who started")]["change"] == pytest.approx(-43 / 8)
    dose = {r["score"]: r for r in _rows(report, "dose")}["phq9_total"]
    sessions = np.array([12, 10, 8, 11, 4, 3, 7, 2], dtype=float)
    change = np.array([-22, 0, -1, 22, -25, 0, -17, 0], dtype=float)
    assert dose["r"] == pytest.approx(np.corrcoef(sessions, change)[0, 1])
    # Below 6 sessions: E5, E6, E8 (-25, 0, 0); 6 or more: the other five (-18 / 5).
    assert dose["n below 6"] == 3 and dose["change below 6"] == pytest.approx(-25 / 3)
    assert dose["change 6+"] == pytest.approx(-18 / 5)


def test_comparisons_are_the_growth_model_by_site(report: Report) -> None:
    rows = [
        r
        for r in _rows(report, "comparisons")
        if r["score"] == "phq9_total" and r["grouping"] == "site"
    ]
    fit = fit_growth_model(
        _scores(), id="enrolment", time="week", outcome="phq9_total", by=("site",)
    )
    assert [r["level"] for r in rows] == ["North", "South"]
    # Each cohort here is one site, so cohorts are not compared a second time.
    assert {r["grouping"] for r in _rows(report, "comparisons")} == {"site"}
    assert "each cohort is one site: compared by site only" in report.notes
    assert rows[0]["slope"] == pytest.approx(fit.fixed_effects.loc["week", "estimate"])
    assert rows[1]["slope"] == pytest.approx(fit.fixed_effects.loc["week:site[South]", "estimate"])
    assert rows[1]["slope CI low"] == pytest.approx(
        fit.fixed_effects.loc["week:site[South]", "ci_low"]
    )


def test_themes_and_joint_displays_by_hand(report: Report) -> None:
    themes = {r["theme"]: r for r in _rows(report, "themes")}
    assert (themes["Coping better"]["participants"], themes["Coping better"]["of"]) == (3, 4)
    assert themes["Still struggling"]["participants"] == 2
    table = _rows(report, "jd_presence")
    # Rows: the interviewed per score (gad7_total, phq9_total), then theme x score.
    assert [(r["theme"], r["score"]) for r in table] == [
        ("Interviewed participants", "gad7_total"),
        ("Interviewed participants", "phq9_total"),
        ("Coping better", "phq9_total"),
        ("Still struggling", "phq9_total"),
    ]
    presence = table[1:]
    # Interviewed: Aspen recovered, Birch and Cedar unchanged, Dale harmed.
    assert [presence[0][c] for c in ("recovered", "improved", "unchanged", "deteriorated",
                                     "harmed")] == [1, 0, 2, 0, 1]  # fmt: skip
    better = presence[1]
    assert better["theme"] == "Coping better"
    assert (better["recovered"], better["unchanged"], better["harmed"]) == (1, 1, 1)
    worse = presence[2]
    assert (worse["recovered"], worse["unchanged"], worse["harmed"]) == (1, 1, 0)
    # Behind "Coping better" x recovered: Aspen (E1) and her exemplar quote.
    behind = report.behind("jd:jd_presence:2:2")
    assert behind is not None and behind.enrolments == ("E1",)
    assert [q.text for q in behind.quotes] == [ASPEN_BETTER]
    assert report.behind("jd:jd_presence:2:3") is None  # nobody improved
    # Statistics by themes: "Coping better" voiced by 3, all with a category, 1 improved.
    stats = _rows(report, "jd_statistics")[0]
    assert (stats["voicing the theme"], stats["voicing, improved reliably"]) == (3, 1)
    voicing = report.behind("jd:jd_statistics:0:7")
    assert voicing is not None and voicing.enrolments == ("E1", "E2", "E4")
    cases = {r["participant"]: r for r in _rows(report, "jd_cases")}
    assert cases["Dale"]["phq9_total"] == "harmed"
    assert cases["Cedar"]["themes"] == "Still struggling"
    # Discordant: Aspen (struggling yet recovered), Birch (copes, unchanged), Dale (copes,
    # harmed); Cedar's words and scores agree.
    discordant = {r["participant"]: r for r in _rows(report, "jd_discordant")}
    assert set(discordant) == {"Aspen", "Birch", "Dale"}
    assert discordant["Aspen"]["themes"] == "Still struggling"
    assert discordant["Aspen"]["quote"] == ASPEN_WORSE
    assert discordant["Birch"]["meta-inference"] == "complement"
    assert discordant["Birch"]["interpretation"].startswith("He copes better")
    assert discordant["Dale"]["meta-inference"] == "not recorded"
    assert (
        "For 3 interviewed participants, words and scores disagree on at least one score or a "
        "meta-inference was recorded; the researcher's meta-inference is recorded for 1 of the "
        "3 rows of the discordant cases."
    ) in report.summary


def test_facilitator_feedback_and_provenance(report: Report, paths: dict[str, Path]) -> None:
    import hashlib

    feedback = _rows(report, "feedback")
    assert [(r["cohort"], r["feedback"], r["reflections"]) for r in feedback] == [
        ("North group", "Warm start.", ""),
        ("South group", "", "Quiet room."),
    ]
    assert report.input_sha256["qual"] == hashlib.sha256(paths["qual"].read_bytes()).hexdigest()
    methods = {r["parameter"]: r for r in _rows(report, "methods")}
    assert methods["k (attended at least k sessions)"]["value"] == 6
    assert "numpy" in report.versions and report.versions["balm"] == report.balm_version


def test_json_and_html_agree_and_are_deterministic(paths: dict[str, Path]) -> None:
    first, second = _build(paths, ReportOptions()), _build(paths, ReportOptions())
    assert to_html(first) == to_html(second)
    data = json.loads(to_json(first))
    assert data["joint_display"]["cases"][0] == {"case": "Aspen", "enrolment": "E1"}
    assert [t["name"] for t in data["themes"]] == ["Coping better", "Still struggling"]
    assert data["themes"][0]["quote_cases"] == ["Aspen", "Birch", "Dale"]
    assert data["themes"][0]["quotes"] == [ASPEN_BETTER, BIRCH_BETTER, DALE_BETTER]
    html = to_html(first)
    for quote in (ASPEN_BETTER, BIRCH_BETTER, "He copes better with the same mood"):
        assert quote in html


def test_shareable_suppresses_small_counts_and_uncleared_quotes(paths: dict[str, Path]) -> None:
    shared = _build(paths, ReportOptions(shareable=True))
    html = to_html(shared)
    # Only Aspen's cleared passage may appear; every other quote is left out.
    assert ASPEN_BETTER in html
    for quote in (ASPEN_WORSE, BIRCH_BETTER, CEDAR_WORSE, DALE_BETTER, "Warm start."):
        assert quote not in html
    data = to_dict(shared)
    assert data["flow"]["referred"] == 8  # 8 is not small
    assert data["flow"]["withdrawn"] == "<5"
    assert data["outcomes"]["phq9_total"]["categories"]["harmed"] == "<5"
    assert data["outcomes"]["phq9_total"]["categories"]["improved"] == 0  # zero is shown
    presence = shared.table("jd_presence").rows[1]
    assert presence[2:] == ("<5", 0, "<5", 0, "<5")

    def walk(value: object, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k != "tables":
                    walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key in ("n", "referred", "completed", "withdrawn", "recovered", "harmed"):
            assert not (isinstance(value, int) and 0 < value < 5), (key, value)

    walk(data)
    assert "4 withdrew" not in " ".join(shared.summary)
    assert "&lt;5 withdrew" in html
    # The flow diagram: 4 withdrew, drawn as <5 (escaped in the SVG text).
    from balm.report.figures import flow_diagram

    assert "n = &lt;5" in flow_diagram(shared.flow, shareable=True)
    assert "n = 4" in flow_diagram(shared.flow) and "n = 4" not in flow_diagram(
        shared.flow, shareable=True
    )


def test_every_html_table_holds_the_json_values_with_links(report: Report) -> None:
    """The HTML (with joint-display numbers as links) shows every JSON table cell."""
    from tests.report.test_report_render import _html_tables, _number

    from balm.report.render import digits_for

    data = json.loads(json.dumps(to_dict(report)))
    html = _html_tables(to_html(report, link=lambda key: f"/behind/{key}"))
    assert {k.removeprefix("table-") for k in html} == set(data["tables"])
    assert {"jd_statistics", "jd_presence", "jd_cases", "jd_discordant"} <= set(data["tables"])
    for key, table in data["tables"].items():
        body = html[f"table-{key}"][1:]
        if not table["rows"]:
            continue
        for shown, values in zip(body, table["rows"], strict=True):
            for column, text, value in zip(table["columns"], shown, values, strict=True):
                if value is None or isinstance(value, str):
                    assert text == ("—" if value is None else value), (key, column)
                elif isinstance(value, int):
                    assert text == str(value), (key, column)
                else:
                    tolerance = 0.5 * 10 ** -digits_for(column) + 1e-9
                    assert abs(_number(text) - value) <= tolerance, (key, column)  # type: ignore[operator]


@pytest.mark.parametrize("shareable", [False, True])
def test_listed_figures_are_the_drawn_reports_without_their_drawings(
    paths: dict[str, Path], shareable: bool
) -> None:
    """``figures_on="listed"`` (the web page's first view) holds every number, table and
    figure caption of the drawn report, in the same order, with each figure's ``svg`` None;
    a shareable report lists no Jacobson plot (its points are people), as it draws none."""
    options = ReportOptions(shareable=shareable)
    drawn = _build(paths, options, figures_on=True)
    listed = _build(paths, options, figures_on="listed")
    assert to_json(listed) == to_json(drawn)
    assert listed.tables == drawn.tables
    assert [(f.key, f.alt, f.table_key) for f in listed.figures] == [
        (f.key, f.alt, f.table_key) for f in drawn.figures
    ]
    assert all(f.svg is None for f in listed.figures)
    assert all(f.svg and f.svg.startswith("<") for f in drawn.figures)
    jacobson = {f.key for f in listed.figures if f.key.startswith("jacobson_")}
    # PHQ-9 and GAD-7 have published reliabilities and cut-offs; the pain NRS has none, so
    # no change categories and no plot
    assert jacobson == (set() if shareable else {"jacobson_phq9_total", "jacobson_gad7_total"})
    html = to_html(listed)
    assert "<svg" not in html
    assert html.count('class="figure-listed"') == len(listed.figures)


def test_scoped_ids_rename_definitions_and_references() -> None:
    """Hand-made SVG: every id and every reference to it gain the prefix."""
    svg = (
        '<svg><defs><path id="m1" d="M 0 0"/><clipPath id="p2"><rect/></clipPath></defs>'
        '<g id="patch_1" clip-path="url(#p2)"><use xlink:href="#m1"/><use href="#m1"/>'
        '<text>m1</text></g><g id="patch_10"/></svg>'
    )
    assert scoped_ids(svg, "flow") == (
        '<svg><defs><path id="flow-m1" d="M 0 0"/><clipPath id="flow-p2"><rect/></clipPath>'
        '</defs><g id="flow-patch_1" clip-path="url(#flow-p2)"><use xlink:href="#flow-m1"/>'
        '<use href="#flow-m1"/><text>m1</text></g><g id="flow-patch_10"/></svg>'
    )


def test_html_ids_are_unique_with_every_figure_drawn(paths: dict[str, Path]) -> None:
    """An id is unique in an HTML document (HTML Living Standard, "The id attribute"), and
    every ``url(#...)`` and ``href="#..."`` in the report points at one that exists."""
    html = to_html(_build(paths, ReportOptions(), figures_on=True))
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert html.count("<svg") >= 5
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    references = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', html))
    assert {a or b for a, b in references} <= set(ids)
