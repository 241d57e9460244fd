"""The ERP feed: CSV and XLSX files imported as idempotent upserts by natural key.

Each kind of file is one declarative `Kind`: its columns and how each is parsed, the rows of other
tables it refers to, its natural key, and what an upsert does besides setting fields. The area
apps declare their kinds with this module's Column, Ref, Kind, parsers and RowError, and
settings.ERP_KINDS lists them; this module knows no app.

One engine runs every kind, inside one transaction per file. It reads the file a chunk of rows
at a time; for each chunk it parses and checks the rows, with the lookups fetched in batches,
then updates existing rows one by one (status changes go through the lifecycle, so they are
recorded) and inserts new ones in a batch. Little outlives a chunk, so memory does not grow
with the file. If any row is bad the whole file is rolled back, so a file is never
half-imported.
"""

import csv
import datetime as dt
import io
import itertools
import re
import zipfile
import zoneinfo
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHEET_MAIN_NS

from portal import cnpj
from portal.lifecycle import IllegalTransition

SAO_PAULO = zoneinfo.ZoneInfo("America/Sao_Paulo")
# Rows are read, checked and written this many at a time, and it keeps every IN (...) list
# well under the databases' limits on query parameters.
CHUNK = 500


class ImportFileError(Exception):
    """The file as a whole cannot be imported: unknown kind, unreadable file, missing columns."""


class RowError(Exception):
    """One or more (column, message) problems with one row."""

    def __init__(self, *errors):
        super().__init__(errors)
        self.errors = [(column, str(message)) for column, message in errors]


# Parsers: each turns one non-blank cell (a string from CSV, or a typed XLSX value) into the
# model's type, or raises ValidationError with a message for the error report.


def text(value):
    # Excel stores codes such as 1001 as numbers.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def text_max(limit):
    validator = MaxLengthValidator(limit)

    def parse(value):
        value = text(value)
        validator(value)
        return value

    return parse


