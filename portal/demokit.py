"""The generic parts of the demo data set behind `manage.py demo_data`; no area app in here.

The data set is built by steps, one or more per area app (`<app>/demo.py`), that the `demo` app
runs in the order of `settings.DEMO_STEPS`. They share one `Context`: the seed and "today", and
whatever earlier steps made. Every random choice comes from `random.Random` seeded per section
(`Context.rng`), and every date is counted back from "today": the same day always gives the same
data set, and the dashboards always show recent activity.

Writes go through `insert` (bulk_create in batches) or, for a row whose creation moment is an
`auto_now_add` field, through `insert_dated`; derived data (rollups, copies) is refreshed by each
step with the models' own bulk refreshes.
"""

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from portal import cnpj
from portal.models import StatusChange

BATCH = 1000
CENT = Decimal("0.01")
DAY = dt.timedelta(days=1)
HOURS_1 = dt.timedelta(hours=1)
HOURS_3 = dt.timedelta(hours=3)
HISTORY_DAYS = 456  # about fifteen months: how far back the data set goes


class DemoError(Exception):
    """The database cannot take the demo data set, e.g. the companies are missing."""


# -- the steps and what they share ----------------------------------------------------------------


def _nothing(ctx):
    pass


def _there(ctx):
    return True


@dataclass(frozen=True)
class Step:
    """One area app's part of the data set; `settings.DEMO_STEPS` lists them, in order.

    `build` writes the part; `wipe` deletes it and whatever a user of the demo added under it
    (the steps wipe in reverse order, before a rebuild); `reset` puts the demo logins back on a
    database that has the data set already; `present` says whether the part is there.
    """

    build: Callable
    wipe: Callable = _nothing
    reset: Callable = _nothing
    present: Callable = _there


class Context:
    """What the steps share: the options, "today", the counts, the history, and (as attributes
    that each step documents) what earlier steps made."""

    def __init__(self, *, seed, size, today=None, files=True):
        self.seed = seed
        self.size = size  # the first reseller's orders (`--orders`)
        self.files = files  # whether to write the invoices' files
        self.today = today or timezone.localdate()
        # Nothing happens later than yesterday, so no timestamp is in the future whatever the hour.
        self.last_day = self.today - DAY
        self.tz = timezone.get_default_timezone()
        self.counts = {}  # what was built, in the order the command prints it
        self.history = History()

    def rng(self, section):
        # One generator per section, so changing one part of the data set leaves the rest alone.
        return random.Random(f"{self.seed}:{section}")

    def day(self, days_ago):
        return self.today - dt.timedelta(days=days_ago)

    def at(self, day, hour, minute=0):
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)), self.tz)

    def clip(self, day):
        return min(day, self.last_day)


@dataclass
class HistoryEntry:
    obj: object
    frm: str
    to: str
    at: dt.datetime
    by: object = None
    reason: str = ""


class History:
    """StatusChange rows, queued while their subjects may be unsaved and written with the
    moments they happened at."""

    def __init__(self):
        self.entries = []
        self.written = 0

    def record(self, obj, frm, to, at, by=None, *, reason=""):
        """Queues a move of `obj`, which may still be unsaved: its pk is read by `write`."""
        self.entries.append(HistoryEntry(obj, frm, to, at, by, reason))

    def write(self):
        """Writes every queued move, in the order they were recorded."""
        rows = [
            StatusChange(
                content_type=ContentType.objects.get_for_model(type(entry.obj)),
                object_id=entry.obj.pk,
                from_status=entry.frm,
                to_status=entry.to,
                changed_by=entry.by,
                changed_at=entry.at,
                reason=entry.reason,
            )
            for entry in self.entries
        ]
        insert_dated(StatusChange, rows, "changed_at")
        self.written += len(rows)
        self.entries = []


# -- writing --------------------------------------------------------------------------------------


def insert(model, objs):
    """Inserts `objs` in batches; with the backends the portal runs on, each gets its pk."""
    return model.objects.bulk_create(objs, batch_size=BATCH)


