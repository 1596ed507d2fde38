"""The report's formats agree: HTML tables hold the JSON's numbers, the same input gives the
same HTML bytes, the PDF holds every section, the XLSX reads back in pandas."""

from __future__ import annotations

import io
import json
import math
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.support.report_data import synthetic
from typer.testing import CliRunner

from balm.cli import app
from balm.report import ReportOptions, build_report, read_inputs, to_dict, to_html, to_xlsx
from balm.report.render import digits_for

# One worker takes the whole module, so the report and its pages are built once: with tests
# handed out one at a time, each worker built them again (four builds, about 20 s more).
pytestmark = pytest.mark.xdist_group("report_render")

SECTIONS = (
    "1. Summary",
    "2. Participant flow",
    "3. Attendance and engagement",
    "4. Data completeness",
    "5. Baseline profile",
    "6. Outcomes",
    "7. The weekly check-ins",
    "8. Completers and everyone",
    "9. Comparisons",
    "10. Facilitator feedback",
    "11. Themes",
    "12. Triangulation (joint displays)",
    "13. Methods and provenance",
)


class _Tables(HTMLParser):
    """Every <table id=...> of a page as a list of rows of cell text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs)["id"]
            assert self._table is not None
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _html_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("report")
    data = synthetic(participants=60, cohorts=4, sites=2, instruments=("phq9", "gad7", "pcs"))
    # A withdrawal reason and a cohort name a spreadsheet would run as formulas.
    data.enrolments.loc[data.enrolments["withdrawn_on"] != "", "withdrawal_reason"] = (
        "=HYPERLINK(1)"
    )
    data.sessions.loc[data.sessions["cohort"] == "Cohort 1", "cohort"] = "@Cohort 1"
    return data.write(folder)


@pytest.fixture(scope="module")
def report(files: dict[str, Path]) -> Any:
    inputs = read_inputs(
        files["scores"],
        ReportOptions(),
        checkins=files["checkins"],
        sessions=files["sessions"],
        enrolments=files["enrolments"],
    )
    return build_report(inputs)


def _number(text: str) -> float | None:
    text = text.replace("−", "-").strip()
    if text == "—":
        return None
    return float(text)


def test_html_tables_hold_the_json_numbers(report: Any) -> None:
    """Every table cell of the HTML equals the JSON value at the precision shown (half a unit
    of the last digit shown), and the outcome table agrees with the ``outcomes`` entries."""
    data = json.loads(json.dumps(to_dict(report)))
    html = _html_tables(to_html(report))
    assert set(html) == {f"table-{key}" for key in data["tables"]}
    for key, table in data["tables"].items():
        rows = html[f"table-{key}"]
        assert rows[0] == table["columns"]
        body = rows[1:]
        if not table["rows"]:
            assert body == [["No rows."]]
            continue
        assert len(body) == len(table["rows"]), key
        for shown, values in zip(body, table["rows"], strict=True):
            for column, text, value in zip(table["columns"], shown, values, strict=True):
                if isinstance(value, bool) or value is None or isinstance(value, str):
                    assert text == ("—" if value is None else str(value)), (key, column)
                elif isinstance(value, int):
                    assert text == str(value)
                else:
                    tolerance = 0.5 * 10 ** -digits_for(column) + 1e-9
                    assert abs(_number(text) - value) <= tolerance, (key, column)  # type: ignore[operator]
    outcomes = {row[0]: row for row in html["table-change"][1:]}
    columns = html["table-change"][0]
    for column, o in data["outcomes"].items():
        row = dict(zip(columns, outcomes[column], strict=True))
        assert int(row["n (both)"]) == o["n"]
        assert _number(row["change"]) == pytest.approx(o["change"]["mean"], abs=0.05)
        assert _number(row["d_z"]) == pytest.approx(o["d_z"]["estimate"], abs=0.005)
        assert _number(row["g_av CI high"]) == pytest.approx(o["g_av"]["ci_high"], abs=0.005)
    categories = {row[0]: row for row in html["table-categories"][1:]}
    for column, o in data["outcomes"].items():
        if o["categories"] is not None:
            shown = categories[column][-5:]
            expected = [o["categories"][c] for c in ("recovered", "improved", "unchanged")]
            assert [int(v) for v in shown[:3]] == expected


def test_json_has_the_issue_keys(report: Any) -> None:
    data = to_dict(report)
    assert {"balm_version", "input_sha256", "flow", "outcomes", "checkins", "themes"} <= set(data)
    assert data["themes"] == [] and data["joint_display"] == {}
    assert set(data["input_sha256"]) == {"scores", "checkins", "sessions", "enrolments"}
    for key in ("referred", "assessed", "started", "completed", "followed_up", "withdrawn"):
        assert isinstance(data["flow"][key], int)
    phq9 = data["outcomes"]["phq9_total"]
    assert set(phq9["pre"]) == {"mean", "sd", "n"} and set(phq9["change"]) >= {
        "mean",
        "ci_low",
        "ci_high",
    }
    assert set(phq9["d_z"]) >= {"estimate", "ci_low", "ci_high"}
    assert set(phq9["categories"]) == {
        "recovered",
        "improved",
        "unchanged",
        "deteriorated",
        "harmed",
    }
    assert phq9["method"] == "jt" and phq9["reliability"]["value"] == 0.89
    assert data["outcomes"]["pcs_total"]["categories"] is None  # no reliability in the catalogue
    text = json.dumps(data)
    assert "NaN" not in text and "Infinity" not in text


def test_html_is_self_contained_accessible_and_byte_identical(
    files: dict[str, Path], report: Any
) -> None:
    html = to_html(report)
    for heading in SECTIONS:
        assert heading in html
    assert "No qualitative project was given" in html
    # No outside requests (XML namespace names in the SVG are names, not requests).
    for request in ('src="http', 'href="http', "url(http", "<link", "<script", "@import"):
        assert request not in html
    assert html.count("<figure") == len(report.figures) >= 3
    assert html.count('role="img" aria-label="') == len(report.figures)
    assert html.count("<caption>") == len(report.tables)
    again = build_report(
        read_inputs(
            files["scores"],
            ReportOptions(),
            checkins=files["checkins"],
            sessions=files["sessions"],
            enrolments=files["enrolments"],
        )
    )
    assert to_html(again).encode() == html.encode()


@pytest.fixture(scope="module")
def laid_out(report: Any) -> Any:
    """The report laid out in A4 pages once, for both PDF tests (WeasyPrint's layout is most
    of a PDF's time; ``to_pdf`` is this document written out)."""
    from balm.report.render import pdf_document

    return pdf_document(report)


def test_pdf_opens_and_holds_every_section(laid_out: Any) -> None:
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(laid_out.write_pdf()))
    text = " ".join(page.extract_text() for page in pdf.pages)
    for heading in SECTIONS:
        assert heading in text, heading
    assert "PHQ-9" in text and len(pdf.pages) >= 7


