"""The report model to JSON, self-contained HTML, PDF (from that HTML) and an XLSX appendix.

Heavy libraries (Jinja2, WeasyPrint, openpyxl) are imported by the renderer that needs them.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, replace
from importlib import resources
from typing import Any

from balm.cells import neutralise
from balm.report.model import CATEGORY_ORDER, OutcomeReport, Report, Table, behind_key


def _clean(value: Any) -> Any:
    """Plain JSON values: NaN and infinities become None, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _outcome_json(o: OutcomeReport) -> dict[str, Any]:
    return {
        "label": o.label,
        "instrument": o.instrument,
        "scale": o.scale,
        "better": o.better,
        "n": o.n,
        "pre": asdict(o.pre),
        "post": asdict(o.post),
        "paired": {
            "pre": asdict(o.paired_pre),
            "post": asdict(o.paired_post),
        },
        "change": {
            "mean": o.change_mean,
            "sd": o.change_sd,
            "ci_low": o.change_ci_low,
            "ci_high": o.change_ci_high,
        },
        "d_z": asdict(o.d_z),
        "g_av": asdict(o.g_av),
        "growth": None if o.growth is None else asdict(o.growth),
        "approach": o.approach,
        "method": o.method,
        "reliability": None if o.reliability is None else asdict(o.reliability),
        "cutoff": None if o.cutoff is None else {**asdict(o.cutoff), "type": o.cutoff_type},
        "categories": o.categories,
        "categories_note": o.categories_note,
        "parameters": [asdict(p) for p in o.parameters],
        "clinical_approaches": o.clinical_approaches,
    }


def _table_json(table: Table) -> dict[str, Any]:
    return {"caption": table.caption, "columns": list(table.columns), "rows": table.rows}


def to_dict(report: Report) -> dict[str, Any]:
    """Every number of the report as plain JSON values (None where not known)."""
    data = {
        "balm_version": report.balm_version,
        "input_sha256": report.input_sha256,
        "title": report.title,
        "options": {
            "id": report.id_column,
            "time": report.time_column,
            "pre": report.pre_label,
            "post": report.post_label,
        },
        "summary": list(report.summary),
        "limitations": list(report.limitations),
        "notes": list(report.notes),
        "flow": asdict(report.flow),
        "attendance": asdict(report.attendance),
        "checkins": asdict(report.checkins),
        "outcomes": {o.column: _outcome_json(o) for o in report.outcomes},
        "tables": {t.key: _table_json(t) for t in report.tables},
        "themes": [asdict(t) for t in report.themes],
        "joint_display": report.joint_display,
        "qualitative_project": report.qualitative_given,
        "shareable": report.shareable,
        "versions": report.versions,
    }
    cleaned: dict[str, Any] = _clean(data)
    if report.shareable:
        from balm.report.shareable import suppress_json

        shared: dict[str, Any] = suppress_json(cleaned)
        return shared
    return cleaned


