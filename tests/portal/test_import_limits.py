"""`manage.py import_erp` against hostile files: each is refused with a clear message, or imported,
within bounded memory and time, and nothing from a refused file is written."""

import tracemalloc
import zipfile

import openpyxl
import pytest

from orders.models import Order, OrderMonth
from portal.models import StatusChange
from tests.factories import ResellerAccountFactory
from tests.portal.erp_helpers import failed_import, run_import

HEADER = ["number", "account_code", "customer_code", "status", "created_at", "total"]
MB = 1024 * 1024
# tracemalloc's peak while a file is imported may not exceed this: generous for a real import,
# far below what the hostile files cost before they were bounded (gigabytes).
MEMORY_BOUND = 100 * MB
SHARED_STRINGS = "xl/sharedStrings.xml"
SHEET = "xl/worksheets/sheet1.xml"


def order(n, account="M000000000LL", status="placed"):
    return [f"45{n:08d}", account, "", status, "2025-05-05 10:00", "10.50"]


def csv_file(tmp_path, rows, name="orders.csv", header=HEADER):
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as file:
        file.write(",".join(header) + "\n")
        file.writelines(",".join(row) + "\n" for row in rows)
    return path


def xlsx_file(tmp_path, rows, name="orders.xlsx", header=HEADER):
    book = openpyxl.Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def rewrite(path, parts):
    """Rewrites parts of a workbook, a zip of XML files. `parts` maps a part's name to a function
    of its content (None for a new part) that returns the new content as chunks of bytes, so
    that a part of hundreds of megabytes is never in memory at once."""
    with zipfile.ZipFile(path) as source:
        old = {info.filename: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name in [*old, *(parts.keys() - old.keys())]:
            with target.open(name, "w") as part:
                if name in parts:
                    for chunk in parts[name](old.get(name)):
                        part.write(chunk)
                else:
                    part.write(old[name])


def with_shared_strings(content_types):
    """The workbook's content types with a shared-string table, as Excel writes (openpyxl
    writes its strings inline)."""
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    yield content_types.replace(b"</Types>", override + b"</Types>")


def xml_around(content, marker, repeated, times, unit=10_000):
    """`content` with `repeated` written `times` times just before `marker`."""
    head, tail = content.split(marker)
    yield head
    for _ in range(times // unit):
        yield repeated * unit
    yield repeated * (times % unit) + marker + tail


def shared_strings(repeated, times):
    sst = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"></sst>'
    return xml_around(sst, b"</sst>", repeated, times)


def peak_memory(function, *args):
    """What `function` returns and the peak of memory it allocated."""
    tracemalloc.start()
    try:
        return function(*args), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def account(db):
    return ResellerAccountFactory(code="M000000000LL")


def test_an_xlsx_declaring_the_whole_sheet_as_its_dimension_imports_in_bounded_memory(
    account, tmp_path
):
    # openpyxl padded every row to the 16,384 columns that the sheet declares: 30,000 orders in
    # a file of 0.8 MB took 3.9 GB.
    path = xlsx_file(tmp_path, [order(n) for n in range(1000)])
    rewrite(
        path,
        {
            SHEET: lambda xml: [
                xml.replace(b'<dimension ref="A1:F1001" />', b'<dimension ref="A1:XFD1048576"/>')
            ]
        },
    )
    with zipfile.ZipFile(path) as workbook:
        assert b"A1:XFD1048576" in workbook.read(SHEET)

    (out, _err), peak = peak_memory(run_import, "orders", path)

    assert out == "orders: 1000 created, 0 updated, 0 unchanged"
    assert peak < MEMORY_BOUND


@pytest.mark.parametrize(
    "parts",
    [
        {
            "[Content_Types].xml": with_shared_strings,
            SHARED_STRINGS: lambda _none: shared_strings(b"<si><t>x</t></si>", 18_000_000),
        },
        {SHEET: lambda xml: xml_around(xml, b"</sheetData>", b"<row/>", 50_000_000)},
    ],
    ids=["shared strings", "sheet"],
)
def test_an_xlsx_zip_bomb_is_refused_before_it_inflates(account, tmp_path, parts):
    path = xlsx_file(tmp_path, [order(1)])
    rewrite(path, parts)
    with zipfile.ZipFile(path) as workbook:
        inflated = sum(info.file_size for info in workbook.infolist())
    assert path.stat().st_size < 2 * MB
    assert inflated > 250 * MB

    (message, _err), peak = peak_memory(failed_import, "orders", path)

    assert message == (
        f"{path} would take {-(-inflated // MB)} MB once uncompressed, more than the 200 MB a "
        "workbook may take (ERP_IMPORT_MAX_XLSX_UNCOMPRESSED_MB). Split it into smaller files."
    )
    assert peak < MEMORY_BOUND
    assert not Order.objects.exists()


def test_an_xlsx_whose_parts_lie_about_their_size_is_refused(account, tmp_path):
    path = xlsx_file(tmp_path, [order(1)])
    rewrite(path, {SHEET: lambda xml: xml_around(xml, b"</sheetData>", b"<row/>", 50_000_000)})
    # The central directory now says that the sheet inflates to 1 KB, so the declared sizes
    # add up to far below the limit; reading it must stop there all the same.
    data = bytearray(path.read_bytes())
    entry = data.find(b"PK\x01\x02")
    while data[entry + 46 : entry + 46 + len(SHEET)] != SHEET.encode():
        assert entry >= 0
        entry = data.find(b"PK\x01\x02", entry + 4)
    data[entry + 24 : entry + 28] = (1024).to_bytes(4, "little")
    path.write_bytes(data)
    with zipfile.ZipFile(path) as workbook:
        assert workbook.getinfo(SHEET).file_size == 1024

    (message, _err), peak = peak_memory(failed_import, "orders", path)

    assert message.startswith(f"{path} is not a readable XLSX workbook")
    assert peak < MEMORY_BOUND
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("marker", "repeated", "times", "reason"),
    [
        # A cell without a position is one column to the right of the one before: the last row
        # gets three million cells.
        (b"</row></sheetData>", b"<c/>", 3_000_000, "a row has more cells than Excel allows."),
        # openpyxl's parser keeps the elements outside the rows until the end of the sheet.
        (b"<sheetData>", b"<x/>", 3_000_000, "it has too many elements outside its rows."),
        # openpyxl yields an empty row for every row number up to this one.
        (
            b"</sheetData>",
            b'<row r="2000000000"><c r="A2000000000"><v>1</v></c></row>',
            1,
            "it has rows beyond Excel's last row, 1048576.",
        ),
        # An entity may expand each time it is used.
        (
            b"<worksheet",
            b'<!DOCTYPE worksheet [<!ENTITY x "x">]>',
            1,
            "it declares a DTD, which a workbook never does.",
        ),
    ],
    ids=["3000000 cells in a row", "3000000 elements", "row 2000000000", "DTD"],
)
def test_an_xlsx_shaped_to_blow_up_the_xml_parser_is_refused_in_bounded_memory(
    account, tmp_path, marker, repeated, times, reason
):
    path = xlsx_file(tmp_path, [order(1)])
    rewrite(path, {SHEET: lambda xml: xml_around(xml, marker, repeated, times)})
    assert path.stat().st_size < MB

    (message, _err), peak = peak_memory(failed_import, "orders", path)

    assert message == f"{path} is not a workbook that can be imported safely: {SHEET}: {reason}"
    assert peak < MEMORY_BOUND
    assert not Order.objects.exists()


def test_an_xlsx_with_more_shared_strings_than_its_rows_need_is_refused(
    account, tmp_path, settings
):
    settings.ERP_IMPORT_MAX_ROWS = 10
    path = xlsx_file(tmp_path, [order(1)])
    rewrite(
        path,
        {
            "[Content_Types].xml": with_shared_strings,
            SHARED_STRINGS: lambda _none: shared_strings(b"<si><t>x</t></si>", 51),
        },
    )

    message, _err = failed_import("orders", path)

    assert message == (
        f"{path} is not a workbook that can be imported safely: {SHARED_STRINGS}: it has more "
        "distinct texts than 10 rows (ERP_IMPORT_MAX_ROWS) would need; split it into smaller "
        "files."
    )


def test_a_file_with_many_bad_rows_reports_the_first_errors_and_how_many_more(account, tmp_path):
    path = csv_file(tmp_path, [order(n, status="shipped") for n in range(30_000)])

    message, err = failed_import("orders", path)

    assert message == "30000 errors in orders.csv; nothing from it was imported."
    lines = err.splitlines()
    assert len(lines) == 101
    assert lines[0] == (
        "line 2, field status: Unknown value “shipped”; use one of: placed, credit_analysis, "
        "backlog, invoiced, completed, cancelled."
    )
    assert lines[99].startswith("line 101, field status:")
    assert lines[100] == "… and 29900 more errors."


def test_the_error_report_keeps_to_the_limit_that_is_set(account, tmp_path, settings):
    settings.ERP_IMPORT_MAX_ERRORS = 2
    path = csv_file(tmp_path, [order(n, status="shipped") for n in range(3)])

    message, err = failed_import("orders", path)

    assert message == "3 errors in orders.csv; nothing from it was imported."
    assert err.splitlines()[2:] == ["… and 1 more error."]


def test_a_csv_with_200000_columns_is_refused_with_a_clear_message(account, tmp_path):
    header = HEADER + [f"extra_{n}" for n in range(200_000 - len(HEADER))]
    path = csv_file(tmp_path, [order(1)], header=header)

    message, _err = failed_import("orders", path)

    assert message == (
        f"{path} line 1 has more than 200 columns, the most a file may have "
        "(ERP_IMPORT_MAX_COLUMNS). Export only the columns the import needs."
    )
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("header", "sheet"),
    [
        (HEADER + [f"extra_{n}" for n in range(195)], None),
        # An empty cell far to the right, say one that was formatted, makes its row that wide.
        (
            HEADER,
            lambda xml: [xml.replace(b"</row></sheetData>", b'<c r="XFD2"/></row></sheetData>')],
        ),
    ],
    ids=["header", "data row"],
)
def test_an_xlsx_wider_than_the_column_limit_is_refused(account, tmp_path, header, sheet):
    path = xlsx_file(tmp_path, [order(1)], header=header)
    if sheet:
        rewrite(path, {SHEET: sheet})

    message, _err = failed_import("orders", path)

    line = 2 if sheet else 1
    assert message.startswith(f"{path} line {line} has more than 200 columns")
    assert not Order.objects.exists()


