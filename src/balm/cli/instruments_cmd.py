"""``balm instruments`` (list, show, export) and ``balm score``: a thin layer over
:mod:`balm.instruments`.

``balm score`` reads the CSV with pyarrow, every column as text (pass-through columns come
out exactly as they went in; scored item columns are read dictionary-encoded, which the
engine parses once per distinct answer), validates and scores through
:func:`balm.instruments.score` in chunks, and writes to a temporary file that replaces the
output only when every row was valid. Heavy libraries are imported inside the commands so
that ``balm --help`` and the other command groups stay quick to start.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from balm.cli.common import fail

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from rich.console import Console

    from balm.instruments.schema import Instrument, Item, Scale

PROGRESS_ROWS = 100_000
"""Files with more rows than this show a progress bar (on stderr)."""

CHUNK_ROWS = 250_000
"""Rows validated, scored and written at a time."""

NOTES_COLUMN = "scoring_notes"
LICENSED_NOTE = "licensed: the service supplies the item text"


class ScoreFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class ExportFormat(StrEnum):
    FHIR = "fhir"


class InputError(Exception):
    """A problem with the user's input, reported on stderr with exit code 2."""


instruments_app = typer.Typer(
    name="instruments",
    help="The questionnaire catalogue: list, show and export instruments.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _instrument(instrument_id: str, *, alone: bool = False) -> Instrument:
    """The catalogue entry, or exit 2 listing the known ids.

    ``alone`` reads and validates just this instrument's data file (through the catalogue's
    own loader) rather than the whole catalogue: ``balm score`` then starts faster.
    """
    from importlib import resources

    from balm.instruments.catalogue import (
        CatalogueError,
        UnknownInstrumentError,
        get_instrument,
        load_file,
    )

    try:
        if alone and re.fullmatch(r"[a-z][a-z0-9_]*", instrument_id):
            path = Path(str(resources.files("balm.instruments") / "catalogue")) / (
                f"{instrument_id}.yaml"
            )
            if path.is_file():
                return load_file(path)
        return get_instrument(instrument_id)
    except UnknownInstrumentError as error:
        raise fail(f"{error}") from None
    except CatalogueError as error:
        raise fail(f"the catalogue entry is malformed: {error}") from None


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def _console() -> Console:
    from rich.console import Console

    return Console()


# ---------------------------------------------------------------------------------------
# balm instruments


@instruments_app.callback()
def list_instruments(ctx: typer.Context) -> None:
    """List the catalogue: id, name, items, licence class and key status."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from balm.instruments.catalogue import catalogue

    table = Table(title="balm instrument catalogue")
    for heading in ("id", "name", "items", "licence", "key"):
        table.add_column(heading, justify="right" if heading == "items" else "left")
    for instrument in catalogue().values():
        table.add_row(
            instrument.id,
            instrument.name,
            str(len(instrument.items)),
            instrument.licence.licence_class.value,
            instrument.key_status,
        )
    _console().print(table)


@instruments_app.command("show")
def show_instrument(
    instrument_id: Annotated[str, typer.Argument(metavar="ID", help="Instrument id.")],
) -> None:
    """Show an instrument: items, weights, scales, bands, psychometrics and their sources."""
    from rich.markup import escape
    from rich.table import Table

    instrument = _instrument(instrument_id)
    console = _console()
    console.print(f"[bold]{escape(instrument.name)}[/bold] ({escape(instrument.short_name)})")
    console.print(f"id {instrument.id}, version {escape(instrument.version)}")
    console.print(
        f"key: {instrument.key_status}"
        + (f" ({escape(instrument.key_note)})" if instrument.key_note else "")
    )
    if instrument.loinc:
        console.print(f"LOINC panel: {instrument.loinc}")
    if instrument.instructions:
        console.print(f"instructions: {escape(instrument.instructions)}")
    if instrument.recall_period:
        console.print(f"recall period: {escape(instrument.recall_period)}")
    if not instrument.item_text_included:
        console.print(f"item text: {LICENSED_NOTE}")

    for set_id, options in instrument.response_sets.items():
        answers = Table(title=f"Answers: response set {set_id}", title_justify="left")
        answers.add_column("printed weight", justify="right")
        answers.add_column("label")
        for option in options:
            answers.add_row(_number(option.value), escape(option.label))
        console.print(answers)

    items = Table(title="Items", title_justify="left")
    for heading in ("item", "wording or concept", "answers (printed weight)", "flags", "LOINC"):
        items.add_column(heading)
    for item in instrument.items:
        wording = item.text if item.text is not None else f"[{item.concept}] ({LICENSED_NOTE})"
        items.add_row(
            item.id,
            escape(wording),
            escape(_describe_answers(instrument, item)),
            ", ".join(_item_flags(item)),
            item.loinc or "",
        )
    console.print(items)
    reverse = [item.id for item in instrument.items if item.reverse]
    safety = [item.id for item in instrument.items if item.safety]
    console.print(f"reverse-keyed items: {', '.join(reverse) or 'none'}")
    console.print(
        f"safety items (alert when above their lowest weight): {', '.join(safety) or 'none'}"
    )

    for scale in instrument.scales:
        _show_scale(console, scale)

    console.print("[bold]Citation[/bold]")
    console.print(escape(instrument.citation))
    licence = instrument.licence
    console.print(f"[bold]Licence[/bold]: {licence.licence_class.value}")
    console.print(escape(licence.summary))
    if licence.copyright:
        console.print(f"copyright: {escape(licence.copyright)}")
    if licence.url:
        console.print(f"url: {escape(licence.url)}")


def _describe_answers(instrument: Instrument, item: Item) -> str:
    from balm.instruments.schema import ItemKind

    if item.kind is ItemKind.CHOICE and item.response_set is not None:
        return f"set {item.response_set}"
    if item.kind is ItemKind.CHOICE:
        return "; ".join(
            f"{_number(option.value)} = {option.label}" for option in instrument.options_for(item)
        )
    if item.kind is ItemKind.TEXT:
        return "free text (not scored)"
    whole = "whole number" if item.kind is ItemKind.INTEGER else "number"
    return f"{whole} {_number(item.minimum)} to {_number(item.maximum)}"


def _item_flags(item: Item) -> list[str]:
    flags = []
    if item.reverse:
        flags.append("reverse-keyed")
    if item.safety:
        flags.append("SAFETY")
    if not item.required:
        flags.append("optional")
    return flags


def _show_scale(console: Console, scale: Scale) -> None:
    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]Scale {scale.id}[/bold]: {escape(scale.name)}")
    console.print(f"  items: {', '.join(scale.items)}")
    method = scale.method.value
    if scale.lookup_source is not None:
        method += f" (converts scale {scale.lookup_source} through a published table)"
    console.print(f"  method: {method}")
    console.print(
        f"  range: {_number(scale.minimum)} to {_number(scale.maximum)}, "
        f"{scale.direction.value.replace('_', ' ')}"
    )
    rule = scale.missing
    allowed = (
        f"up to {rule.max_missing} blank item(s), prorated"
        if rule.prorate
        else "no blank items allowed"
    )
    console.print(f"  missing items: {allowed} (source: {escape(rule.source)})")
    if scale.loinc:
        console.print(f"  LOINC: {scale.loinc}")
    if scale.bands is not None:
        bands = Table(title=f"{scale.id} bands", title_justify="left")
        for heading in ("band", "from", "to", "description"):
            bands.add_column(heading)
        for band in scale.bands.bands:
            bands.add_row(
                band.label,
                _number(band.minimum),
                _number(band.maximum),
                escape(band.description or ""),
            )
        console.print(bands)
        console.print(f"  bands source: {escape(scale.bands.source)}")
    psychometrics = scale.psychometrics
    rows: list[tuple[str, str, str]] = []
    if psychometrics.reliability is not None:
        r = psychometrics.reliability
        rows.append(("reliability", f"{r.kind} {_number(r.value)}", r.source))
    for label, norm in (
        ("clinical norm", psychometrics.clinical),
        ("functional norm", psychometrics.functional),
    ):
        if norm is not None:
            n = f", n={norm.n}" if norm.n is not None else ""
            value = f"mean {_number(norm.mean)}, sd {_number(norm.sd)}{n} ({norm.population})"
            rows.append((label, value, norm.source))
    for label, threshold in (
        ("cut-off", psychometrics.cutoff),
        ("reliable change", psychometrics.reliable_change),
        ("minimal important difference", psychometrics.mid),
    ):
        if threshold is not None:
            rows.append(
                (label, f"{_number(threshold.value)}: {threshold.description}", threshold.source)
            )
    if rows:
        table = Table(title=f"{scale.id} psychometrics", title_justify="left")
        for heading in ("statistic", "value", "source"):
            table.add_column(heading)
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))
        console.print(table)


@instruments_app.command("export")
def export_instrument(
    instrument_id: Annotated[str, typer.Argument(metavar="ID", help="Instrument id.")],
    export_format: Annotated[
        ExportFormat, typer.Option("--format", help="Export format.")
    ] = ExportFormat.FHIR,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Export an instrument as a FHIR R4 Questionnaire (JSON)."""
    from balm.instruments.fhir import questionnaire_json

    instrument = _instrument(instrument_id)
    text = questionnaire_json(instrument) + "\n"
    del export_format  # one format for now
    if output is None:
        sys.stdout.write(text)
        return
    _atomic_write_text(output, text)


def _atomic_write_text(path: Path, text: str) -> None:
    with _temporary_beside(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    """A temporary file next to ``path`` that replaces it only if the block succeeds."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise fail(f"folder {folder} does not exist")
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------
# balm score


def score_command(
    instrument_id: Annotated[str, typer.Argument(metavar="ID", help="Instrument id.")],
    file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="Answers, one row each.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")
    ] = None,
    output_format: Annotated[
        ScoreFormat, typer.Option("--format", help="csv, or json (an array of records).")
    ] = ScoreFormat.CSV,
) -> None:
    """Validate and score a CSV of answers (an id column, items q1..qN, any other columns).

    Adds one column per scale, <scale>_band where the scale has bands, and scoring_notes
    (prorated or not computed scores). Any bad cell: every one is listed on stderr, exit
    code 2, and nothing is written.
    """
    instrument = _instrument(instrument_id, alone=True)
    try:
        if output is None:
            with tempfile.TemporaryDirectory(prefix="balm-score-") as folder:
                temporary = Path(folder) / "scores"
                _score_file(instrument, file, temporary, output_format)
                with temporary.open("rb") as source:
                    shutil.copyfileobj(source, sys.stdout.buffer)
                sys.stdout.buffer.flush()
        else:
            with _temporary_beside(output) as temporary:
                _score_file(instrument, file, temporary, output_format)
    except InputError as error:
        raise fail(f"{error}") from None


def _output_columns(instrument: Instrument) -> list[str]:
    columns = []
    for scale in instrument.scales:
        columns.append(scale.id)
        if scale.bands is not None:
            columns.append(f"{scale.id}_band")
    columns.append(NOTES_COLUMN)
    return columns


def _read_header(file: Path) -> list[str]:
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            start = handle.read(1 << 16)
    except FileNotFoundError:
        raise InputError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{file}: is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise InputError(f"{file}: is not a CSV file (not UTF-8 text)") from None
    if not start.strip():
        raise InputError(f"{file}: the file is empty (expected a header row: id, q1, ...)")
    if "\x00" in start:
        raise InputError(f"{file}: is not a CSV file (it holds binary data)")
    try:
        header = next(csv.reader(start.splitlines()))
    except (csv.Error, StopIteration):
        raise InputError(f"{file}: is not a CSV file (cannot read a header row)") from None
    return header


def _check_columns(instrument: Instrument, header: Sequence[str]) -> None:
    problems = []
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        problems.append(f"column(s) named more than once: {', '.join(duplicates)}")
    if "id" not in header:
        problems.append(
            "the id column is missing (the first row must be a header naming the columns: "
            "id, then the items)"
        )
    items = [item.id for item in instrument.scored_items]
    absent = [name for name in items if name not in header]
    if absent:
        problems.append(
            f"item column(s) missing: {', '.join(absent)} "
            f"({instrument.id} expects {', '.join(items)})"
        )
    clashes = [name for name in _output_columns(instrument) if name in header]
    if clashes:
        problems.append(
            f"input column(s) {', '.join(clashes)} would clash with the output column(s) of "
            "the same name; rename or remove them"
        )
    if problems:
        raise InputError("; ".join(problems))


def _read_table(instrument: Instrument, file: Path) -> pa.Table:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    header = _read_header(file)
    _check_columns(instrument, header)
    scored = {item.id for item in instrument.scored_items}
    # Every column as text: pass-through columns keep their exact text ("007" stays 007,
    # "NA" stays NA). Scored items are read dictionary-encoded: few distinct answers.
    types = {
        name: pa.dictionary(pa.int32(), pa.string()) if name in scored else pa.string()
        for name in header
    }
    try:
        table = pcsv.read_csv(
            file,
            convert_options=pcsv.ConvertOptions(
                column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise InputError(f"{file}: is not a readable CSV file ({error})") from None
    if table.column_names != list(header):
        raise InputError(f"{file}: is not a readable CSV file (its header row is ambiguous)")
    return table


class _Labels(Sequence[str]):
    """Row labels for problems: the id, or the data row number where the id is blank. Read from
    the arrow column only when a problem needs one."""

    def __init__(self, column: Any, first_row: int) -> None:
        self.column = column
        self.first_row = first_row

    def _label(self, position: int, value: str) -> str:
        return value if value.strip() else f"with blank id (data row {self.first_row + position})"

    def __len__(self) -> int:
        return len(self.column)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return list(self)[index]
        position = range(len(self))[index]
        return self._label(position, self.column[position].as_py())

    def __iter__(self) -> Iterator[str]:
        return (
            self._label(position, value) for position, value in enumerate(self.column.to_pylist())
        )


def _chunks(n_rows: int) -> list[tuple[int, int]]:
    return [(start, min(CHUNK_ROWS, n_rows - start)) for start in range(0, n_rows, CHUNK_ROWS)]


def _items_frame(instrument: Instrument, chunk: pa.Table) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {item.id: chunk.column(item.id).to_pandas() for item in instrument.scored_items}
    )


@contextlib.contextmanager
def _progress(n_rows: int) -> Iterator[Any]:
    """A rich progress bar on stderr for large files when stderr is a terminal; else a no-op
    (stdout carries only the scores)."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    if n_rows <= PROGRESS_ROWS or not console.is_terminal:
        yield None
        return
    with Progress(console=console, transient=True) as progress:
        yield progress


def _score_file(instrument: Instrument, file: Path, destination: Path, fmt: ScoreFormat) -> None:
    from balm.instruments.engine import ResponseValidationError, score

    table = _read_table(instrument, file)
    problems: list[str] = []
    with destination.open("wb") as sink, _progress(table.num_rows) as progress:
        task = None
        if progress is not None:
            task = progress.add_task(f"scoring {file.name}", total=table.num_rows)
        writer = _CsvWriter(sink) if fmt is ScoreFormat.CSV else _JsonWriter(sink)
        try:
            for start, length in _chunks(table.num_rows):
                chunk = table.slice(start, length)
                frame = _items_frame(instrument, chunk)
                labels = _Labels(chunk.column("id"), first_row=start + 1)
                try:
                    result = score(instrument, frame, row_labels=labels)
                except ResponseValidationError as error:
                    problems.extend(str(problem) for problem in error.problems)
                else:
                    if not problems:  # after a bad chunk, only validate the rest
                        writer.write(instrument, chunk, frame, result)
                if progress is not None:
                    progress.advance(task, length)
            if table.num_rows == 0:
                writer.write_empty(instrument, table)
        finally:
            writer.close()
    if problems:
        lines = "\n".join(problems)
        raise InputError(f"{file}: {len(problems)} bad answer(s); nothing was written.\n{lines}")


def _score_columns(instrument: Instrument, result: Any) -> dict[str, pa.Array]:
    """Scores as float64 (blank where not computed), bands as text, and the notes."""
    import numpy as np
    import pyarrow as pa

    columns: dict[str, pa.Array] = {}
    for scale in instrument.scales:
        values = result.scores[scale.id].to_numpy(dtype=np.float64)
        columns[scale.id] = pa.array(values, mask=np.isnan(values))
        if scale.bands is not None:
            name = f"{scale.id}_band"
            columns[name] = pa.array(result.scores[name], type=pa.string(), from_pandas=True)
    notes = result.notes().to_numpy(dtype=object)
    columns[NOTES_COLUMN] = pa.array(np.where(notes == "", None, notes), type=pa.string())
    return columns


class _CsvWriter:
    """Input columns exactly as read, then the score columns, through pyarrow's writer.

    Whole-number scores print as ``12``; prorated scores keep their decimals (``11.25``).
    pyarrow quotes every text value (valid CSV; the text itself is unchanged). A chunk is
    written on a background thread (pyarrow releases the GIL) while the next is scored.
    """

    def __init__(self, sink: IO[bytes]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.sink = sink
        self.writer: Any = None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="balm-csv")
        self.pending: Any = None

    def write(self, instrument: Instrument, chunk: pa.Table, frame: Any, result: Any) -> None:
        del frame
        scores = _score_columns(instrument, result)
        self._wait()
        self.pending = self.pool.submit(self._write, chunk, scores)

    def _write(self, chunk: pa.Table, scores: dict[str, pa.Array]) -> None:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        columns = {name: _as_text(chunk.column(name)) for name in chunk.column_names}
        table = pa.table({**columns, **scores})
        if self.writer is None:
            options = pcsv.WriteOptions(quoting_style="needed")
            self.writer = pcsv.CSVWriter(self.sink, table.schema, write_options=options)
        self.writer.write_table(table)

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def write_empty(self, instrument: Instrument, table: pa.Table) -> None:
        names = [*table.column_names, *_output_columns(instrument)]
        self.sink.write((",".join(_quote(name) for name in names) + "\n").encode())

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self.pool.shutdown(wait=True)
        if self.writer is not None:
            self.writer.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as_text(column: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        return column.cast(pa.string())
    return column


class _JsonWriter:
    """A JSON array of records: numbers as numbers, blanks as null.

    Scored item answers and scores are numbers (whole numbers without a decimal point);
    other input columns stay text, exactly as read; blank cells and uncomputed scores are
    null.
    """

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink = sink
        self.count = 0
        sink.write(b"[")

    def write(self, instrument: Instrument, chunk: pa.Table, frame: Any, result: Any) -> None:
        import pyarrow as pa

        from balm.instruments.engine import parse_answers

        matrix, _ = parse_answers(instrument, frame)
        answers = {
            item.id: matrix[:, position] for position, item in enumerate(instrument.scored_items)
        }
        columns: dict[str, list[Any]] = {}
        for name in chunk.column_names:
            if name in answers:
                columns[name] = [_json_number(value) for value in answers[name].tolist()]
            else:
                columns[name] = [
                    value if value != "" else None for value in chunk.column(name).to_pylist()
                ]
        for name, array in _score_columns(instrument, result).items():
            values = array.to_pylist()
            if pa.types.is_floating(array.type):
                values = [_json_number(value) for value in values]
            columns[name] = values
        names = list(columns)
        lists = [columns[name] for name in names]
        parts = []
        for row in zip(*lists, strict=True):
            parts.append(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False))
        if parts:
            prefix = ",\n" if self.count else "\n"
            self.sink.write((prefix + ",\n".join(parts)).encode())
            self.count += len(parts)

    def write_empty(self, instrument: Instrument, table: pa.Table) -> None:
        """An empty array: ``close`` writes it."""

    def close(self) -> None:
        self.sink.write(b"\n]\n" if self.count else b"]\n")


def _json_number(value: float | None) -> int | float | None:
    if value is None or math.isnan(value):
        return None
    return int(value) if value.is_integer() else value


def register(app: typer.Typer) -> None:
    """Add ``balm instruments`` and ``balm score`` to ``app``."""
    app.add_typer(instruments_app, name="instruments")
    app.command("score")(score_command)
