"""The ERP feed: CSV and XLSX files imported as idempotent upserts by natural key (DESIGN §5).

Each kind of file is one declarative `Kind`: its columns and how each is parsed, the rows of other
tables it refers to, its natural key, and what an upsert does besides setting fields. One engine
runs every kind, inside one transaction per file. It parses and checks every row first, with the
lookups fetched in batches; then it updates existing rows one by one (status changes go through
the lifecycle, so they are recorded) and inserts new ones in batches. If any row is bad the whole
file is rolled back, so a file is never half-imported.
"""

import csv
import datetime as dt
import io
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import openpyxl
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ResellerAccount
from commissions.models import Commission, CommissionTotal, Company, Installment, copied_from
from orders.models import (
    Carrier,
    Customer,
    Delivery,
    DeliveryEvent,
    Invoice,
    Order,
    OrderLine,
    OrderMonth,
)
from portal import cnpj
from portal.lifecycle import IllegalTransition

SAO_PAULO = zoneinfo.ZoneInfo("America/Sao_Paulo")
# Keeps every IN (...) list well under the databases' limits on query parameters.
CHUNK = 500
COMPLIANCE_HOLD = "compliance approval"


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
                % {"value": text(value), "codes": ", ".join(choices.values)}
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
    # (rows): keeps derived data in step once every row of a good file is written.
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
    errors: list = field(default_factory=list)
    ignored_columns: list = field(default_factory=list)

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


# Hooks of the kinds that do more than set fields.


def _installment_company(row, run):
    company = run.company_for(row.values["invoice_number"])
    if company is None:
        raise RowError(
            (
                "invoice_number",
                _("No company has an invoice prefix that matches invoice number “%(number)s”.")
                % {"number": row.values["invoice_number"]},
            )
        )
    row.values["company_id"] = company.pk


def _commission_from_installment(row, run):
    installment = row.refs["installment"]
    row.values.update(
        account_id=installment.account_id,
        company_id=installment.company_id,
        **copied_from(installment),
    )


def _commission_starting_status(values, row, run):
    status = values.get("status")
    if values["sale_type"] == Commission.SaleType.GOVERNMENT and status in (
        None,
        Commission.Status.PROVISIONED,
    ):
        values.update(status=Commission.Status.ON_HOLD, hold_reason=COMPLIANCE_HOLD)
    elif status is None and row.refs["installment"].paid_date:
        # The payment was imported before the commission: it is already identified.
        values["status"] = Commission.Status.RELEASED


def _release_commission(installment, row, run):
    """A commission is released once the end customer's payment is identified (DESIGN §3)."""
    commission = getattr(installment, "commission", None)
    if commission is None or commission.status != Commission.Status.PROVISIONED:
        return False
    commission.transition_to(Commission.Status.RELEASED, by=None, reason=run.reason)
    return True


def _recount_commission_totals(rows):
    accounts = {row.refs["installment"].account_id for row in rows if row.refs.get("installment")}
    CommissionTotal.objects.refresh(accounts)


def _recount_order_months(rows):
    accounts = {row.refs["account"].pk for row in rows if row.refs.get("account")}
    OrderMonth.objects.refresh(accounts)


_EVENT_COLUMNS = ("event_at", "event_description", "event_location")
# Where a DeliveryEvent field's errors point in the file.
_EVENT_FIELD_COLUMNS = dict(
    zip(("occurred_at", "description", "location"), _EVENT_COLUMNS, strict=True)
)


def _delivery_details(row, run):
    given = [column for column in _EVENT_COLUMNS if column in row.data]
    if given and not {"event_at", "event_description"} <= set(given):
        missing = "event_description" if "event_at" in given else "event_at"
        raise RowError((missing, _("A tracking event needs event_at and event_description.")))
    if "carrier" in row.data:
        row.values["carrier_id"] = run.carrier(row.data["carrier"]).pk


def _delivery_event(delivery, row, run):
    if "event_at" not in row.data:
        return False
    events = run.delivery_events()
    key = (delivery.pk, row.data["event_at"], row.data["event_description"])
    location = row.data.get("event_location", "")
    event = events.get(key)
    if event is None:
        event = DeliveryEvent(
            delivery=delivery, occurred_at=key[1], description=key[2], location=location
        )
    elif "event_location" in row.data and event.location != location:
        event.location = location
    else:
        return False
    run.check(event, columns=_EVENT_FIELD_COLUMNS)
    event.save()
    events[key] = event
    return True


ACCOUNT = Ref(
    "account",
    ResellerAccount,
    ("code",),
    ("account_code",),
    gettext_lazy("Unknown reseller account “%(key)s”."),
)
CUSTOMER = Ref(
    "customer",
    Customer,
    ("code",),
    ("customer_code",),
    gettext_lazy("Unknown customer “%(key)s”; import the customers first."),
)
ORDER = Ref(
    "order",
    Order,
    ("number",),
    ("order_number",),
    gettext_lazy("Unknown order “%(key)s”; import the orders first."),
)
INSTALLMENT = Ref(
    "installment",
    Installment,
    ("invoice_number", "number"),
    ("invoice_number", "installment"),
    gettext_lazy("Unknown installment “%(key)s”; import the installments first."),
)

