"""Files sent to the browser as they are written: a CSV export streams its rows from the
database in chunks, so memory stays flat however large the site's history. Every cell goes
through :func:`balm.cells.neutralise` (text a spreadsheet would run is written as text)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

from balm.cells import neutralise_cells, neutralise_row

#: Rows written per chunk sent to the client.
CHUNK_ROWS = 1000


def csv_chunks(
    columns: list[str], rows: Iterable[list[Any]], text_cells: Sequence[int] | None = None
) -> Iterator[bytes]:
    """UTF-8 CSV (``\\n`` line ends, minimal quoting, blank for None) in chunks of rows; only
    ``text_cells`` are checked for text a spreadsheet would run when the caller knows the
    others hold numbers (None: every cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(neutralise_row(columns))
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(
            neutralise_row(row) if text_cells is None else neutralise_cells(row, text_cells)
        )
        if len(batch) == CHUNK_ROWS:
            writer.writerows(batch)
            batch.clear()
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(batch)
    yield buffer.getvalue().encode()


def _header(columns: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(neutralise_row(columns))
    return buffer.getvalue()


def _batched(first: Any, pieces: Iterable[Any]) -> Iterator[list[Any]]:
    """``first``, then ``pieces``, in lists of :data:`CHUNK_ROWS` (the last may be shorter)."""
    batch = [first]
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= CHUNK_ROWS:
            yield batch
            batch = []
    yield batch


def data_chunks(columns: list[str], data: Iterable[bytes]) -> Iterator[bytes]:
    """The file :func:`csv_chunks` writes, from its data lines already written as UTF-8 CSV
    (by the database: :mod:`balm.outcomes.export_copy`): the header, then the lines in chunks."""
    return map(b"".join, _batched(_header(columns).encode(), data))


def line_chunks(columns: list[str], lines: Iterable[str]) -> Iterator[bytes]:
    """The file :func:`csv_chunks` writes, from its data lines already written as CSV text
    (safe for spreadsheets, each with its ``\n``): the header, then the lines in chunks."""
    for batch in _batched(_header(columns), lines):
        yield "".join(batch).encode()


def streamed_csv(
    filename: str,
    columns: list[str],
    rows: Iterable[list[Any]],
    text_cells: Sequence[int] | None = None,
    lines: Iterable[str] | None = None,
    data: Iterable[bytes] | None = None,
) -> StreamingHttpResponse:
    """An attachment ``filename`` streaming ``columns`` then ``rows`` (see :func:`csv_chunks`),
    or the same rows' ``lines`` when the export wrote them itself (:func:`line_chunks`), or
    their ``data`` when the database wrote them (:func:`data_chunks`); never cached."""
    if data is not None:
        chunks = data_chunks(columns, data)
    elif lines is not None:
        chunks = line_chunks(columns, lines)
    else:
        chunks = csv_chunks(columns, rows, text_cells)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