def to_json(report: Report) -> str:
    """The report as a JSON document (sorted keys, UTF-8 text)."""
    return json.dumps(to_dict(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def digits_for(column: str) -> int:
    """Decimals shown for a column: 0 for percentages, 2 for effect sizes, correlations,
    reliabilities and slopes, 1 for scores (the precision a clinician reads)."""
    if column == "%" or column.endswith("%"):
        return 0
    if column == "r" or column.startswith("r CI"):
        return 2
    if column.startswith(("d_z", "g_av", "reliability", "slope", "practice")):
        return 2 if not column.startswith("practice") else 0
    return 1


def cell_text(column: str, value: Any) -> str:
    """How a table cell is written in the HTML (and so the PDF)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        text = f"{value:.{digits_for(column)}f}"
        # A minus sign, not a hyphen, for negative numbers that do not round to zero.
        return text.replace("-", "−") if float(text) != 0 else text.lstrip("-")
    return str(value)


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("balm.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = lambda value, column: cell_text(column, value)
    env.filters["one"] = lambda value: cell_text("", value)
    env.filters["two"] = lambda value: cell_text("d_z", value)
    return env


def _count_filter(report: Report) -> Callable[[int | None], str]:
    from balm.report.shareable import count_text

    return lambda value: "—" if value is None else count_text(value, report.shareable)


_ID = re.compile(r'\bid="([^"]+)"')


def scoped_ids(svg: str, prefix: str) -> str:
    """``svg`` with each ``id`` it defines, and each reference to one (``url(#id)``,
    ``href="#id"``, ``xlink:href="#id"``), renamed ``{prefix}-{id}``.

    matplotlib numbers the ids of every drawing from the same start (``patch_1``,
    ``text_1``, ...) and names markers and clip paths by a hash of their shape, so figures
    inline in one document repeat ids, which HTML forbids (HTML Living Standard, "The id
    attribute": unique in the element's tree) and which make references ambiguous.
    """
    ids = sorted(set(_ID.findall(svg)), key=len, reverse=True)
    if not ids:
        return svg
    pattern = re.compile(
        r'(\bid="|url\(#|href="#)(' + "|".join(re.escape(i) for i in ids) + r')(?=["\)])'
    )
    return pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def to_html(report: Report, link: Callable[[str], str] | None = None) -> str:
    """Self-contained HTML: stylesheet inline, figures as inline SVG (their ids scoped to the
    figure, :func:`scoped_ids`, as an id is unique in an HTML document), no outside requests.

    With ``link``, every number of a joint display that has people behind it
    (:meth:`Report.behind`) becomes ``<a href="{link(key)}">``; without it the HTML is the
    same, byte for byte, as the report gives everywhere else.
    """

    def href(table: str, row: int, column: int) -> str | None:
        if link is None:
            return None
        key = behind_key(table, row, column)
        return link(key) if key in report.behind_index else None

    css = resources.files("balm.report").joinpath("templates/report.css").read_text("utf-8")
    template = _environment().get_template("report.html")
    tables = {t.key: t for t in report.tables}
    figures = {
        f.key: f if f.svg is None else replace(f, svg=scoped_ids(f.svg, f.key))
        for f in report.figures
    }
    return str(
        template.render(
            report=report,
            tables=tables,
            figures=figures,
            css=css,
            categories=CATEGORY_ORDER,
            href=href,
            count=_count_filter(report),
        )
    )


def pdf_document(report: Report) -> Any:
    """The HTML laid out in pages by WeasyPrint (a ``weasyprint.Document``: the print
    stylesheet applied), before it is written as a PDF."""
    import weasyprint

    return weasyprint.HTML(string=to_html(report)).render()


def to_pdf(report: Report) -> bytes:
    """The HTML rendered to PDF by WeasyPrint (same content, the print stylesheet)."""
    pdf: bytes = pdf_document(report).write_pdf()
    return pdf


def _sheet_name(key: str, used: set[str]) -> str:
    base = key[:31]
    name, k = base, 2
    while name in used:
        suffix = f"_{k}"
        name, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(name)
    return name


def to_xlsx(report: Report) -> bytes:
    """The data appendix: a contents sheet, the summary, then every table as a sheet (headings
    in the first row, so ``pandas.read_excel(path, sheet_name=key)`` reads each)."""
    from openpyxl import Workbook

    book = Workbook()
    contents = book.active
    assert contents is not None
    contents.title = "contents"
    contents.append(["sheet", "what it holds"])
    used = {"contents", "summary"}
    summary = book.create_sheet("summary")
    summary.append(["kind", "text"])
    for line in report.summary:
        summary.append(["summary", neutralise(line)])
    for line in report.limitations:
        summary.append(["limitation", neutralise(line)])
    for line in report.notes:
        summary.append(["note", neutralise(line)])
    summary.append(["balm version", neutralise(report.balm_version)])
    for role, digest in report.input_sha256.items():
        summary.append([f"sha256 of {role}", digest])
    contents.append(["summary", "the summary in words, limitations and notes"])
    for table in report.tables:
        name = _sheet_name(table.key, used)
        contents.append([name, neutralise(table.caption)])
        sheet = book.create_sheet(name)
        sheet.append([neutralise(c) for c in table.columns])
        for row in table.rows:
            sheet.append([neutralise(_clean(v)) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render(report: Report, suffix: str) -> bytes:
    """The report in the format named by a file suffix (.html, .pdf, .xlsx, .json)."""
    if suffix == ".html":
        return to_html(report).encode("utf-8")
    if suffix == ".json":
        return to_json(report).encode("utf-8")
    if suffix == ".pdf":
        return to_pdf(report)
    if suffix == ".xlsx":
        return to_xlsx(report)
    raise ValueError(f"unknown report format {suffix!r}")
