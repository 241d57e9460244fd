"""Acompanhar comissões: the list (access, scoping, every filter, totals, bad input, htmx) and the
commission's detail page (installment, company, customer, status history, payment)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from commissions.models import Commission
from nfreport.models import ServiceInvoice
from portal.cnpj import format_cnpj
from tests.commissions.helpers import (
    S,
    commission,
    days_ago,
    form_errors,
    paid_commission,
    pks,
    today,
    tracker,
)
from tests.factories import CustomerFactory, ResellerAccountFactory, StaffFactory

LIST = reverse("commissions:list")
HTMX = {"HX-Request": "true", "HX-Target": "list-results"}


def detail(made):
    return reverse("commissions:detail", args=[made.pk])


@pytest.fixture
def a_commission(account_a):
    return commission(account_a, invoice_number="8000000001", status=S.RELEASED)


@pytest.fixture
def b_commission(account_b):
    return commission(account_b, invoice_number="8000000009", status=S.RELEASED)


@pytest.fixture
def tina(reseller_a):
    return tracker(reseller_a)


# Access and scoping -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["tina", "alice"])
def test_the_track_module_and_admins_see_their_resellers_commissions(
    who, request, client_for, a_commission
):
    response = client_for(request.getfixturevalue(who)).get(LIST)
    assert response.status_code == 200
    assert pks(response) == [a_commission.pk]


@pytest.mark.parametrize("who", ["bob", "olga"])
def test_it_requires_the_commissions_track_module(who, request, client_for, a_commission):
    assert client_for(request.getfixturevalue(who)).get(LIST).status_code == 403


def test_it_sends_anonymous_users_to_login(client, a_commission):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_it_refuses_staff_who_are_not_reseller_users(client_for, stella, a_commission):
    assert client_for(stella).get(LIST).status_code == 403


def test_another_reseller_never_sees_our_commissions(
    client_for, charlie, a_commission, b_commission
):
    response = client_for(charlie).get(LIST)
    assert pks(response) == [b_commission.pk]
    assert "8000000001" not in response.text


def test_choosing_another_resellers_account_is_a_form_error_not_data(
    client_for, charlie, account_a, a_commission, b_commission
):
    response = client_for(charlie).get(LIST, {"account": account_a.pk})
    assert response.status_code == 200
    assert form_errors(response) == {"account": ["invalid_choice"]}
    assert pks(response) == []
    assert "8000000001" not in response.text


def test_revenda_offers_consolidated_and_only_our_accounts(
    client_for, alice, reseller_a, account_a, account_b
):
    second = ResellerAccountFactory(reseller=reseller_a)
    response = client_for(alice).get(LIST)
    field = response.context["filter"].form["account"].field
    values = [str(value) for value, _label in field.choices]
    assert values[0] == ""
    assert sorted(values[1:]) == sorted([str(account_a.pk), str(second.pk)])
    assert gettext("Consolidated") in response.text
    assert account_b.code not in response.text


def test_the_page_has_the_seeds_labels(client_for, alice):
    text = client_for(alice).get(LIST).text
    for label in (
        "Track commissions",
        "Filter commissions",
        "Reseller",
        "Company",
        "Commission status",
        "Customer",
        "Invoice no.",
        "Issued from",
        "Due until",
        "Download consolidated report",
    ):
        assert gettext(label) in text, label
    assert gettext("Track commissions") == "Acompanhar comissões"


# Filters ----------------------------------------------------------------------------------------


def test_account_filter_shows_only_that_accounts_commissions(
    client_for, alice, reseller_a, account_a
):
    other = ResellerAccountFactory(reseller=reseller_a)
    mine = commission(account_a)
    commission(other)
    assert pks(client_for(alice).get(LIST, {"account": account_a.pk})) == [mine.pk]


def test_consolidated_shows_every_account_of_the_reseller(client_for, alice, reseller_a, account_a):
    other = ResellerAccountFactory(reseller=reseller_a)
    made = {commission(account_a).pk, commission(other).pk}
    assert set(pks(client_for(alice).get(LIST, {"account": ""}))) == made


def test_company_filter_takes_the_companys_code(client_for, alice, account_a):
    imt = commission(account_a, code="IMT", invoice_number="8700000001")
    commission(account_a, code="IMB")
    commission(account_a, code="BRLINK", invoice_number="8200000001")
    assert pks(client_for(alice).get(LIST, {"company": "IMT"})) == [imt.pk]


def test_status_filter(client_for, alice, account_a):
    held = commission(account_a, status=S.ON_HOLD)
    commission(account_a, status=S.RELEASED)
    assert pks(client_for(alice).get(LIST, {"status": "on_hold"})) == [held.pk]


@pytest.mark.parametrize("typed", ["01771935000215", "01.771.935/0002-15", " 01.771.935/0002-15 "])
def test_customer_cnpj_matches_with_or_without_punctuation(typed, client_for, alice, account_a):
    wanted = commission(account_a, customer=CustomerFactory(cnpj="01771935000215"))
    commission(account_a, customer=CustomerFactory(cnpj="06241557000109"))
    assert pks(client_for(alice).get(LIST, {"customer": typed})) == [wanted.pk]


def test_a_partial_cnpj_matches_from_the_start(client_for, alice, account_a):
    wanted = commission(account_a, customer=CustomerFactory(cnpj="01771935000215"))
    commission(account_a, customer=CustomerFactory(cnpj="06241557000109"))
    assert pks(client_for(alice).get(LIST, {"customer": "01.771.935"})) == [wanted.pk]


def test_invoice_number_filter_matches_the_whole_number(client_for, alice, account_a):
    first = commission(account_a, invoice_number="8012345", number=1)
    second = commission(account_a, invoice_number="8012345", number=2)
    commission(account_a, invoice_number="80123456")
    assert set(pks(client_for(alice).get(LIST, {"invoice": "8012345"}))) == {first.pk, second.pk}


def test_issue_dates_are_inclusive(client_for, alice, account_a):
    def issued(day):
        return commission(account_a, issue_date=dt.date(2026, 3, day)).pk

    issued(9)
    first, last = issued(10), issued(12)
    issued(13)
    response = client_for(alice).get(LIST, {"issued_from": "2026-03-10", "issued_to": "2026-03-12"})
    assert set(pks(response)) == {first, last}


def test_due_dates_are_inclusive(client_for, alice, account_a):
    def due(day):
        return commission(account_a, due_date=dt.date(2026, 4, day)).pk

    due(1)
    first, last = due(2), due(5)
    due(6)
    response = client_for(alice).get(LIST, {"due_from": "2026-04-02", "due_to": "2026-04-05"})
    assert set(pks(response)) == {first, last}


@pytest.fixture
def invoices_by_payment(account_a):
    """{name: commission}: one overdue installment, and one of each thing it is not."""
    return {
        "overdue": commission(account_a, due_date=days_ago(1)),
        "overdue on hold": commission(account_a, due_date=days_ago(40), status=S.ON_HOLD),
        "due today": commission(account_a, due_date=today()),
        "paid late": commission(
            account_a, due_date=days_ago(10), paid_date=days_ago(2), status=S.RELEASED
        ),
        "cancelled": commission(account_a, due_date=days_ago(10), status=S.CANCELLED),
        "paid, still on hold": commission(
            account_a, due_date=days_ago(10), paid_date=days_ago(12), status=S.ON_HOLD
        ),
        # Released means the payment was identified: not overdue even without a payment date.
        "released": commission(account_a, due_date=days_ago(10), status=S.RELEASED),
    }


def test_overdue_means_past_due_unpaid_and_still_owed(client_for, alice, invoices_by_payment):
    response = client_for(alice).get(LIST, {"overdue": "true"})
    made = invoices_by_payment
    assert set(pks(response)) == {made["overdue"].pk, made["overdue on hold"].pk}


def test_not_overdue_is_everything_else(client_for, alice, invoices_by_payment):
    response = client_for(alice).get(LIST, {"overdue": "false"})
    made = invoices_by_payment
    assert set(pks(response)) == {
        made["due today"].pk,
        made["paid late"].pk,
        made["cancelled"].pk,
        made["paid, still on hold"].pk,
        made["released"].pk,
    }


def test_filters_combine(client_for, alice, account_a):
    wanted = commission(account_a, code="IMT", status=S.RELEASED, invoice_number="8700000001")
    commission(account_a, code="IMT", status=S.PROVISIONED, invoice_number="8700000002")
    commission(account_a, code="IMB", status=S.RELEASED)
    response = client_for(alice).get(LIST, {"company": "IMT", "status": "released"})
    assert pks(response) == [wanted.pk]


def test_the_filter_form_keeps_the_values_it_was_given(client_for, alice, account_a):
    response = client_for(alice).get(LIST, {"customer": "01.771", "status": "released"})
    assert 'value="01.771"' in response.text
    assert '<option value="released" selected>' in response.text


# Totals -----------------------------------------------------------------------------------------


def totals(response):
    return response.context["summary"]


def test_totals_count_and_sum_every_filtered_row_not_only_the_page(client_for, alice, account_a):
    for i in range(13):
        commission(account_a, status=S.RELEASED, net=f"{10 + i}.25")
    commission(account_a, status=S.PAID, net="999.99")
    response = client_for(alice).get(LIST, {"status": "released"})
    assert len(pks(response)) == 10  # one page of 10 …
    expected = sum(Decimal(f"{10 + i}.25") for i in range(13))
    assert totals(response) == {"count": 13, "net_total": expected}  # … totals of all 13
    assert expected == Decimal("211.25")
    assert "R$ 211,25" in response.text
    assert 'data-testid="totals-count">13<' in response.text


def test_totals_equal_the_rows_shown_and_follow_the_filters(client_for, alice, account_a):
    commission(account_a, code="IMB", net="1500.10")
    commission(account_a, code="IMT", net="72.75", invoice_number="8700000001")
    commission(account_a, code="IMT", net="-10.00", invoice_number="8700000002")  # a reversal
    client = client_for(alice)
    response = client.get(LIST, {"company": "IMT", "per_page": "100"})
    rows = [row.record for row in response.context["table"].page.object_list]
    assert totals(response)["count"] == len(rows) == 2
    assert totals(response)["net_total"] == sum(r.net_amount for r in rows) == Decimal("62.75")


def test_totals_with_thousands_use_brazilian_formatting(client_for, alice, account_a):
    commission(account_a, net="3072.85")
    commission(account_a, net="1000.00")
    assert "R$ 4.072,85" in client_for(alice).get(LIST).text


@pytest.mark.parametrize("params", [{"invoice": "123"}, {"status": "paid"}])
def test_totals_of_nothing_are_zero(client_for, alice, account_a, params):
    commission(account_a, status=S.RELEASED)
    response = client_for(alice).get(LIST, params)
    assert totals(response) == {"count": 0, "net_total": Decimal("0")}
    assert "R$ 0,00" in response.text


def test_totals_never_count_another_resellers_commissions(
    client_for, alice, a_commission, b_commission
):
    assert totals(client_for(alice).get(LIST))["count"] == 1


def test_invalid_filters_show_no_totals(client_for, alice, a_commission):
    response = client_for(alice).get(LIST, {"status": "nope"})
    assert 'data-testid="totals"' not in response.text


def test_the_htmx_partial_has_the_totals_above_the_table(client_for, alice, account_a):
    commission(account_a, net="12.34")
    response = client_for(alice).get(LIST, headers=HTMX)
    assert [t.name for t in response.templates][0] == "portal/list_results.html"
    text = response.text
    assert "R$ 12,34" in text
    assert text.index('data-testid="totals"') < text.index("<table")


# Columns, sorting, links ------------------------------------------------------------------------


def test_rows_show_the_seeds_columns(client_for, alice, account_a):
    made = paid_commission(
        account_a,
        net="3072.85",
        invoice_number="8012345678",
        number=2,
        issue_date=dt.date(2026, 1, 5),
        due_date=dt.date(2026, 2, 4),
        customer=CustomerFactory(name="Padaria Pão Quente", cnpj="01771935000215"),
        nf_number="4471",
    )
    response = client_for(alice).get(LIST)
    text = response.text
    headers = [
        "Invoice no.",
        "Installment",
        "Company",
        "Issued on",
        "Due on",
        "Customer",
        "Net commission",
        "Commission payment date",
        "Commission payment doc.",
        "Reseller NF",
        "Status",
    ]
    table = response.context["table"]
    assert [str(column.header) for column in table.columns] == [gettext(h) for h in headers]
    for value in [
        "8012345678",
        "05/01/2026",
        "04/02/2026",
        "Padaria Pão Quente",
        "01.771.935/0002-15",
        "R$ 3.072,85",
        made.payment_date.strftime("%d/%m/%Y"),
        "5100041234",
        "4471",
        gettext("Paid"),
    ]:
        assert value in text, value


def test_the_reseller_nf_is_the_latest_of_the_request(client_for, alice, account_a):
    made = paid_commission(account_a, nf_number="100")
    ServiceInvoice.objects.create(
        request=made.request, number="101", series="1", amount=1, pdf="x.pdf"
    )
    table = client_for(alice).get(LIST).context["table"]
    assert [row.get_cell("service_invoice") for row in table.page.object_list] == ["101"]


def test_a_commission_without_request_shows_a_dash_for_the_nf(client_for, alice, a_commission):
    table = client_for(alice).get(LIST).context["table"]
    assert [row.get_cell("service_invoice") for row in table.page.object_list] == ["—"]


def test_it_sorts_by_issue_date_newest_first(client_for, alice, account_a):
    old = commission(account_a, issue_date=dt.date(2026, 1, 1))
    new = commission(account_a, issue_date=dt.date(2026, 2, 1))
    assert pks(client_for(alice).get(LIST)) == [new.pk, old.pk]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("invoice_number", ["a", "b", "c"]),
        ("-invoice_number", ["c", "b", "a"]),
        ("due_date", ["b", "c", "a"]),
        ("net_amount", ["c", "a", "b"]),
        ("-customer", ["b", "a", "c"]),
    ],
)
def test_sorting_by_a_column_orders_the_rows(sort, expected, client_for, alice, account_a):
    made = {}
    for key, number, due, net, name in [
        ("a", "8000000001", 30, "20.00", "M"),
        ("b", "8000000002", 10, "30.00", "Z"),
        ("c", "8000000003", 20, "10.00", "A"),
    ]:
        made[key] = commission(
            account_a,
            invoice_number=number,
            due_date=dt.date(2026, 1, due),
            net=net,
            customer=CustomerFactory(name=name),
        ).pk
    response = client_for(alice).get(LIST, {"sort": sort})
    assert pks(response) == [made[key] for key in expected]


def test_rows_link_to_the_commission_detail(client_for, alice, a_commission):
    assert f'href="{detail(a_commission)}"' in client_for(alice).get(LIST).text


def test_an_empty_result_shows_the_empty_text(client_for, alice, account_a):
    response = client_for(alice).get(LIST, {"status": "paid"})
    assert gettext("No commission matches these filters.") in response.text


def test_the_report_link_keeps_the_filters(client_for, alice, account_a):
    response = client_for(alice).get(LIST, {"company": "IMB", "page": "1"})
    assert response.context["export_url"] == "?company=IMB&export=xlsx"


# Bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"issued_from": "2026-02-30"}, {"issued_from": ["invalid"]}),
        ({"due_to": "30/02/2026"}, {"due_to": ["invalid"]}),
        ({"issued_from": "2026-03-12", "issued_to": "2026-03-10"}, {"issued_to": ["date_order"]}),
        ({"due_from": "2026-03-12", "due_to": "2026-03-10"}, {"due_to": ["date_order"]}),
        ({"due_to": "9999-12-31"}, {"due_to": ["max_value"]}),
        ({"issued_from": "0001-01-01"}, {"issued_from": ["min_value"]}),
        ({"status": "lost"}, {"status": ["invalid_choice"]}),
        ({"company": "XYZ"}, {"company": ["invalid_choice"]}),
        ({"company": "1" * 40}, {"company": ["invalid_choice"]}),
        ({"customer": "01.771.935/0002-1?"}, {"customer": ["cnpj"]}),
        ({"customer": "1" * 21}, {"customer": ["max_length"]}),
        ({"invoice": "NF-1"}, {"invoice": ["digits"]}),
        ({"invoice": "１２３"}, {"invoice": ["digits"]}),
        ({"invoice": "1" * 21}, {"invoice": ["max_length"]}),
        ({"overdue": "maybe"}, {"overdue": ["invalid_choice"]}),
        ({"account": "abc"}, {"account": ["invalid_choice"]}),
        ({"account": "9" * 30}, {"account": ["invalid_choice"]}),
    ],
)
def test_bad_filter_values_show_form_errors(params, errors, client_for, alice, a_commission):
    response = client_for(alice).get(LIST, params)
    assert response.status_code == 200
    assert form_errors(response) == errors
    assert pks(response) == []
    assert "is-invalid" in response.text


@pytest.mark.parametrize(
    "params",
    [{"page": "abc"}, {"page": "0"}, {"page": "9" * 5000}, {"per_page": "7"}, {"sort": "nope"}],
)
def test_bad_paging_and_sorting_still_show_the_rows(params, client_for, alice, a_commission):
    response = client_for(alice).get(LIST, params)
    assert response.status_code == 200
    assert pks(response) == [a_commission.pk]


# Detail -----------------------------------------------------------------------------------------


def test_the_detail_shows_the_installment_company_and_customer(client_for, alice, account_a):
    made = commission(
        account_a,
        code="IMT",
        invoice_number="8712345678",
        number=3,
        issue_date=dt.date(2026, 1, 5),
        due_date=dt.date(2026, 4, 5),
        amount=Decimal("1500.00"),
        customer=CustomerFactory(name="Padaria Pão Quente", cnpj="01771935000215"),
        net="72.30",
    )
    response = client_for(alice).get(detail(made))
    assert response.status_code == 200
    text = response.text
    company = made.company
    for value in [
        "8712345678",
        "05/01/2026",
        "05/04/2026",
        "R$ 1.500,00",
        "R$ 72,30",
        "IMT",
        company.legal_name,
        format_cnpj(company.cnpj),
        "06.241.557/0001-09",
        "Padaria Pão Quente",
        "01.771.935/0002-15",
        gettext("Not paid yet"),
        gettext("The commission has not been paid yet."),
    ]:
        assert value in text, value
    assert response.context["installment"].number == 3


def test_the_detail_shows_the_status_history_who_when_and_why(client_for, alice, stella, account_a):
    made = commission(account_a, status=S.PROVISIONED, due_date=days_ago(5))
    made.transition_to(S.ON_HOLD, by=stella, reason="Venda para órgão público")
    made.transition_to(S.RELEASED, by=None, reason="Pagamento identificado")
    response = client_for(alice).get(detail(made))
    history = response.context["history"]
    assert [(f, t) for _change, f, t in history] == [
        (gettext("Provisioned"), gettext("On hold")),
        (gettext("On hold"), gettext("Released")),
    ]
    text = response.text
    section = text[text.index('data-testid="history"') :]
    assert "Stella Souza" in section
    assert "Venda para órgão público" in section and "Pagamento identificado" in section
    assert gettext("Automatic") in section  # the release came from the ERP, not a person
    when = history[0][0].changed_at
    assert timezone.localtime(when).strftime("%d/%m/%Y %H:%M") in section
    assert f"{gettext('Provisioned')} → {gettext('On hold')}" in section


def test_the_detail_without_history_says_so(client_for, alice, a_commission):
    text = client_for(alice).get(detail(a_commission)).text
    assert gettext("No status change recorded yet.") in text


def test_a_paid_commission_shows_payment_date_document_and_the_resellers_nf(
    client_for, alice, account_a
):
    made = paid_commission(account_a, nf_number="4471", nf_series="2")
    response = client_for(alice).get(detail(made))
    payment = response.text[response.text.index('data-testid="payment"') :]
    assert made.payment_date.strftime("%d/%m/%Y") in payment
    assert "5100041234" in payment
    nf = payment[payment.index('data-testid="service-invoice"') :].split("</dd>")[0]
    assert "4471" in nf and "2" in nf
    assert response.context["service_invoice"].number == "4471"
    assert gettext("The commission has not been paid yet.") not in response.text


@pytest.mark.parametrize("who", ["charlie"])
def test_another_resellers_commission_is_not_found(who, request, client_for, a_commission):
    assert client_for(request.getfixturevalue(who)).get(detail(a_commission)).status_code == 404


@pytest.mark.parametrize("who", ["bob", "olga"])
def test_the_detail_requires_the_track_module(who, request, client_for, a_commission):
    assert client_for(request.getfixturevalue(who)).get(detail(a_commission)).status_code == 403


def test_the_detail_sends_anonymous_users_to_login(client, a_commission):
    response = client.get(detail(a_commission))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_detail_refuses_staff(client_for, a_commission):
    staff = StaffFactory(email="sam@distribuidora.example")
    assert client_for(staff).get(detail(a_commission)).status_code == 403


@pytest.mark.parametrize("path", ["/comissoes/999999/", "/comissoes/abc/", "/comissoes/-1/"])
def test_unknown_commissions_are_not_found(path, client_for, alice, a_commission):
    assert client_for(alice).get(path).status_code == 404


def test_the_detail_links_back_to_the_list(client_for, tina, a_commission):
    response = client_for(tina).get(detail(a_commission))
    assert response.status_code == 200
    assert f'href="{LIST}"' in response.text


def test_commission_status_labels_are_the_portuguese_ones():
    assert str(Commission.Status.RELEASED.label) == "Liberada"
