"""The "Baixar relatório consolidado" of Acompanhar comissões: exactly the filtered rows, in the
table's order, with typed cells, read back with openpyxl."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from commissions.tables import CommissionTable
from tests.commissions.helpers import S, commission, paid_commission, pks
from tests.factories import CustomerFactory, ResellerAccountFactory

LIST = reverse("commissions:list")
HEADERS = [str(column.header) for column in CommissionTable.export_columns]
COLUMN = {column.path: i for i, column in enumerate(CommissionTable.export_columns)}


def sheet_rows(response):
    """(header row, data rows) of the report, as openpyxl cells."""
    rows = list(load_workbook(BytesIO(b"".join(response.streaming_content))).active.iter_rows())
    return rows[0], rows[1:]


def exported(response, path="installment__invoice_number"):
    return [row[COLUMN[path]].value for row in sheet_rows(response)[1]]


def listed(client, params):
    """The invoice number and installment of every row the list shows, page after page."""
    seen, page = [], 1
    while True:
        response = client.get(LIST, {**params, "page": page, "per_page": 10})
        seen += [
            f"{r.record.installment.invoice_number}-{r.record.installment.number}"
            for r in response.context["table"].page.object_list
        ]
        if not response.context["table"].page.has_next():
            return seen
        page += 1


def exported_keys(response):
    _header, rows = sheet_rows(response)
    number, installment = COLUMN["installment__invoice_number"], COLUMN["installment__number"]
    return [f"{row[number].value}-{row[installment].value}" for row in rows]


@pytest.fixture
def many(account_a, reseller_a):
    """29 commissions of two accounts, with many equal dates, statuses and companies: ties."""
    branch = ResellerAccountFactory(reseller=reseller_a)
    statuses = [S.PROVISIONED, S.RELEASED, S.PAID]
    codes = ["IMB", "IMT", "BRLINK"]
    return [
        commission(
            branch if i % 4 == 0 else account_a,
            invoice_number=f"{8000 + (i * 37) % 29}",
            number=1 + i % 2,
            status=statuses[i % 3],
            code=codes[i % 3],
            issue_date=dt.date(2026, 1, 1 + i % 5),
            due_date=dt.date(2026, 2, 1 + i % 7),
            net=f"{i * 3}.{i:02d}",
        )
        for i in range(29)
    ]


def test_it_answers_an_attachment_named_with_the_date(client_for, alice, many):
    response = client_for(alice).get(LIST, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith("attachment")
    assert (
        f'filename="comissoes-{timezone.localdate():%Y-%m-%d}.xlsx"'
        in (response["Content-Disposition"])
    )


def test_the_first_row_is_the_header(client_for, alice, many):
    header, _rows = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))
    assert [cell.value for cell in header] == HEADERS
    assert all(cell.font.b for cell in header)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "invoice_number"},
        {"sort": "-net_amount"},
        {"sort": "status"},
        {"sort": "company"},
        {"sort": "due_date"},
        {"status": "released"},
        {"company": "IMT", "sort": "-issue_date"},
        {"issued_from": "2026-01-02", "issued_to": "2026-01-03", "sort": "customer"},
        {"due_from": "2026-02-03"},
    ],
)
def test_it_exports_exactly_the_listed_rows_in_the_same_order(params, client_for, alice, many):
    client = client_for(alice)
    rows = listed(client, params)
    assert rows
    response = client.get(LIST, {**params, "export": "xlsx", "page": 2, "per_page": 10})
    assert exported_keys(response) == rows


def test_the_report_sums_to_the_totals_above_the_table(client_for, alice, many):
    client = client_for(alice)
    params = {"status": "paid"}
    summary = client.get(LIST, params).context["summary"]
    values = exported(client.get(LIST, {**params, "export": "xlsx"}), "net_amount")
    assert len(values) == summary["count"]
    assert sum(Decimal(str(v)) for v in values) == summary["net_total"]


def test_another_resellers_rows_never_appear(client_for, alice, account_a, account_b):
    commission(account_a, invoice_number="8000000111")
    commission(account_b, invoice_number="8000000222")
    assert exported(client_for(alice).get(LIST, {"export": "xlsx"})) == ["8000000111"]


def test_another_resellers_account_in_the_filter_gives_no_report(
    client_for, charlie, account_a, account_b
):
    commission(account_a)
    commission(account_b)
    response = client_for(charlie).get(LIST, {"export": "xlsx", "account": account_a.pk})
    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert response.context["filter"].form.errors


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nope"},
        {"issued_from": "2026-02-30"},
        {"due_from": "2026-03-02", "due_to": "2026-03-01"},
        {"invoice": "abc"},
        {"customer": "cnpj?"},
        {"overdue": "sometimes"},
    ],
)
def test_invalid_filters_show_the_errors_instead_of_a_report_of_everything(
    params, client_for, alice, many
):
    response = client_for(alice).get(LIST, {**params, "export": "xlsx"})
    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert response.context["filter"].form.errors
    assert pks(response) == []


def test_an_empty_report_has_only_the_header(client_for, alice, account_a):
    header, rows = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx", "invoice": "1"}))
    assert [c.value for c in header] == HEADERS
    assert rows == []


def test_cells_are_typed(client_for, alice, account_a):
    made = paid_commission(
        account_a,
        code="IMT",
        invoice_number="0870000123",
        number=2,
        issue_date=dt.date(2026, 1, 5),
        due_date=dt.date(2026, 2, 4),
        paid_date=dt.date(2026, 2, 6),
        amount=Decimal("1500.00"),
        customer=CustomerFactory(code="007", cnpj="01771935000215", name="Padaria Pão Quente"),
        net="3072.85",
        nf_number="004471",
    )
    _header, [row] = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))

    def cell(path):
        return row[COLUMN[path]]

    for path, day in [
        ("issue_date", dt.date(2026, 1, 5)),
        ("due_date", dt.date(2026, 2, 4)),
        ("installment__paid_date", dt.date(2026, 2, 6)),
        ("payment_date", made.payment_date),
    ]:
        assert cell(path).value == dt.datetime.combine(day, dt.time()), path
        assert cell(path).number_format == "DD/MM/YYYY", path

    for path, value in [("net_amount", 3072.85), ("installment__amount", 1500.0)]:
        assert cell(path).data_type == "n", path
        assert cell(path).value == pytest.approx(value), path
        assert "R$" in cell(path).number_format, path

    assert cell("installment__number").data_type == "n"
    assert cell("installment__number").value == 2

    # Identifiers stay text: leading zeros survive, nothing is summed or shown as 8.7E+08.
    for path, value in [
        ("installment__invoice_number", "0870000123"),
        ("installment__customer__cnpj", "01771935000215"),
        ("payment_document", "5100041234"),
        ("service_invoice_number", "004471"),
        ("account__code", account_a.code),
        ("company__code", "IMT"),
    ]:
        assert cell(path).data_type == "s", path
        assert cell(path).value == value, path

    assert cell("installment__customer__name").value == "Padaria Pão Quente"
    assert cell("status").value == str(S.PAID.label)


def test_a_negative_commission_stays_a_negative_number(client_for, alice, account_a):
    commission(account_a, status=S.REVERSED, net="-120.50")
    _header, [row] = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))
    assert row[COLUMN["net_amount"]].value == pytest.approx(-120.50)
    assert row[COLUMN["net_amount"]].data_type == "n"


def test_an_unpaid_commission_has_empty_payment_cells(client_for, alice, account_a):
    commission(account_a)
    _header, [row] = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))
    for path in ["payment_date", "service_invoice_number", "installment__paid_date"]:
        assert row[COLUMN[path]].value is None, path


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+55 11", "-1+1", "@SUM(A1)"])
def test_a_value_that_looks_like_a_formula_is_written_as_text(name, client_for, alice, account_a):
    commission(account_a, customer=CustomerFactory(name=name))
    _header, [row] = sheet_rows(client_for(alice).get(LIST, {"export": "xlsx"}))
    cell = row[COLUMN["installment__customer__name"]]
    assert cell.data_type == "s"
    assert cell.value == name


def test_the_report_requires_the_track_module(client_for, bob, olga, account_a):
    commission(account_a)
    assert client_for(bob).get(LIST, {"export": "xlsx"}).status_code == 403
    assert client_for(olga).get(LIST, {"export": "xlsx"}).status_code == 403


def test_the_report_sends_anonymous_users_to_login(client, account_a):
    response = client.get(LIST, {"export": "xlsx"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