@pytest.mark.parametrize(("make", "name"), [(csv_file, "more.csv"), (xlsx_file, "more.xlsx")])
def test_a_file_with_more_rows_than_the_limit_is_refused_and_nothing_is_written(
    account, tmp_path, settings, make, name
):
    settings.ERP_IMPORT_MAX_ROWS = 50
    assert run_import("orders", make(tmp_path, [order(n) for n in range(50)]))[0] == (
        "orders: 50 created, 0 updated, 0 unchanged"
    )
    Order.objects.all().delete()
    OrderMonth.objects.all().delete()
    path = make(tmp_path, [order(n) for n in range(51)], name=name)

    message, _err = failed_import("orders", path)

    assert message == (
        f"{path} has more than 50 rows besides the header, the most a file may have "
        "(ERP_IMPORT_MAX_ROWS). Split it into files of at most 50 rows, each with the header row."
    )
    assert not Order.objects.exists()
    assert not OrderMonth.objects.exists()


def test_a_file_larger_than_the_limit_is_refused_and_nothing_is_written(
    account, tmp_path, settings
):
    settings.ERP_IMPORT_MAX_FILE_MB = 1
    path = csv_file(
        tmp_path,
        [[*order(n), "x" * 1000] for n in range(1100)],
        header=[*HEADER, "notes"],
    )

    message, _err = failed_import("orders", path)

    assert message == (
        f"{path} is 2 MB, more than the 1 MB a file may have (ERP_IMPORT_MAX_FILE_MB). "
        "Split it into smaller files."
    )
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("row", "line"),
    [
        # A field of 150,000 characters, in a column that the import ignores.
        ([*order(2), "x" * 150_000], 3),
        # An opening quote that is never closed makes the rest of the file one field.
        ([*order(2), '"an unbalanced quote'], 3),
    ],
    ids=["long field", "unbalanced quote"],
)
def test_an_over_long_csv_row_is_refused_and_nothing_is_written(account, tmp_path, row, line):
    rows = [[*order(1), ""], row] + [[*order(n), "x" * 100] for n in range(3, 2000)]
    path = csv_file(tmp_path, rows, header=[*HEADER, "notes"])

    message, _err = failed_import("orders", path)

    assert message == (
        f"{path} line {line} is longer than 100000 characters, the most a CSV row may have "
        "(ERP_IMPORT_MAX_CSV_LINE_CHARS). Check that its quotes are balanced."
    )
    assert not Order.objects.exists()


