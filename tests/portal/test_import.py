"""`manage.py import_erp` against the sample files in samples/erp."""

import datetime as dt
import io
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from commissions.models import Commission, Installment
from orders.models import Carrier, Customer, Delivery, DeliveryEvent, Invoice, Order, OrderLine
from portal.models import StatusChange
from tests.commissions.helpers import assert_copies_match_their_sources
from tests.factories import ResellerAccountFactory

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "erp"
BROKEN = SAMPLES / "broken"
SAO_PAULO = zoneinfo.ZoneInfo("America/Sao_Paulo")
IN_ORDER = [
    ("customers", "customers.csv"),
    ("orders", "orders.xlsx"),
    ("order_lines", "order_lines.csv"),
    ("invoices", "invoices.csv"),
    ("deliveries", "deliveries.csv"),
    ("installments", "installments.csv"),
    ("commissions", "commissions.csv"),
    ("payments", "payments.csv"),
]


def run_import(kind, path):
    """Runs the command in English and returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("import_erp", kind, str(path), stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def failed_import(kind, path):
    """Runs a command that must fail; returns (the CommandError's message, stderr)."""
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("import_erp", kind, str(path), stdout=io.StringIO(), stderr=err)
    return str(raised.value), err.getvalue().strip()


def import_samples(upto=None):
    summaries = []
    for kind, name in IN_ORDER:
        summaries.append(run_import(kind, SAMPLES / name)[0])
        if kind == upto:
            break
    return summaries


def commission(invoice_number, installment):
    return Commission.objects.get(
        installment__invoice_number=invoice_number, installment__number=installment
    )


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def erp_accounts(reseller_a, reseller_b):
    """The reseller accounts that the sample files name (the demo uses the same codes)."""
    for reseller, codes in (
        (reseller_a, ["M000000000LL", "M000000017LL", "M000000023LL"]),
        (reseller_b, ["M000000000BB"]),
    ):
        for code in codes:
            ResellerAccountFactory(reseller=reseller, code=code)


@pytest.fixture
def imported(erp_accounts):
    return import_samples()


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


def test_imported_values_are_typed_and_linked(imported):
    bakery = Customer.objects.get(code="100238")
    assert bakery.cnpj == "12ABC34501DE35"  # the alphanumeric CNPJ, stored bare
    assert Customer.objects.get(code="100234").is_government

    order = Order.objects.get(number="4500012303")
    assert order.account.code == "M000000017LL"
    assert order.customer.name == "Prefeitura Municipal de Campinas"
    assert order.status == Order.Status.INVOICED
    assert order.created_at == dt.datetime(2025, 4, 2, 10, 30, tzinfo=SAO_PAULO)
    assert order.total == Decimal("94089.00")
    assert sum(line.total for line in order.lines.all()) == order.total

    assert Order.objects.get(number="4500012312").customer is None
    assert OrderLine.objects.get(order__number="4500012301", line_number=2).unit_price == Decimal(
        "1290.00"
    )

    installment = Installment.objects.get(invoice_number="879020415", number=2)
    assert installment.company.code == "IMT"
    assert installment.amount == Decimal("59465.13")
    assert installment.due_date == dt.date(2025, 6, 23)
    assert installment.order.number == "4500012305"

    assert Invoice.objects.get(number="829009876").order.number == "4500012303"
    delivery = Delivery.objects.get(order__number="4500012301")
    assert delivery.status == Delivery.Status.DELIVERED
    assert [event.location for event in delivery.events.all()] == [
        "São Paulo/SP",
        "Guarulhos/SP",
        "Ribeirão Preto/SP",
    ]


def test_imported_deliveries_and_commissions_fill_the_lists_copies(imported, tmp_path):
    assert_copies_match_their_sources()

    installment = Installment.objects.filter(commission__isnull=False).first()
    path = write(
        tmp_path,
        "installments-corrected.csv",
        "invoice_number,installment,account_code,customer_code,issue_date,due_date,amount\n"
        f"{installment.invoice_number},{installment.number},{installment.account.code},"
        f"{installment.customer.code},2024-01-02,{installment.due_date.isoformat()},"
        f"{installment.amount}\n",
    )
    run_import("installments", path)
    assert Commission.objects.get(installment=installment).issue_date == dt.date(2024, 1, 2)


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


def test_payment_releases_the_commission_and_records_it(imported):
    paid = commission("809104511", 1)
    assert paid.status == Commission.Status.RELEASED
    assert paid.installment.paid_date == dt.date(2025, 4, 5)
    assert paid.installment.paid_amount == Decimal("7410.00")
    [change] = paid.status_history()
    assert (change.from_status, change.to_status) == ("provisioned", "released")
    assert change.reason == "ERP import payments.csv"
    assert change.changed_by is None

    unpaid = commission("879020331", 2)
    assert unpaid.status == Commission.Status.PROVISIONED
    assert not unpaid.status_history().exists()


def test_government_commission_starts_on_hold_and_stays_there_after_payment(imported):
    held = commission("829009876", 1)
    assert held.sale_type == Commission.SaleType.GOVERNMENT
    assert held.installment.paid_date == dt.date(2025, 5, 10)
    assert held.status == Commission.Status.ON_HOLD
    assert held.hold_reason == "compliance approval"
    assert not held.status_history().exists()


def test_status_given_by_the_erp_is_used_for_a_new_commission(imported):
    # The sample gives the English label, "Cancelled".
    assert commission("829009901", 2).status == Commission.Status.CANCELLED


def test_commission_arriving_after_its_payment_starts_released(erp_accounts):
    import_samples(upto="installments")
    run_import("payments", SAMPLES / "payments.csv")

    run_import("commissions", SAMPLES / "commissions.csv")

    assert commission("809104511", 1).status == Commission.Status.RELEASED
    assert commission("829009876", 1).status == Commission.Status.ON_HOLD
    assert commission("879020331", 2).status == Commission.Status.PROVISIONED


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


def test_bad_installments_file_writes_nothing_and_reports_every_bad_row(erp_accounts):
    run_import("customers", SAMPLES / "customers.csv")

    message, err = failed_import("installments", BROKEN / "installments.csv")

    assert message == "4 errors in installments.csv; nothing from it was imported."
    assert err.splitlines() == [
        "line 3, field due_date: Enter a valid date.",
        "line 4, field account_code: Unknown reseller account “M999999999ZZ”.",
        "line 5, field amount: Enter a number such as 1234.56 or 1.234,56.",
        "line 6, field invoice_number: "
        "No company has an invoice prefix that matches invoice number “990000001”.",
    ]
    # Lines 2 and 7 are good, but nothing from a bad file is written.
    assert not Installment.objects.exists()


def test_bad_customers_file_reports_cnpj_missing_name_and_bad_flag(db):
    message, err = failed_import("customers", BROKEN / "customers.csv")

    assert message == "3 errors in customers.csv; nothing from it was imported."
    assert err.splitlines() == [
        "line 3, field cnpj: Enter a valid CNPJ.",
        "line 4, field name: This field is required.",
        "line 5, field is_government: Enter yes or no (1 or 0).",
    ]
    assert not Customer.objects.exists()


def test_rows_referring_to_rows_not_imported_yet_are_errors(erp_accounts):
    message, err = failed_import("order_lines", SAMPLES / "order_lines.csv")

    assert message == "19 errors in order_lines.csv; nothing from it was imported."
    assert err.splitlines()[0] == (
        "line 2, field order_number: Unknown order “4500012301”; import the orders first."
    )


def test_payment_of_an_unknown_installment_is_a_row_error(db, tmp_path):
    path = write(
        tmp_path,
        "payments.csv",
        "invoice_number,installment,paid_date,paid_amount\n809999999,1,2025-04-05,10.00\n",
    )

    _message, err = failed_import("payments", path)

    assert (
        err == "line 2, field invoice_number: Unknown installment “809999999-1”; import it first."
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


def test_new_tracking_event_and_status_update_an_existing_delivery(imported, tmp_path):
    path = write(
        tmp_path,
        "deliveries-today.csv",
        "order_number,carrier,status,expected_date,tracking_code,event_at,event_description\n"
        "4500012303,CORREIOS,delivered,2025-04-16,QB123456789BR,"
        "11/04/2025 15:02,Objeto entregue ao destinatário\n",
    )

    out, _err = run_import("deliveries", path)

    assert out == "deliveries: 0 created, 1 updated, 0 unchanged"
    delivery = Delivery.objects.get(order__number="4500012303")
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.carrier.name == "Correios"  # matched regardless of case
    assert delivery.events.last().occurred_at == dt.datetime(2025, 4, 11, 15, 2, tzinfo=SAO_PAULO)
    assert [c.to_status for c in delivery.status_history()] == ["delivered"]


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