KINDS = {
    kind.name: kind
    for kind in (
        Kind(
            "customers",
            Customer,
            key=("code",),
            columns=(
                Column("code"),
                Column("cnpj", cnpj_number),
                Column("name"),
                Column("is_government", boolean, required=False),
            ),
        ),
        Kind(
            "orders",
            Order,
            key=("number",),
            columns=(
                Column("number"),
                Column("account_code"),
                Column("customer_code", required=False),
                Column("status", choice(Order.Status)),
                Column("created_at", aware_datetime),
                Column("total", decimal),
            ),
            refs=(ACCOUNT, CUSTOMER),
            after_file=_recount_order_months,
        ),
        Kind(
            "order_lines",
            OrderLine,
            key=("order_id", "line_number"),
            columns=(
                Column("order_number"),
                Column("line_number", integer),
                Column("sku"),
                Column("description"),
                Column("quantity", decimal),
                Column("unit_price", decimal),
            ),
            refs=(ORDER,),
        ),
        Kind(
            "invoices",
            Invoice,
            key=("access_key",),
            columns=(
                Column("order_number"),
                Column("number"),
                Column("series"),
                Column("issued_at", date),
                Column("access_key", access_key),
            ),
            refs=(ORDER,),
        ),
        Kind(
            "installments",
            Installment,
            key=("invoice_number", "number"),
            columns=(
                Column("invoice_number"),
                Column("installment", integer, to="number"),
                Column("account_code"),
                Column("customer_code"),
                Column("order_number", required=False),
                Column("issue_date", date),
                Column("due_date", date),
                Column("amount", decimal),
            ),
            refs=(ACCOUNT, CUSTOMER, ORDER),
            derive=_installment_company,
        ),
        Kind(
            "commissions",
            Commission,
            key=("installment_id",),
            columns=(
                Column("invoice_number"),
                Column("installment", integer),
                Column("net_amount", decimal),
                Column("sale_type", choice(Commission.SaleType)),
                Column("status", choice(Commission.Status), required=False),
            ),
            refs=(INSTALLMENT,),
            derive=_commission_from_installment,
            on_create=_commission_starting_status,
            after_file=_recount_commission_totals,
        ),
        Kind(
            "payments",
            Installment,
            key=("invoice_number", "number"),
            columns=(
                Column("invoice_number"),
                Column("installment", integer, to="number"),
                Column("paid_date", date),
                Column("paid_amount", decimal),
            ),
            creates=False,
            select_related=("commission",),
            after_save=_release_commission,
        ),
        Kind(
            "deliveries",
            Delivery,
            key=("order_id",),
            columns=(
                Column("order_number"),
                Column(
                    "carrier",
                    text_max(Carrier._meta.get_field("name").max_length),
                    required=False,
                    to=None,
                ),
                Column("status", choice(Delivery.Status)),
                Column("expected_date", date, required=False),
                Column("tracking_code", required=False),
                Column("event_at", aware_datetime, required=False, to=None),
                Column("event_description", required=False, to=None),
                Column("event_location", required=False, to=None),
            ),
            refs=(ORDER,),
            derive=_delivery_details,
            after_save=_delivery_event,
        ),
    )
}


def get_kind(name):
    kind = KINDS.get(re.sub(r"[\s\-]+", "_", name.strip().lower()))
    if kind is None:
        raise ImportFileError(
            _("Unknown kind “%(kind)s”; use one of: %(kinds)s.")
            % {"kind": name, "kinds": ", ".join(KINDS)}
        )
    return kind


# Reading files.


def _blank(value):
    if isinstance(value, str):
        value = value.strip()
    return None if value is None or value == "" else value


def _is_blank(values):
    return all(_blank(value) is None for value in values)


def _column_name(header):
    return re.sub(r"[\s\-]+", "_", str(_blank(header) or "").lower())


def _csv_lines(path):
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("%(file)s is not UTF-8 text; export it from the ERP as UTF-8.") % {"file": path}
        ) from None
    header = next((line for line in content.splitlines() if line.strip()), "")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    lines, start = [], 1
    try:
        for values in reader:
            lines.append((start, values))
            # A quoted value may span lines; errors point at the line where the row starts.
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(
            _("%(file)s is not a readable CSV file (line %(line)d: %(error)s).")
            % {"file": path, "line": reader.line_num, "error": error}
        ) from None
    return lines


def _xlsx_lines(path):
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return list(enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1))
        finally:
            workbook.close()
    except Exception as error:  # openpyxl has no single error type for a damaged workbook
        raise ImportFileError(
            _("%(file)s is not a readable XLSX workbook (%(error)s).")
            % {"file": path, "error": str(error) or type(error).__name__}
        ) from None