def test_a_file_six_times_larger_imports_in_the_same_memory(account, tmp_path):
    # The first import in a process allocates what every later one reuses.
    run_import("orders", csv_file(tmp_path, [order(n) for n in range(10)], name="first.csv"))
    small = csv_file(tmp_path, [order(n) for n in range(1000)], name="small.csv")
    large = csv_file(tmp_path, [order(n) for n in range(1000, 7000)], name="large.csv")

    _output, small_peak = peak_memory(run_import, "orders", small)
    (out, _err), large_peak = peak_memory(run_import, "orders", large)

    assert out == "orders: 6000 created, 0 updated, 0 unchanged"
    assert large_peak < 1.25 * small_peak


def test_a_record_repeated_in_a_later_chunk_starts_at_its_last_status(account, tmp_path):
    # Rows are written 500 at a time; the import reads the same however the rows fall.
    rows = [order(0)] + [order(n) for n in range(1, 700)] + [order(0, status="invoiced")]
    path = csv_file(tmp_path, rows)

    assert run_import("orders", path)[0] == "orders: 700 created, 1 updated, 0 unchanged"

    assert Order.objects.get(number=order(0)[0]).status == Order.Status.INVOICED
    assert not StatusChange.objects.exists()


def test_a_file_of_several_chunks_recounts_every_account_it_names(account, tmp_path):
    ResellerAccountFactory(code="M000000099LL")
    rows = [order(n) for n in range(600)] + [order(n, "M000000099LL") for n in range(600, 1200)]
    path = csv_file(tmp_path, rows)

    run_import("orders", path)

    counts = {
        code: sum(OrderMonth.objects.filter(account__code=code).values_list("count", flat=True))
        for code in ("M000000000LL", "M000000099LL")
    }
    assert counts == {"M000000000LL": 600, "M000000099LL": 600}
