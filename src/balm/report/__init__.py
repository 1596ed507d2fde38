"""The evaluation report: flow, attendance, completeness, baseline and outcomes (pure Python).

>>> from balm.report import ReportOptions, build_report, read_inputs, render  # doctest: +SKIP
>>> inputs = read_inputs(Path("scores.csv"), ReportOptions())                 # doctest: +SKIP
>>> Path("report.html").write_bytes(render(build_report(inputs), ".html"))    # doctest: +SKIP

Every statistic comes from :mod:`balm.change`; this package reads the inputs, arranges the
numbers into one model (:mod:`balm.report.model`) and renders it (:mod:`balm.report.render`).
"""

from balm.report.build import build_report
from balm.report.inputs import (
    ReportInputError,
    ReportInputs,
    ReportOptions,
    check_frames,
    read_inputs,
)
from balm.report.model import Report
from balm.report.render import render, to_dict, to_html, to_json, to_pdf, to_xlsx

__all__ = [
    "Report",
    "ReportInputError",
    "ReportInputs",
    "ReportOptions",
    "build_report",
    "check_frames",
    "read_inputs",
    "render",
    "to_dict",
    "to_html",
    "to_json",
    "to_pdf",
    "to_xlsx",
]