def integer(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value):
        return int(value)
    raise ValidationError(_("Enter a whole number."))


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def decimal(value):
    """Accepts 1234.56, 1234,56, 1.234,56 and 1,234.56; the last separator is the decimal one."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        # repr() is the shortest text that round-trips, so 0.1 stays 0.1.
        return Decimal(repr(value))
    number = "" if isinstance(value, bool) else re.sub(r"\s|R\$", "", str(value))
    if "," in number and "." in number:
        thousands = "." if number.rfind(",") > number.rfind(".") else ","
        number = number.replace(thousands, "").replace(",", ".")
    elif "," in number:
        number = number.replace(",", ".") if number.count(",") == 1 else ""
    elif number.count(".") > 1:
        number = number.replace(".", "")
    if not _NUMBER.fullmatch(number):
        raise ValidationError(_("Enter a number such as 1234.56 or 1.234,56."))
    return Decimal(number)


# Day first, as Brazilian exports write dates; with a time of day for date-times.
_DAY_FIRST = re.compile(
    r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def date(value):
    """dd/mm/yyyy or yyyy-mm-dd, never mm/dd/yyyy."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    value = str(value)
    try:
        if (match := _DAY_FIRST.fullmatch(value)) and match[4] is None:
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        if _ISO_DATE.fullmatch(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise ValidationError(_("Enter a valid date."))


def aware_datetime(value):
    """A moment; one given without a UTC offset is read as São Paulo time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        moment = _parse_datetime(str(value))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, SAO_PAULO)
    return moment


def _parse_datetime(value):
    try:
        if match := _DAY_FIRST.fullmatch(value):
            day, month, year, hour, minute, second = (int(part or 0) for part in match.groups())
            return dt.datetime(year, month, day, hour, minute, second)
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(_("Enter a valid date/time.")) from None


_TRUE = {"1", "true", "yes", "y", "sim", "s", "x"}
_FALSE = {"0", "false", "no", "n", "não", "nao"}


def boolean(value):
    if isinstance(value, bool):
        return value
    word = text(value).casefold()
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise ValidationError(_("Enter yes or no (1 or 0)."))


def cnpj_number(value):
    number = cnpj.strip(text(value))
    # Excel drops the leading zeros of a CNPJ stored as a number.
    if isinstance(value, int | float) and number.isdigit():
        number = number.zfill(14)
    cnpj.validate_cnpj(number)
    return number


def access_key(value):
    key = re.sub(r"\s", "", text(value))
    if not re.fullmatch(r"[0-9]{44}", key):
        raise ValidationError(_("An access key has exactly 44 digits."))
    return key


def choice(choices):
    """A TextChoices value, given by its code or its label (in English or the active language)."""
    table = {}

    def parse(value):
        if not table:
            for code, label in choices.choices:
                with translation.override("en"):
                    table[str(label).casefold()] = code
                table[str(label).casefold()] = code
                table[code.casefold()] = code
        code = table.get(text(value).casefold())
        if code is None:
            raise ValidationError(
                _("Unknown value “%(value)s”; use one of: %(codes)s.")
                % {"value": _shown(text(value)), "codes": ", ".join(choices.values)}
            )
        return code

    return parse


# The declarative part.


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable = text
    required: bool = True
    # The model attribute the value goes to: "" for the column's own name, None for a column
    # that a Ref or a hook reads instead.
    to: str | None = ""


@dataclass(frozen=True)
class Ref:
    """Columns that name a row of another table; the row found fills the foreign key `name`."""

    name: str
    model: type
    lookups: tuple
    columns: tuple
    unknown: str

    def key(self, row):
        key = tuple(row.data.get(column) for column in self.columns)
        return None if None in key else key


@dataclass(frozen=True)
class Kind:
    """One kind of file. The hooks get the file's run; _Run says what of it they may use."""

    name: str
    model: type
    # Model attributes that make the natural key; the upsert matches existing rows on them.
    key: tuple
    columns: tuple
    refs: tuple = ()
    creates: bool = True
    # (row, run): fills values that follow from other columns; may raise RowError.
    derive: Callable | None = None
    # (values, row, run): adjusts the values of a row about to be created.
    on_create: Callable | None = None
    # (obj, row, run) -> bool: side effects after the upsert; True if it changed anything.
    after_save: Callable | None = None
    # (row) -> what after_file needs to know of a written row, or None. Only that is kept of
    # the rows, so a large file does not stay in memory for after_file.
    remember: Callable | None = None
    # (the set of remembered values): keeps derived data in step once every row of a good file
    # is written.
    after_file: Callable | None = None
    select_related: tuple = ()

    @cached_property
    def targets(self):
        """{column: the model attribute it sets, or None}."""
        read_by_refs = {name for ref in self.refs for name in ref.columns}
        return {
            column.name: None
            if column.name in read_by_refs
            else (column.name if column.to == "" else column.to)
            for column in self.columns
        }

    def column_for(self, attribute):
        """The file column behind a model attribute, to point an error at it."""
        for column, target in self.targets.items():
            if target == attribute:
                return column
        for ref in self.refs:
            if attribute in (ref.name, f"{ref.name}_id"):
                return ref.columns[0]
        return ""


@dataclass
class Row:
    line: int
    data: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    refs: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


@dataclass
class Result:
    kind: str
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # The first max_errors errors in file order, as (line, column, message); error_count
    # counts them all.
    errors: list = field(default_factory=list)
    error_count: int = 0
    max_errors: int = 100
    ignored_columns: list = field(default_factory=list)

    def add_errors(self, errors):
        self.error_count += len(errors)
        self.errors.extend(errors[: max(self.max_errors - len(self.errors), 0)])

    def summary(self):
        return _("%(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }

    def error_lines(self):
        for line, column, message in self.errors:
            if column:
                yield _("line %(line)d, field %(field)s: %(message)s") % {
                    "line": line,
                    "field": column,
                    "message": message,
                }
            else:
                yield _("line %(line)d: %(message)s") % {"line": line, "message": message}
        if (more := self.error_count - len(self.errors)) > 0:
            yield ngettext("… and %(count)d more error.", "… and %(count)d more errors.", more) % {
                "count": more
            }


# The kinds. Each area app declares its own as a sequence of Kind, and settings.ERP_KINDS names
# those sequences by dotted path. They are imported on first use, not with this module: the
# apps' declarations import this module, and the engine does not depend on which apps there are.


@lru_cache(maxsize=4)
def _load_kinds(paths):
    kinds, sources = {}, {}
    for path in paths:
        for kind in import_string(path):
            if kind.name in kinds:
                raise ImproperlyConfigured(
                    f"ERP_KINDS: {sources[kind.name]} and {path} both declare a kind named "
                    f"{kind.name!r}."
                )
            kinds[kind.name], sources[kind.name] = kind, path
    return kinds


class _Kinds(Mapping):
    """The kinds that settings.ERP_KINDS names, by name, in the order the setting lists them."""

    def _loaded(self):
        return _load_kinds(tuple(settings.ERP_KINDS))

    def __getitem__(self, name):
        return self._loaded()[name]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self):
        return len(self._loaded())


KINDS = _Kinds()


def get_kind(name):
    kind = KINDS.get(re.sub(r"[\s\-]+", "_", name.strip().lower()))
    if kind is None:
        raise ImportFileError(
            _("Unknown kind “%(kind)s”; use one of: %(kinds)s.")
            % {"kind": name, "kinds": ", ".join(KINDS)}
        )
    return kind


# Reading files. Rows are read as the engine asks for them, never the whole file at once, and
# every dimension of a file is bounded by an ERP_IMPORT_* setting (see Limits), so a hostile or
# broken export is refused with a clear message instead of exhausting memory or time.

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    xlsx_bytes: int
    rows: int
    columns: int
    line_chars: int
    errors: int

    @classmethod
    def from_settings(cls):
        return cls(
            file_bytes=settings.ERP_IMPORT_MAX_FILE_MB * MB,
            xlsx_bytes=settings.ERP_IMPORT_MAX_XLSX_UNCOMPRESSED_MB * MB,
            rows=settings.ERP_IMPORT_MAX_ROWS,
            columns=settings.ERP_IMPORT_MAX_COLUMNS,
            line_chars=settings.ERP_IMPORT_MAX_CSV_LINE_CHARS,
            errors=settings.ERP_IMPORT_MAX_ERRORS,
        )


def _blank(value):
    if isinstance(value, str):
        value = value.strip()
    return None if value is None or value == "" else value


def _is_blank(values):
    return all(_blank(value) is None for value in values)


def _column_name(header):
    return re.sub(r"[\s\-]+", "_", str(_blank(header) or "").lower())


def _shown(value, limit=60):
    """A value quoted in a message, cut short so that one error stays one readable line."""
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _too_many_columns(path, line, limits):
    return ImportFileError(
        _(
            "%(file)s line %(line)d has more than %(limit)d columns, the most a file may have "
            "(ERP_IMPORT_MAX_COLUMNS). Export only the columns the import needs."
        )
        % {"file": path, "line": line, "limit": limits.columns}
    )


def _delimiter(header_line):
    return ";" if header_line.count(";") > header_line.count(",") else ","


class _CsvLines:
    """The lines of a CSV file for csv.reader, read one at a time. A row longer than the limit,
    on one line or on several (a quoted value may span lines), is refused once the limit is
    reached, so no more than the limit is ever held."""

    def __init__(self, file, path, limits):
        self.file, self.path, self.limits = file, path, limits
        self.delimiter = None
        self.number = 0
        self.row = []
        self.length = 0

    def __iter__(self):
        return self

    def __next__(self):
        try:
            line = self.file.readline(self.limits.line_chars + 1 - self.length)
        except UnicodeDecodeError:
            raise ImportFileError(
                _("%(file)s is not UTF-8 text; export it from the ERP as UTF-8.")
                % {"file": self.path}
            ) from None
        if not line:
            raise StopIteration
        self.number += 1
        self.row.append(line)
        self.length += len(line)
        if self.length > self.limits.line_chars:
            raise self._too_long()
        return line

    def row_done(self):
        self.row, self.length = [], 0

    def _too_long(self):
        start = self.number - len(self.row) + 1
        text = "".join(self.row)
        # Say which limit the row breaks: a header of 200,000 names is too wide before it is
        # too long. The fields within the first line_chars characters are a lower bound.
        try:
            reader = csv.reader(
                io.StringIO(text, newline=""), delimiter=self.delimiter or _delimiter(text)
            )
            fields = len(next(reader, []))
        except csv.Error:
            fields = 0
        if fields > self.limits.columns:
            return _too_many_columns(self.path, start, self.limits)
        return ImportFileError(
            _(
                "%(file)s line %(line)d is longer than %(limit)d characters, the most a CSV row "
                "may have (ERP_IMPORT_MAX_CSV_LINE_CHARS). Check that its quotes are balanced."
            )
            % {"file": self.path, "line": start, "limit": self.limits.line_chars}
        )


def _csv_lines(path, limits):
    with path.open(encoding="utf-8-sig", newline="") as file:
        lines = _CsvLines(file, path, limits)
        first = []
        for line in lines:
            first.append(line)
            if line.strip():
                break
        lines.delimiter = _delimiter(first[-1] if first else "")
        lines.row_done()
        reader = csv.reader(itertools.chain(first, lines), delimiter=lines.delimiter, strict=True)
        start = 1
        try:
            for values in reader:
                lines.row_done()
                yield start, values
                # A quoted value may span lines; errors point at the line where the row starts.
                start = reader.line_num + 1
        except csv.Error as error:
            raise ImportFileError(
                _("%(file)s is not a readable CSV file (line %(line)d: %(error)s).")
                % {"file": path, "line": reader.line_num, "error": error}
            ) from None


# Excel's own limits; a sheet beyond them is not an export.
_EXCEL_ROWS = 1_048_576
_EXCEL_COLUMNS = 16_384
# The shape of a workbook's XML, beyond which it is refused. openpyxl's parser keeps every
# element of a part until the end of the part, except the cells of a row and the runs of a
# shared string, which it drops once read, and it keeps the attributes of every row it reads.
# These bound what it keeps. A real export is far below them: a few hundred elements besides
# its rows and strings, a few per cell, and at most 13 attributes on a row.
_XML_DEPTH = 32
_XML_ATTRIBUTES = 32
_ROW_ATTRIBUTES = 16
_ELEMENTS_PER_ROW = 4 * _EXCEL_COLUMNS
_ELEMENTS_PER_STRING = 1_000
_OTHER_ELEMENTS = 100_000
# openpyxl holds the whole shared-string table in memory (about 150 bytes a string); a real
# export repeats most of its texts (statuses, codes, names), so it has far fewer than this
# many distinct texts per row.
_STRINGS_PER_ROW = 5
_READ_SIZE = 64 * 1024
# Element names as openpyxl matches them: namespace and local name.
_WORKSHEET, _SHEET_DATA, _ROW, _SST, _SI = (
    f"{SHEET_MAIN_NS}}}{name}" for name in ("worksheet", "sheetData", "row", "sst", "si")
)


def _not_an_export(path, reason):
    return ImportFileError(
        _("%(file)s is not a workbook that can be imported safely: %(reason)s")
        % {"file": path, "reason": reason}
    )


class _XmlShape:
    """Follows the XML of one part of a workbook as openpyxl reads it, a chunk ahead of
    openpyxl's own parser, and refuses a shape that would make that parser hold unbounded
    memory or time: a DTD (entity expansion), deep nesting, rows or cells beyond Excel's
    limits, too many shared strings, or too many elements outside the rows and strings. Bytes
    that are not XML (an image, say) are left to openpyxl."""

    def __init__(self, archive, part):
        self.archive, self.part = archive, part
        # Set up as ElementTree sets up openpyxl's parser, so both accept the same documents.
        self.parser = expat.ParserCreate(namespace_separator="}")
        self.parser.ordered_attributes = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.names = []
        # The row or shared string being read: its depth, and its elements and children so far.
        self.group = None
        self.group_elements = self.group_children = 0
        self.rows = self.row_number = 0

    def feed(self, data):
        if self.parser is None:
            return
        try:
            self.parser.Parse(data, not data)
        except expat.ExpatError:
            self.parser = None

    def _refuse(self, reason):
        raise _not_an_export(self.archive.path, f"{self.part}: {reason}")

    def _doctype(self, *args):
        self._refuse(_("it declares a DTD, which a workbook never does."))

    def _start(self, name, attributes):
        self.names.append(name)
        depth = len(self.names)
        if depth > _XML_DEPTH:
            self._refuse(_("its elements are nested too deeply."))
        if len(attributes) > 2 * _XML_ATTRIBUTES:
            self._refuse(_("an element has too many attributes."))
        if self.group is not None:
            self._within_group(depth)
        elif depth == 3 and name == _ROW and self.names[:2] == [_WORKSHEET, _SHEET_DATA]:
            self._row(attributes)
        elif depth == 2 and name == _SI and self.names[0] == _SST:
            self._string()
        else:
            self.archive.elements += 1
            if self.archive.elements > _OTHER_ELEMENTS:
                self._refuse(_("it has too many elements outside its rows."))

    def _within_group(self, depth):
        self.group_elements += 1
        if self.group == 3:
            # openpyxl takes every child of a row for a cell, one column right of the last.
            if depth == 4:
                self.group_children += 1
                if self.group_children > _EXCEL_COLUMNS:
                    self._refuse(_("a row has more cells than Excel allows."))
            if self.group_elements > _ELEMENTS_PER_ROW:
                self._refuse(_("a row has too many elements."))
        elif self.group_elements > _ELEMENTS_PER_STRING:
            self._refuse(_("a shared string has too many elements."))

    def _row(self, attributes):
        if len(attributes) > 2 * _ROW_ATTRIBUTES:
            self._refuse(_("a row has too many attributes."))
        number = dict(zip(attributes[::2], attributes[1::2], strict=True)).get("r")
        try:
            # openpyxl reads "7" and "7.0" alike, and a row without a number follows the last.
            self.row_number = int(float(number)) if number is not None else self.row_number + 1
        except (ValueError, OverflowError):
            self._refuse(_("a row has no valid number."))
        self.rows += 1
        if not 1 <= self.row_number <= _EXCEL_ROWS or self.rows > _EXCEL_ROWS:
            self._refuse(_("it has rows beyond Excel's last row, %(row)d.") % {"row": _EXCEL_ROWS})
        self._open_group(3)

    def _string(self):
        self.archive.strings += 1
        if self.archive.strings > self.archive.limits.rows * _STRINGS_PER_ROW:
            self._refuse(
                _(
                    "it has more distinct texts than %(count)d rows (ERP_IMPORT_MAX_ROWS) would "
                    "need; split it into smaller files."
                )
                % {"count": self.archive.limits.rows}
            )
        self._open_group(2)

    def _open_group(self, depth):
        self.group, self.group_elements, self.group_children = depth, 0, 0

    def _end(self, name):
        if len(self.names) == self.group:
            self.group = None
        self.names.pop()


class _GuardedPart:
    """One part of the workbook as openpyxl reads it: it may not inflate beyond the size it
    declares (the declared sizes are what the archive was checked against), and its XML is
    followed by an _XmlShape."""

    def __init__(self, stream, info, archive):
        self.stream = stream
        self.left = info.file_size
        self.shape = _XmlShape(archive, info.filename)
        self.archive = archive

    def read(self, size=-1):
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_READ_SIZE), b""))
        data = self.stream.read(size)
        self.left -= len(data)
        if self.left < 0:
            raise _not_an_export(
                self.archive.path,
                _("%(part)s inflates to more than the size it declares.")
                % {"part": self.shape.part},
            )
        self.shape.feed(data)
        return data

    def close(self):
        self.stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class _GuardedZip(zipfile.ZipFile):
    """A workbook's zip archive whose parts' declared sizes add up to at most the limit, and
    whose parts are read through _GuardedPart, since declared sizes can lie."""

    def __init__(self, path, limits):
        super().__init__(path)
        self.path, self.limits = path, limits
        self.elements = self.strings = 0
        declared = sum(info.file_size for info in self.infolist())
        if declared > limits.xlsx_bytes:
            self.close()
            raise ImportFileError(
                _(
                    "%(file)s would take %(size)d MB once uncompressed, more than the "
                    "%(limit)d MB a workbook may take (ERP_IMPORT_MAX_XLSX_UNCOMPRESSED_MB). "
                    "Split it into smaller files."
                )
                % {
                    "file": path,
                    "size": -(-declared // MB),
                    "limit": limits.xlsx_bytes // MB,
                }
            )

    def open(self, name, mode="r", pwd=None, **kwargs):
        stream = super().open(name, mode, pwd, **kwargs)
        if mode != "r":
            return stream
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        return _GuardedPart(stream, info, self)


def _open_workbook(path, limits):
    archive = _GuardedZip(path, limits)
    try:
        # What openpyxl.load_workbook does, over the guarded archive.
        reader = ExcelReader(str(path), read_only=True, data_only=True, keep_links=False)
        reader.archive.close()
        reader.archive = archive
        reader.read()
    except BaseException:
        archive.close()
        raise
    return reader.wb


@contextmanager
def _reading_xlsx(path):
    try:
        yield
    except ImportFileError:
        raise
    except Exception as error:  # openpyxl has no single error type for a damaged workbook
        raise ImportFileError(
            _("%(file)s is not a readable XLSX workbook (%(error)s).")
            % {"file": path, "error": str(error) or type(error).__name__}
        ) from None


def _xlsx_lines(path, limits):
    with _reading_xlsx(path):
        workbook = _open_workbook(path, limits)
    try:
        with _reading_xlsx(path):
            sheet = workbook.worksheets[0]
            # Rows are as wide as their last cell, not as the size the sheet declares.
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True)
        for line in itertools.count(1):
            with _reading_xlsx(path):
                values = next(rows, None)
            if values is None:
                return
            yield line, values
    finally:
        workbook.close()


