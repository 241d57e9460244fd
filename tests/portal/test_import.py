"""`manage.py import_erp` against the sample files in samples/erp: the engine that every kind goes
through (reading, checking, the error report, chunks, the database's refusals) and the feed as a
whole. The kinds' own rules are tested with their apps (tests/orders, tests/commissions)."""

from decimal import Decimal

import pytest

from orders.models import Carrier, DeliveryEvent, Invoice, Order
from portal.models import StatusChange
from tests.portal.erp_helpers import (
    BROKEN,
    SAMPLES,
    failed_import,
    import_samples,
    run_import,
    write,
)


def test_sample_files_import_in_order(imported):
    assert imported == [
        "customers: 10 created, 0 updated, 0 unchanged",
        "orders: 12 created, 0 updated, 0 unchanged",
        "order_lines: 19 created, 0 updated, 0 unchanged",
        "invoices: 7 created, 0 updated, 0 unchanged",
        # Seven deliveries; the other rows add tracking events to them.
        "deliveries: 7 created, 7 updated, 0 unchanged",
        "installments: 12 created, 0 updated, 0 unchanged",
        "commissions: 12 created, 0 updated, 0 unchanged",
        "payments: 0 created, 5 updated, 0 unchanged",
    ]
    assert DeliveryEvent.objects.count() == 13
    assert sorted(Carrier.objects.values_list("name", flat=True)) == [
        "Braspress",
        "Correios",
        "Jadlog",
        "Total Express",
    ]


def test_reimporting_every_sample_changes_nothing(imported):
    history = StatusChange.objects.count()
    events = DeliveryEvent.objects.count()

    again = import_samples()

    assert again == [
        "customers: 0 created, 0 updated, 10 unchanged",
        "orders: 0 created, 0 updated, 12 unchanged",
        "order_lines: 0 created, 0 updated, 19 unchanged",
        "invoices: 0 created, 0 updated, 7 unchanged",
        "deliveries: 0 created, 0 updated, 14 unchanged",
        "installments: 0 created, 0 updated, 12 unchanged",
        "commissions: 0 created, 0 updated, 12 unchanged",
        "payments: 0 created, 0 updated, 5 unchanged",
    ]
    assert StatusChange.objects.count() == history
    assert DeliveryEvent.objects.count() == events
    assert Carrier.objects.count() == 4


def test_orders_csv_and_xlsx_hold_the_same_data(imported):
    # orders.xlsx has typed cells (numbers, date-times); the CSV has text. Same rows, same values.
    out, _err = run_import("orders", SAMPLES / "orders.csv")
    assert out == "orders: 0 created, 0 updated, 12 unchanged"


def test_status_change_from_the_erp_goes_through_the_lifecycle(imported, tmp_path):
    path = write(
        tmp_path,
        "orders-update.csv",
        "number;account_code;customer_code;status;created_at;total\n"
        "4500012306;M000000000LL;100235;Invoiced;2025-05-05 08:40;71.089,00\n",
    )

    out, _err = run_import("orders", path)

    assert out == "orders: 0 created, 1 updated, 0 unchanged"
    order = Order.objects.get(number="4500012306")
    assert order.status == Order.Status.INVOICED
    [change] = order.status_history()
    assert (change.from_status, change.to_status) == ("backlog", "invoiced")
    assert change.reason == "ERP import orders-update.csv"


def test_illegal_status_change_is_a_row_error_and_rolls_back_the_whole_file(imported):
    message, err = failed_import("orders", BROKEN / "orders_backwards.csv")

    assert message == "1 error in orders_backwards.csv; nothing from it was imported."
    assert err == "line 3, field status: order 4500012301 cannot go from “Completed” to “Placed”."
    # Line 2's legal move (backlog → invoiced) was rolled back with the rest of the file.
    assert Order.objects.get(number="4500012306").status == Order.Status.BACKLOG
    assert Order.objects.get(number="4500012301").status == Order.Status.COMPLETED
    assert not StatusChange.objects.filter(content_type__model="order").exists()


def test_rows_referring_to_rows_not_imported_yet_are_errors(erp_accounts):
    message, err = failed_import("order_lines", SAMPLES / "order_lines.csv")

    assert message == "19 errors in order_lines.csv; nothing from it was imported."
    assert err.splitlines()[0] == (
        "line 2, field order_number: Unknown order “4500012301”; import the orders first."
    )


