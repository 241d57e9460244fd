"""The "Baixar relatório consolidado" of Status de pedidos: exactly the filtered rows, in the
table's order, with typed cells, read back with openpyxl."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from orders.models import Order
from orders.tables import OrderTable
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory
from tests.orders.helpers import full_order, local, numbers

LIST = reverse("orders:list")
HEADERS = [str(column.header) for column in OrderTable.export_columns]


def col(header):
    return HEADERS.index(str(header))


NUMBER = col(OrderTable.export_columns[1].header)


def workbook(response):
    return load_workbook(BytesIO(b"".join(response.streaming_content)))


def sheet_rows(response):
    """(header row, data rows) of the report, as openpyxl cells."""
    rows = list(workbook(response).active.iter_rows())
    return rows[0], rows[1:]


def exported_numbers(response):
    return [row[NUMBER].value for row in sheet_rows(response)[1]]


def listed_numbers(client, params):
    """Every row the list shows for `params`, page after page."""
    seen, page = [], 1
    while True:
        response = client.get(LIST, {**params, "page": page, "per_page": 10})
        seen += numbers(response)
        if not response.context["table"].page.has_next():
            return seen
        page += 1


@pytest.fixture
def many_orders(account_a):
    statuses = [Order.Status.PLACED, Order.Status.CREDIT_ANALYSIS, Order.Status.BACKLOG]
    return [
        OrderFactory(
            account=account_a,
            number=f"{900 + (i * 37) % 29}",
            status=statuses[i % 3],
            created_at=local(2026, 1, 1 + i % 5, 10),  # many equal dates: ties to settle
        )
        for i in range(29)
    ]


def test_it_answers_an_attachment_named_with_the_date(client_for, alice, many_orders):
    response = client_for(alice).get(LIST, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f'filename="pedidos-{timezone.localdate():%Y-%m-%d}.xlsx"' in disposition


def test_the_first_row_is_the_header(client_for, alice, many_orders):
    header, _rows = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))
    assert [cell.value for cell in header] == HEADERS
    assert all(cell.font.b for cell in header)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "number"},
        {"sort": "-number"},
        {"sort": "status"},
        {"sort": "created_at"},
        {"status": "placed"},
        {"status": "backlog", "sort": "-created_at"},
        {"created_from": "2026-01-02", "created_to": "2026-01-03", "sort": "customer"},
    ],
)
def test_it_exports_exactly_the_listed_rows_in_the_same_order(
    params, client_for, alice, many_orders
):
    client = client_for(alice)
    listed = listed_numbers(client, params)
    assert listed  # the comparison must be about rows, not two empty lists
    # page and per_page are the screen's; the report has every filtered row.
    response = client.get(LIST, {**params, "export": "xlsx", "page": 2, "per_page": 10})
    assert exported_numbers(response) == listed


def test_sorting_by_number_sorts_the_report(client_for, alice, account_a):
    for number in ["300", "100", "200"]:
        OrderFactory(account=account_a, number=number)
    response = client_for(alice).get(LIST, {"export": "xlsx", "sort": "number"})
    assert exported_numbers(response) == ["100", "200", "300"]


def test_another_resellers_rows_never_appear(client_for, alice, account_a, account_b):
    ours = OrderFactory(account=account_a, number="111")
    OrderFactory(account=account_b, number="222")
    response = client_for(alice).get(LIST, {"export": "xlsx"})
    assert exported_numbers(response) == [ours.number]


def test_another_resellers_account_in_the_filter_gives_no_report(
    client_for, charlie, account_a, account_b
):
    OrderFactory(account=account_a)
    OrderFactory(account=account_b)
    response = client_for(charlie).get(LIST, {"export": "xlsx", "account": account_a.pk})
    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert response.context["filter"].form.errors


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nope"},
        {"created_from": "2026-02-30"},
        {"created_from": "2026-03-02", "created_to": "2026-03-01"},
        {"number": "abc"},
    ],
)
def test_invalid_filters_show_the_errors_instead_of_a_report_of_everything(
    params, client_for, alice, many_orders
):
    response = client_for(alice).get(LIST, {**params, "export": "xlsx"})
    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert response["Content-Type"].startswith("text/html")
    assert response.context["filter"].form.errors


def test_bad_paging_does_not_stop_the_report(client_for, alice, many_orders):
    response = client_for(alice).get(LIST, {"export": "xlsx", "page": "abc", "per_page": "7"})
    assert response["Content-Disposition"].startswith("attachment")
    assert len(exported_numbers(response)) == len(many_orders)


def test_an_empty_report_has_only_the_header(client_for, alice, account_a):
    response = client_for(alice).get(LIST, {"export": "xlsx", "customer": "ninguém"})
    header, rows = sheet_rows(response)
    assert [c.value for c in header] == HEADERS
    assert rows == []


def test_cells_are_typed(client_for, alice, account_a):
    customer = CustomerFactory(code="007", cnpj="01771935000215", name="Padaria Pão Quente")
    order = full_order(
        account_a,
        number="0810000123",
        customer=customer,
        created_at=local(2026, 3, 10, 23, 30),  # already 11/03 in UTC
        total=Decimal("3072.85"),
    )
    invoice = order.invoices.get()
    invoice.issued_at = dt.date(2026, 3, 11)
    invoice.number = "004455"
    invoice.save()

    _header, [row] = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))
    cells = dict(zip(HEADERS, row, strict=True))
    columns = {column.path: str(column.header) for column in OrderTable.export_columns}

    created = cells[columns["created_at"]]
    assert created.value == dt.datetime(2026, 3, 10, 23, 30)  # local time, not UTC
    assert created.number_format.startswith("DD/MM/YYYY")

    issued = cells[columns["first_invoice_date"]]
    assert issued.value == dt.datetime(2026, 3, 11)
    assert issued.number_format == "DD/MM/YYYY"

    expected = cells[columns["delivery__expected_date"]]
    assert expected.value == dt.datetime.combine(order.delivery.expected_date, dt.time())
    assert expected.number_format == "DD/MM/YYYY"

    total = cells[columns["total"]]
    assert total.data_type == "n"
    assert total.value == pytest.approx(3072.85)
    assert "R$" in total.number_format

    # Identifiers stay text: leading zeros survive, nothing is summed or shown as 8.1E+08.
    for path, value in [
        ("number", "0810000123"),
        ("customer__code", "007"),
        ("customer__cnpj", "01771935000215"),
        ("first_invoice_number", "004455"),
    ]:
        assert cells[columns[path]].data_type == "s", path
        assert cells[columns[path]].value == value, path

    assert cells[columns["status"]].value == order.get_status_display()
    assert cells[columns["delivery__status"]].value == order.delivery.get_status_display()
    assert cells[columns["customer__name"]].value == "Padaria Pão Quente"


def test_an_order_without_customer_invoice_or_delivery_has_empty_cells(
    client_for, alice, account_a
):
    OrderFactory(account=account_a, customer=None, number="55")
    _header, [row] = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))
    values = dict(zip(HEADERS, (cell.value for cell in row), strict=True))
    assert values[HEADERS[NUMBER]] == "55"
    empty = ["customer__name", "first_invoice_number", "first_invoice_date", "delivery__status"]
    columns = {column.path: str(column.header) for column in OrderTable.export_columns}
    assert all(values[columns[path]] is None for path in empty)


def test_the_first_invoice_is_the_one_reported(client_for, alice, account_a):
    order = OrderFactory(account=account_a)
    InvoiceFactory(order=order, number="2", issued_at=dt.date(2026, 3, 12))
    InvoiceFactory(order=order, number="1", issued_at=dt.date(2026, 3, 11))
    _header, [row] = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))
    columns = {column.path: i for i, column in enumerate(OrderTable.export_columns)}
    assert row[columns["first_invoice_number"]].value == "1"


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+55 11", "-1+1", "@SUM(A1)", "=1+1"])
def test_a_value_that_looks_like_a_formula_is_written_as_text(name, client_for, alice, account_a):
    OrderFactory(account=account_a, customer=CustomerFactory(name=name))
    _header, [row] = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))
    columns = {column.path: i for i, column in enumerate(OrderTable.export_columns)}
    cell = row[columns["customer__name"]]
    assert cell.data_type == "s"
    assert cell.value == name


def test_control_characters_do_not_break_the_workbook(client_for, alice, account_a):
    OrderFactory(account=account_a, customer=CustomerFactory(name="Bad\x01Name\x0b"))
    _header, [row] = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))
    columns = {column.path: i for i, column in enumerate(OrderTable.export_columns)}
    assert row[columns["customer__name"]].value == "BadName"


def test_the_report_requires_the_orders_module(client_for, bob, account_a):
    OrderFactory(account=account_a)
    assert client_for(bob).get(LIST, {"export": "xlsx"}).status_code == 403


def test_the_report_sends_anonymous_users_to_login(client, account_a):
    response = client.get(LIST, {"export": "xlsx"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_an_unknown_export_format_shows_the_page(client_for, alice, many_orders):
    response = client_for(alice).get(LIST, {"export": "csv"})
    assert response.status_code == 200
    assert "Content-Disposition" not in response