def read_table(path):
    """The column names from the header row and the data rows as (line number, values)."""
    if not path.is_file():
        raise ImportFileError(_("File not found: %(file)s") % {"file": path})
    readers = {".csv": _csv_lines, ".xlsx": _xlsx_lines}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise ImportFileError(
            _("Cannot import %(file)s: the file must be .csv or .xlsx.") % {"file": path}
        )
    lines = [(n, values) for n, values in reader(path) if not _is_blank(values)]
    if not lines:
        raise ImportFileError(_("%(file)s is empty.") % {"file": path})
    (_line, header), *data = lines
    return [_column_name(h) for h in header], data


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
    """One file being imported: its rows, the lookups it has fetched, and what it has written."""

    def __init__(self, kind, path):
        self.kind = kind
        self.reason = f"ERP import {path.name}"
        lifecycle = getattr(kind.model, "lifecycle", None)
        self.status_field = lifecycle.field if lifecycle else None
        self.fields = {f.name: f for f in kind.model._meta.concrete_fields if not f.is_relation}
        self.existing = {}
        self._companies = {}
        self._carriers = None
        self._events = None

    def parse(self, header, data):
        columns = {column.name for column in self.kind.columns}
        positions = {name: i for i, name in enumerate(header) if name in columns}
        rows = []
        for line, values in data:
            row = Row(line)
            if not _is_blank(values[len(header) :]):
                row.errors.append(("", _("This row has more values than the header has columns.")))
            for column in self.kind.columns:
                position = positions.get(column.name)
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
                    row.errors.append((ref.columns[0], ref.unknown % {"key": label}))
                else:
                    row.refs[ref.name] = obj
                    row.values[f"{ref.name}_id"] = obj.pk
        for row in rows:
            if not row.errors and self.kind.derive:
                try:
                    self.kind.derive(row, self)
                except RowError as error:
                    row.errors.extend(error.errors)

    def write(self, rows, result):
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
                return
            else:
                setattr(result, outcome, getattr(result, outcome) + 1)
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
            if not kind.creates:
                raise RowError(
                    (
                        kind.columns[0].name,
                        _("Unknown %(model)s “%(key)s”; import it first.")
                        % {
                            "model": kind.model._meta.verbose_name,
                            "key": "-".join(str(part) for part in key),
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
            outcome = "created"
        else:
            status = values.pop(self.status_field, None) if self.status_field else None
            changed = [name for name, value in values.items() if getattr(obj, name) != value]
            for name in changed:
                setattr(obj, name, values[name])
            if changed:
                self.check(obj)
                if obj.pk is not None:
                    obj.save(update_fields=changed)
            if status is not None and status != getattr(obj, self.status_field):
                if obj.pk is None:
                    # Created earlier in this file and not inserted yet: it starts here.
                    setattr(obj, self.status_field, status)
                else:
                    self._transition(obj, status)
                changed.append(self.status_field)
            outcome = "updated" if changed else "unchanged"
        if kind.after_save and kind.after_save(obj, row, self) and outcome == "unchanged":
            outcome = "updated"
        return outcome

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

    def company_for(self, invoice_number):
        # A prefix has at most this many characters, so they alone decide the company.
        head = invoice_number[: Company._meta.get_field("invoice_prefix").max_length]
        if head not in self._companies:
            self._companies[head] = Company.objects.for_invoice_number(head)
        return self._companies[head]

    def carrier(self, name):
        if self._carriers is None:
            self._carriers = {c.name.casefold(): c for c in Carrier.objects.all()}
        if name.casefold() not in self._carriers:
            self._carriers[name.casefold()] = Carrier.objects.create(name=name)
        return self._carriers[name.casefold()]

    def delivery_events(self):
        if self._events is None:
            ids = {delivery.pk for delivery in self.existing.values()}
            fields = ("delivery_id", "occurred_at", "description")
            self._events = _fetch(DeliveryEvent.objects.all(), fields, ids)
        return self._events


def import_file(*, kind, path):
    """Imports one ERP file; if any row is bad, nothing from it is written.

    Returns a Result with the counts, or with the errors when the file was rolled back.
    Raises ImportFileError when the file as a whole cannot be read.
    """
    spec = get_kind(kind)
    path = Path(path)
    header, data = read_table(path)
    missing = [c.name for c in spec.columns if c.required and c.name not in header]
    if missing:
        raise ImportFileError(
            _("%(file)s lacks the columns that %(kind)s need: %(columns)s.")
            % {"file": path, "kind": spec.name, "columns": ", ".join(missing)}
        )
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    if duplicates:
        raise ImportFileError(
            _("%(file)s has these columns more than once: %(columns)s.")
            % {"file": path, "columns": ", ".join(duplicates)}
        )
    known = {column.name for column in spec.columns}
    result = Result(
        kind=spec.name,
        file=path.name,
        ignored_columns=[name for name in header if name and name not in known],
    )
    run = _Run(spec, path)
    with transaction.atomic():
        rows = run.parse(header, data)
        run.resolve(rows)
        run.write(rows, result)
        order = {column.name: i for i, column in enumerate(spec.columns)}
        result.errors = sorted(
            ((row.line, column, message) for row in rows for column, message in row.errors),
            key=lambda error: (error[0], order.get(error[1], -1)),
        )
        if result.errors:
            transaction.set_rollback(True)
        elif spec.after_file:
            spec.after_file(rows)
    if result.errors:
        result.created = result.updated = result.unchanged = 0
    return result