def _bounded(records, path, limits):
    """The non-blank records, refusing a file with too many rows or too wide a row; blank rows
    count, since reading them costs as much."""
    for count, (line, values) in enumerate(records):
        if count > limits.rows:
            raise ImportFileError(
                _(
                    "%(file)s has more than %(limit)d rows besides the header, the most a file "
                    "may have (ERP_IMPORT_MAX_ROWS). Split it into files of at most %(limit)d "
                    "rows, each with the header row."
                )
                % {"file": path, "limit": limits.rows}
            )
        if len(values) > limits.columns:
            raise _too_many_columns(path, line, limits)
        if not _is_blank(values):
            yield line, values


@contextmanager
def open_table(path, limits):
    """The column names from the header row, and the data rows as (line number, values), read
    from the file as they are iterated."""
    if not path.is_file():
        raise ImportFileError(_("File not found: %(file)s") % {"file": path})
    readers = {".csv": _csv_lines, ".xlsx": _xlsx_lines}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise ImportFileError(
            _("Cannot import %(file)s: the file must be .csv or .xlsx.") % {"file": path}
        )
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise ImportFileError(
            _(
                "%(file)s is %(size)d MB, more than the %(limit)d MB a file may have "
                "(ERP_IMPORT_MAX_FILE_MB). Split it into smaller files."
            )
            % {"file": path, "size": -(-size // MB), "limit": limits.file_bytes // MB}
        )
    records = reader(path, limits)
    try:
        rows = _bounded(records, path, limits)
        first = next(rows, None)
        if first is None:
            raise ImportFileError(_("%(file)s is empty.") % {"file": path})
        yield [_column_name(name) for name in first[1]], rows
    finally:
        records.close()


# The engine.


def _refused(error):
    # PostgreSQL's message has a DETAIL line; the report keeps one line per error.
    return _("The database refused this row: %(error)s") % {"error": " ".join(str(error).split())}


def _fetch(queryset, fields, firsts):
    """Rows of `queryset` keyed by the tuple of `fields`, among those whose first field is in
    `firsts`."""
    firsts = list(firsts)
    found = {}
    for start in range(0, len(firsts), CHUNK):
        chunk = firsts[start : start + CHUNK]
        for obj in queryset.filter(**{f"{fields[0]}__in": chunk}):
            found[tuple(getattr(obj, name) for name in fields)] = obj
    return found


class _Run:
    """One file being imported, a chunk of rows at a time: the lookups it has fetched for the
    chunk, and the little that outlives a chunk (the counts and first errors in the result,
    what after_file needs).

    A kind's hooks get the run and may use: `reason`, for the history of a status they change;
    `check()`, to check a record they write; `existing`, the chunk's records by natural key;
    `fetch()`, to look up rows for the whole chunk at once; and two dicts of their own, which
    the engine never reads: `file_cache`, kept for the whole file, and `chunk_cache`, emptied
    before each chunk."""

    def __init__(self, kind, path, header, result):
        self.kind, self.header, self.result = kind, header, result
        self.reason = f"ERP import {path.name}"
        lifecycle = getattr(kind.model, "lifecycle", None)
        self.status_field = lifecycle.field if lifecycle else None
        self.fields = {f.name: f for f in kind.model._meta.concrete_fields if not f.is_relation}
        columns = {column.name for column in kind.columns}
        self.positions = {name: i for i, name in enumerate(header) if name in columns}
        self.column_order = {column.name: i for i, column in enumerate(kind.columns)}
        self.existing = {}
        # New records of a kind with a lifecycle are inserted after their chunk, with primary
        # keys above the largest there was before the file. A later row with the same key, in
        # another chunk, finds such a record in the database; it still sets the record's
        # starting status, as it would within one chunk, instead of moving it through the
        # lifecycle. Keeping this one number, not the keys, keeps memory flat. (A record that
        # another session creates meanwhile would count as this file's: rare, and harmless.)
        self.created_above = None
        if self.status_field and not kind.after_save:
            self.created_above = kind.model.objects.aggregate(last=Max("pk"))["last"] or 0
        self.remembered = set()
        self.stopped = False
        self.file_cache = {}
        self.chunk_cache = {}

    def process(self, data):
        """Parses, checks and writes one chunk of rows, and adds their errors to the result."""
        self.chunk_cache = {}
        rows = self.parse(data)
        self.resolve(rows)
        self.write(rows)
        self.result.add_errors(
            sorted(
                ((row.line, column, message) for row in rows for column, message in row.errors),
                key=lambda error: (error[0], self.column_order.get(error[1], -1)),
            )
        )
        if self.kind.remember:
            for row in rows:
                if not row.errors and (value := self.kind.remember(row)) is not None:
                    self.remembered.add(value)

    def parse(self, data):
        width = len(self.header)
        rows = []
        for line, values in data:
            row = Row(line)
            if not _is_blank(values[width:]):
                row.errors.append(("", _("This row has more values than the header has columns.")))
            for column in self.kind.columns:
                position = self.positions.get(column.name)
                value = None
                if position is not None and position < len(values):
                    value = _blank(values[position])
                self._parse_cell(row, column, value)
            rows.append(row)
        return rows

    def _parse_cell(self, row, column, value):
        if value is None:
            if column.required:
                row.errors.append((column.name, _("This field is required.")))
            return
        target = self.kind.targets[column.name]
        try:
            parsed = column.parse(value)
            if target in self.fields:
                # The model's own rules (length, decimal places), checked on every row up front
                # so the report lists them all rather than stopping at the first bad row.
                parsed = self.fields[target].clean(parsed, None)
        except ValidationError as error:
            row.errors.append((column.name, " ".join(error.messages)))
            return
        row.data[column.name] = parsed
        if target:
            row.values[target] = parsed

    def resolve(self, rows):
        for ref in self.kind.refs:
            keys = {key for row in rows if (key := ref.key(row)) is not None}
            found = _fetch(ref.model.objects.all(), ref.lookups, {key[0] for key in keys})
            for row in rows:
                key = ref.key(row)
                if key is None:
                    continue
                if (obj := found.get(key)) is None:
                    label = "-".join(str(part) for part in key)
                    row.errors.append((ref.columns[0], ref.unknown % {"key": _shown(label)}))
                else:
                    row.refs[ref.name] = obj
                    row.values[f"{ref.name}_id"] = obj.pk
        for row in rows:
            if not row.errors and self.kind.derive:
                try:
                    self.kind.derive(row, self)
                except RowError as error:
                    row.errors.extend(error.errors)

    def write(self, rows):
        ready = [row for row in rows if not row.errors]
        queryset = self.kind.model.objects.all()
        if self.kind.select_related:
            queryset = queryset.select_related(*self.kind.select_related)
        self.existing = _fetch(queryset, self.kind.key, {self._key(row)[0] for row in ready})
        self.pending = []
        for row in ready:
            # Row errors are found before anything of the row is written, so the transaction
            # stays usable and the report lists every bad row. Only the database's own refusal
            # of an update ends the write phase early: a savepoint per row would double the
            # queries of a large file.
            try:
                outcome = self._upsert(row)
            except RowError as error:
                row.errors.extend(error.errors)
            except IllegalTransition as error:
                row.errors.append(("", str(error)))
            except DatabaseError as error:
                row.errors.append(("", _refused(error)))
                row.errors.append(("", _("The import stopped at this row.")))
                self.stopped = True
                return
            else:
                setattr(self.result, outcome, getattr(self.result, outcome) + 1)
        self._insert_pending()

    def _insert_pending(self):
        """Inserts the new rows in batches; a refused batch is retried row by row to find the
        lines that the database refuses (a unique constraint outside the natural key, say)."""
        for start in range(0, len(self.pending), CHUNK):
            batch = self.pending[start : start + CHUNK]
            try:
                with transaction.atomic():
                    self.kind.model.objects.bulk_create([obj for _row, obj in batch])
                continue
            except DatabaseError:
                pass
            for row, obj in batch:
                try:
                    with transaction.atomic():
                        obj.save(force_insert=True)
                except DatabaseError as error:
                    row.errors.append(("", _refused(error)))

    def _key(self, row):
        return tuple(row.values[name] for name in self.kind.key)

    def _upsert(self, row):
        kind, values = self.kind, dict(row.values)
        key = self._key(row)
        obj = self.existing.get(key)
        if obj is None:
            obj, outcome = self._create(row, key, values), "created"
        else:
            outcome = "updated" if self._update(obj, values) else "unchanged"
        if kind.after_save and kind.after_save(obj, row, self) and outcome == "unchanged":
            outcome = "updated"
        return outcome

    def _create(self, row, key, values):
        kind = self.kind
        if not kind.creates:
            raise RowError(
                (
                    kind.columns[0].name,
                    _("Unknown %(model)s “%(key)s”; import it first.")
                    % {
                        "model": kind.model._meta.verbose_name,
                        "key": _shown("-".join(str(part) for part in key)),
                    },
                )
            )
        if kind.on_create:
            kind.on_create(values, row, self)
        obj = kind.model(**values)
        self.check(obj)
        if kind.after_save:
            obj.save()
        else:
            self.pending.append((row, obj))
        self.existing[key] = obj
        return obj

    def _update(self, obj, values):
        """Sets the row's values on an existing `obj`; the names of the fields it changed."""
        status = values.pop(self.status_field, None) if self.status_field else None
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        for name in changed:
            setattr(obj, name, values[name])
        if changed:
            self.check(obj)
            if obj.pk is not None:
                obj.save(update_fields=changed)
        if status is not None and status != getattr(obj, self.status_field):
            if obj.pk is None or self._created_by_this_file(obj):
                # Created earlier in this file: it starts here.
                setattr(obj, self.status_field, status)
                if obj.pk is not None:
                    obj.save(update_fields=[self.status_field])
            else:
                self._transition(obj, status)
            changed.append(self.status_field)
        return changed

    def _created_by_this_file(self, obj):
        return self.created_above is not None and obj.pk > self.created_above

    def _transition(self, obj, status):
        try:
            obj.transition_to(status, by=None, reason=self.reason)
        except IllegalTransition as error:
            raise RowError((self.kind.column_for(self.status_field), error)) from None

    def check(self, obj, *, columns=None):
        """Checks the fields the way a form would, pointing errors at the file's columns."""
        relations = [f.name for f in obj._meta.concrete_fields if f.is_relation]
        try:
            obj.clean_fields(exclude=relations)
        except ValidationError as error:
            raise RowError(
                *(
                    ((columns or {}).get(name) or self.kind.column_for(name), message)
                    for name, messages in error.message_dict.items()
                    for message in messages
                )
            ) from None

    def fetch(self, queryset, fields, firsts):
        """Rows of `queryset` keyed by the tuple of `fields`, among those whose first field is
        in `firsts`, fetched in batches."""
        return _fetch(queryset, fields, firsts)


def import_file(*, kind, path):
    """Imports one ERP file; if any row is bad, nothing from it is written.

    Returns a Result with the counts, or with the errors when the file was rolled back.
    Raises ImportFileError when the file as a whole cannot be read, or breaks a limit.
    """
    spec = get_kind(kind)
    path = Path(path)
    limits = Limits.from_settings()
    with open_table(path, limits) as (header, data):
        missing = [c.name for c in spec.columns if c.required and c.name not in header]
        if missing:
            raise ImportFileError(
                _("%(file)s lacks the columns that %(kind)s need: %(columns)s.")
                % {"file": path, "kind": spec.name, "columns": ", ".join(missing)}
            )
        counts = Counter(name for name in header if name)
        duplicates = sorted(name for name, count in counts.items() if count > 1)
        if duplicates:
            raise ImportFileError(
                _("%(file)s has these columns more than once: %(columns)s.")
                % {"file": path, "columns": ", ".join(duplicates)}
            )
        known = {column.name for column in spec.columns}
        result = Result(
            kind=spec.name,
            file=path.name,
            max_errors=limits.errors,
            ignored_columns=[name for name in header if name and name not in known],
        )
        with transaction.atomic():
            run = _Run(spec, path, header, result)
            for chunk in itertools.batched(data, CHUNK):
                run.process(chunk)
                if run.stopped:
                    break
            if result.error_count:
                transaction.set_rollback(True)
            elif spec.after_file:
                spec.after_file(run.remembered)
    if result.error_count:
        result.created = result.updated = result.unchanged = 0
    return result