def test_xlsx_reads_back_in_pandas(report: Any) -> None:
    data = to_dict(report)
    book = pd.read_excel(io.BytesIO(to_xlsx(report)), sheet_name=None)
    assert {"contents", "summary", *data["tables"]} == set(book)
    outcomes = book["change"].set_index("score")
    for column, o in data["outcomes"].items():
        assert outcomes.loc[column, "n (both)"] == o["n"]
        assert outcomes.loc[column, "change"] == pytest.approx(o["change"]["mean"])
    reasons = list(book["withdrawals"]["reason"])
    assert "'=HYPERLINK(1)" in reasons and "=HYPERLINK(1)" not in reasons
    # Negative numbers stay numbers: only text is neutralised.
    assert outcomes["change"].dtype.kind == "f"
    assert math.isfinite(float(outcomes.loc["phq9_total", "change"]))


def test_cli_writes_each_format(files: dict[str, Path], tmp_path: Path) -> None:
    outputs = [tmp_path / f"report{suffix}" for suffix in (".html", ".json", ".xlsx")]
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(files["scores"]),
            "--checkins",
            str(files["checkins"]),
            *(arg for out in outputs for arg in ("-o", str(out))),
        ],
    )
    assert result.exit_code == 0, result.output
    for out in outputs:
        assert out.stat().st_size > 1000
        assert f"wrote {out} (" in result.output
    assert list(tmp_path.glob(".*.tmp")) == []


def test_neutralise_covers_every_formula_start() -> None:
    """OWASP's list for CSV/spreadsheet injection: = + - @ tab and carriage return."""
    from balm.report.render import neutralise

    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("moved away") == "moved away"
    assert neutralise(-1.5) == -1.5 and neutralise(None) is None


def test_pdf_tables_and_figures_fit_the_page(laid_out: Any) -> None:
    """No table, figure or paragraph runs into the right margin of A4 (14 mm, report.css)."""
    over: set[tuple[str, str | None]] = set()

    def walk(box: Any, limit: float) -> None:
        tag = getattr(box, "element_tag", None)
        if tag in ("table", "figure", "p", "svg", "div") and (
            box.position_x + box.margin_width() > limit + 0.5
        ):
            over.add((tag, box.element.get("id")))
        for child in getattr(box, "children", None) or []:
            walk(child, limit)

    for page in laid_out.pages:
        walk(page._page_box, page.width - 14 * 96 / 25.4)  # CSS px: 96 per inch
    assert over == set()