def test_model_field_rules_are_reported_against_the_file_column(erp_accounts, tmp_path):
    run_import("customers", SAMPLES / "customers.csv")
    path = write(
        tmp_path,
        "orders.csv",
        "number,account_code,customer_code,status,created_at,total\n"
        "4500099001,M000000000LL,100231,placed,2025-05-05,10.005\n"
        f"{'9' * 25},M000000000LL,100231,shipped,2025-05-05,10.00\n",
    )

    _message, err = failed_import("orders", path)

    assert err.splitlines() == [
        "line 2, field total: Ensure that there are no more than 2 decimal places.",
        "line 3, field number: Ensure this value has at most 20 characters (it has 25).",
        "line 3, field status: Unknown value “shipped”; use one of: placed, credit_analysis, "
        "backlog, invoiced, completed, cancelled.",
    ]


def test_corrupt_xlsx_gives_a_clear_error(db):
    message, _err = failed_import("orders", BROKEN / "corrupt.xlsx")

    assert message.startswith(f"{BROKEN / 'corrupt.xlsx'} is not a readable XLSX workbook")
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("kind", "name", "content", "expected"),
    [
        ("shipments", "orders.csv", "number\n1\n", "Unknown kind “shipments”; use one of:"),
        ("orders", "missing.csv", None, "File not found:"),
        ("orders", "orders.txt", "number\n1\n", "the file must be .csv or .xlsx"),
        ("orders", "empty.csv", "", "is empty."),
        ("orders", "blank.csv", "\n ; \n", "is empty."),
        (
            "orders",
            "partial.csv",
            "number;status;total\n4500000001;placed;10,00\n",
            "lacks the columns that orders need: account_code, created_at.",
        ),
        ("customers", "latin1.csv", "code;cnpj;name\n1;2;Jo\xe3o\n".encode("latin-1"), "UTF-8"),
        ("customers", "twice.csv", "code;cnpj;name;name\n", "columns more than once: name."),
    ],
)
def test_files_that_cannot_be_imported_give_a_clear_error(
    db, tmp_path, kind, name, content, expected
):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")

    message, _err = failed_import(kind, path)

    assert expected in message


@pytest.mark.parametrize("kind", ["order-lines", "order lines", "Order_Lines"])
def test_kind_may_be_spelled_with_a_hyphen_or_a_space(erp_accounts, kind):
    import_samples(upto="orders")

    out, _err = run_import(kind, SAMPLES / "order_lines.csv")

    assert out == "order_lines: 19 created, 0 updated, 0 unchanged"


def test_unknown_columns_are_ignored_with_a_warning(db, tmp_path):
    path = write(
        tmp_path, "customers.csv", "code;cnpj;name;segment\n1;11.284.736/0001-55;X;retail\n"
    )

    out, err = run_import("customers", path)

    assert out == "customers: 1 created, 0 updated, 0 unchanged"
    assert err == "Ignored columns that customers do not use: segment."


def test_files_larger_than_a_lookup_batch_import_and_reimport(erp_accounts, tmp_path):
    rows = [f"45009{n:05d},M000000000LL,,placed,2025-05-05 10:00,{n}.50" for n in range(1200)]
    path = write(
        tmp_path,
        "many.csv",
        "number,account_code,customer_code,status,created_at,total\n" + "\n".join(rows),
    )

    assert run_import("orders", path)[0] == "orders: 1200 created, 0 updated, 0 unchanged"
    assert run_import("orders", path)[0] == "orders: 0 created, 0 updated, 1200 unchanged"
    assert Order.objects.get(number="4500901199").total == Decimal("1199.50")


def test_new_rows_the_database_refuses_are_reported_by_line(imported, tmp_path):
    # Unique by access key (the natural key), but also by number and series.
    path = write(
        tmp_path,
        "invoices-new.csv",
        "order_number,number,series,issued_at,access_key\n"
        f"4500012306,809200001,1,2025-05-09,{'1' * 44}\n"
        f"4500012308,809200001,1,2025-05-22,{'2' * 44}\n",
    )

    message, err = failed_import("invoices", path)

    assert message == "1 error in invoices-new.csv; nothing from it was imported."
    assert err.startswith("line 3: The database refused this row:")
    assert not Invoice.objects.filter(number="809200001").exists()


def test_an_update_the_database_refuses_stops_the_import(imported, tmp_path):
    path = write(
        tmp_path,
        "invoices-fix.csv",
        "order_number,number,series,issued_at,access_key\n"
        "4500012304,809104603,1,2025-04-16,35250401771935000215550018091046021637322140\n"
        "4500012302,809104511,1,2025-03-13,35250306241557000109550018790203311531423179\n"
        "4500012305,879020416,1,2025-04-24,35250406241557000109550018790204151531429059\n",
    )

    _message, err = failed_import("invoices", path)

    assert err.splitlines()[0].startswith("line 3: The database refused this row:")
    assert err.splitlines()[1] == "line 3: The import stopped at this row."
    assert Invoice.objects.filter(number="809104602").exists()
    assert not Invoice.objects.filter(number__in=["809104603", "879020416"]).exists()
