"""``?format=sav|dta|parquet`` on the tidy exports: the same table as the CSV, as an SPSS or
Stata file with variable and value labels, or as Parquet with its types
(:mod:`balm.exchange.statfiles`). ``csv`` or nothing: the views' own CSV."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from balm.exchange.statfiles import StatFileError, write

CONTENT_TYPES = {
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "parquet": "application/vnd.apache.parquet",
}


def statistics_file(
    request: HttpRequest, frame: pd.DataFrame, filename: str
) -> HttpResponse | None:
    """The download in the format asked for, or None for CSV (the caller writes it).
    ``filename`` is the CSV's name; its suffix is replaced."""
    asked = request.GET.get("format", "csv") or "csv"
    if asked == "csv":
        return None
    if asked not in CONTENT_TYPES:
        allowed = ", ".join(["csv", *CONTENT_TYPES])
        return HttpResponseBadRequest(f"format must be one of {allowed}", content_type="text/plain")
    name = f"{Path(filename).stem}.{asked}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        try:
            write(frame, path)
        except StatFileError as error:
            return HttpResponseBadRequest(str(error), content_type="text/plain")
        body = path.read_bytes()
    response = HttpResponse(body, content_type=CONTENT_TYPES[asked])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