def insert_dated(model, objs, field_name):
    """Inserts `objs` keeping the moments they carry in `field_name`, an auto_now_add field.

    auto_now_add stamps every insert with the current time, bulk_create included, and that is
    right for the portal: a status change, an access change, a request happen when they are
    saved. The demo has a past, so it writes each row's moment back right after the insert, in
    the same transaction, with QuerySet.update(), which Django documents as the way to give such
    a field a value of one's own (it calls no pre_save). One UPDATE per distinct moment: the
    moments repeat (a request's commissions move together), so this is a few thousand cheap
    statements for the whole data set, where bulk_update would build one CASE per row.
    """
    objs = list(objs)
    moments = [getattr(obj, field_name) for obj in objs]
    insert(model, objs)
    rows_at = defaultdict(list)
    for obj, moment in zip(objs, moments, strict=True):
        setattr(obj, field_name, moment)
        rows_at[moment].append(obj.pk)
    for moment, pks in rows_at.items():
        for start in range(0, len(pks), BATCH):
            model.objects.filter(pk__in=pks[start : start + BATCH]).update(**{field_name: moment})
    return objs


def save_files(jobs):
    """Stores (instance, field name, file name, bytes) through Django storage, several at a time.

    A stale leftover under the same name is replaced, so names stay deterministic: storage
    would otherwise add a random suffix. The threads only overlap waiting on the disk.
    """
    storage = default_storage
    names = [
        instance._meta.get_field(field_name).generate_filename(instance, filename)
        for instance, field_name, filename, _ in jobs
    ]

    def save(name, content):
        if storage.exists(name):
            storage.delete(name)
        return storage.save(name, ContentFile(content))

    with ThreadPoolExecutor(max_workers=8) as pool:
        saved = list(pool.map(save, names, [job[3] for job in jobs]))
    for (instance, field_name, _, _), name in zip(jobs, saved, strict=True):
        setattr(instance, field_name, name)


def stored_files(queryset, *fields):
    """The names of the files that the rows of `queryset` keep in `fields`."""
    return [name for names in queryset.values_list(*fields) for name in names if name]


def delete_files(names):
    """Deletes stored files, several at a time; deleted now rather than on commit, because a
    rebuild writes files under the same names."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(default_storage.delete, names))


def unreferenced(queryset):
    """The rows of `queryset` that no row refers to by a foreign key: those a wipe may delete."""
    return queryset.filter(**{rel.name: None for rel in queryset.model._meta.related_objects})


def delete_history(queryset):
    """Deletes the status history of the rows of `queryset`: it points at its subject without a
    foreign key, so it goes first, by subquery."""
    StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(queryset.model),
        object_id__in=queryset.values("pk"),
    ).delete()


# -- documents and identifiers --------------------------------------------------------------------


def make_cnpj(root8, branch=1):
    base = f"{root8}{branch:04d}"
    return base + cnpj.check_digits(base)


def nfe_access_key(*, state_code, issued, issuer_cnpj, series, number, random_code):
    """The 44-digit NF-e access key: 43 digits of data and a modulo-11 check digit."""
    body = (
        f"{state_code}{issued:%y%m}{issuer_cnpj}55{int(series):03d}{int(number):09d}"
        f"1{random_code:08d}"
    )
    total = sum(int(d) * (2 + i % 8) for i, d in enumerate(reversed(body)))
    remainder = total % 11
    return body + str(0 if remainder < 2 else 11 - remainder)


def _pdf_text(line):
    line = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return line.encode("cp1252", errors="replace")


def minimal_pdf(lines):
    """A one-page PDF with the given text lines, in Helvetica (WinAnsi, so accents show)."""
    stream = b"BT /F1 11 Tf 56 790 Td 16 TL\n"
    stream += b"".join(b"(" + _pdf_text(line) + b") '\n" for line in lines) + b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def brl(amount):
    """R$ 3.072,85: money in the files as a Brazilian reader expects it."""
    whole, cents = f"{amount:,.2f}".split(".")
    return f"R$ {whole.replace(',', '.')},{cents}"


def format_date(day):
    return f"{day:%d/%m/%Y}"


def cents(value):
    return (Decimal(value) / 100).quantize(CENT)
