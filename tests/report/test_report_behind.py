"""The contract the web app's Evaluation page relies on: ``Report.behind(key)`` and the
numbers of a joint display rendered as links when (and only when) a ``link`` is given."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tests.support.report_data import synthetic

from balm.report import ReportOptions, build_report, read_inputs, to_html
from balm.report.model import Behind, QuoteRef, Report, Table, behind_key


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("behind")
    files = synthetic(participants=30, cohorts=2, sites=1, instruments=("phq9",)).write(folder)
    options = ReportOptions()
    inputs = read_inputs(files["scores"], options, sessions=files["sessions"])
    return build_report(inputs, options, figures_on=False)


def test_behind_keys_link_only_the_cells_with_people_behind(report: Report) -> None:
    table = Table("jd_test", "A joint display", ("theme", "recovered", "improved"), (("T1", 2, 0),))
    quote = QuoteRef("interview_aspen", "Aspen", 3, 9, "quoted")
    behind = {behind_key("jd_test", 0, 1): Behind(("E1", "E2"), (quote,))}
    linked = replace(
        report, tables=(*report.tables, table), behind_index=behind, qualitative_given=True
    )
    assert linked.behind("jd:jd_test:0:1") == Behind(("E1", "E2"), (quote,))
    assert linked.behind("jd:jd_test:0:2") is None
    html = to_html(linked, link=lambda key: f"/behind?key={key}")
    assert '<a href="/behind?key=jd:jd_test:0:1">2</a>' in html
    assert html.count('<a href="/behind') == 1
    # Without a link, the output is the plain report, and a link never changes other bytes.
    plain = to_html(linked)
    assert "/behind" not in plain
    assert html.replace('<a href="/behind?key=jd:jd_test:0:1">2</a>', "2") == plain


def test_link_is_escaped(report: Report) -> None:
    table = Table("jd_test", "A joint display", ("theme", "n"), (("T1", 1),))
    linked = replace(
        report,
        tables=(*report.tables, table),
        behind_index={behind_key("jd_test", 0, 1): Behind(("E1",), ())},
        qualitative_given=True,
    )
    html = to_html(linked, link=lambda key: f'/x?a=1&b="{key}"')
    assert '<a href="/x?a=1&amp;b=&#34;jd:jd_test:0:1&#34;">1</a>' in html


def test_sessions_file_may_carry_feedback_and_reflections(tmp_path: Path) -> None:
    data = synthetic(participants=20, cohorts=2, sites=1, instruments=("phq9",))
    sessions = data.sessions.assign(feedback="", reflections="")
    sessions.loc[0, "feedback"] = "Quiet group; breathing went well."
    files = replace(data, sessions=sessions).write(tmp_path)
    options = ReportOptions()
    inputs = read_inputs(files["scores"], options, sessions=files["sessions"])
    assert inputs.sessions is not None
    assert list(inputs.sessions.columns)[-2:] == ["feedback", "reflections"]
