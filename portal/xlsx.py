"""The consolidated xlsx report: openpyxl in write-only mode, typed cells, constant memory.

Rows are read from the database in chunks and written straight to a temporary file, which is then
streamed to the client; neither the rows nor the workbook are ever held in memory.
"""

import tempfile
from dataclasses import dataclass
from decimal import Decimal

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
MONEY_FORMAT = '"R$" #,##0.00;[Red]-"R$" #,##0.00'
# A spreadsheet treats text starting with these as a formula; reports write them as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@")
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    """One report column: a header, an ORM path and the cell type.

    `kind` is "text" (identifiers too: order numbers and CNPJs stay text), "date", "datetime",
    "money", "number" or "choice" (the stored code shown by its label, from `choices`).
    """

    header: str
    path: str
    kind: str = "text"
    choices: dict | None = None


def _convert(kind, value, choices):
    if value is None:
        return None
    if kind == "datetime":
        return timezone.localtime(value).replace(tzinfo=None)
    if kind == "money":
        return Decimal(value)
    if kind == "choice":
        return str(choices.get(value, value))
    if kind == "text":
        # Control characters are not allowed in xlsx; an ERP field could still carry one.
        return ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return value


def write_rows(stream, columns, rows):
    """Writes a header and `rows` (tuples in `columns` order) to `stream` as an xlsx workbook."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)

    # One reusable cell per column: write-only sheets serialise a row as soon as it is appended.
    cells = [WriteOnlyCell(sheet) for _ in columns]
    for cell, column in zip(cells, columns, strict=True):
        if column.kind == "date":
            cell.number_format = DATE_FORMAT
        elif column.kind == "datetime":
            cell.number_format = DATETIME_FORMAT
        elif column.kind == "money":
            cell.number_format = MONEY_FORMAT
    kinds = [(c.kind, c.choices) for c in columns]
    for row in rows:
        for cell, (kind, choices), value in zip(cells, kinds, row, strict=True):
            value = _convert(kind, value, choices)
            cell.value = value
            if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
                cell.data_type = "s"
        sheet.append(cells)
    workbook.save(stream)


def queryset_rows(queryset, columns):
    return queryset.values_list(*(c.path for c in columns)).iterator(chunk_size=CHUNK)


def filename(stem, today=None):
    today = today or timezone.localdate()
    return f"{stem}-{today:%Y-%m-%d}.xlsx"


def table_response(table_class, queryset, stem):
    """The report of `queryset` with the table's `export_columns`, as an attachment."""
    columns = table_class.export_columns
    # FileResponse closes the file once it has been sent, which also deletes it.
    stream = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    write_rows(stream, columns, queryset_rows(queryset, columns))
    stream.seek(0)
    return FileResponse(
        stream,
        as_attachment=True,
        filename=filename(stem),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
