"""Acompanhar comissões in a real browser, at a desktop size and at a phone size.

Reseller A's admin (alice) and a collaborator with only the commissions_track module (tina) walk
the same journey: filter by status, company and issue date, read the totals, download the
consolidated report, clear the filters and open a commission. Reseller B's commissions match
the same filters and are in the database all along: they must never show.

htmx swaps the results without a navigation; `swap()` (from the orders journey) waits for it and
runs the same page checks as `visit()`.
"""

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from commissions.models import Commission
from portal.templatetags.portal import brl
from tests.browser.checks import submit, t, visit
from tests.browser.test_login_journey import PASSWORD, log_in
from tests.browser.test_orders_journey import filter_panel, results, swap
from tests.commissions.helpers import S, commission, days_ago, tracker
from tests.factories import CustomerFactory, EcommerceUserFactory, ResellerAccountFactory

pytestmark = pytest.mark.browser

# Reseller A's commissions: (invoice no., installment, company, status, issued days ago, net).
# They alternate between two accounts and three customers.
COMMISSIONS_A = (
    ("8700001001", 1, "IMT", S.RELEASED, 5, "1310.40"),
    ("8700001001", 2, "IMT", S.RELEASED, 5, "290.60"),
    ("8700001002", 1, "IMT", S.RELEASED, 20, "1250.00"),
    ("8700001003", 1, "IMT", S.RELEASED, 70, "88.15"),
    ("8700001004", 1, "IMT", S.PROVISIONED, 10, "540.00"),
    ("8700001005", 1, "IMT", S.PAID, 30, "975.30"),
    ("8000002001", 1, "IMB", S.RELEASED, 8, "422.10"),
    ("8000002002", 1, "IMB", S.ON_HOLD, 40, "1830.00"),
    ("8200003001", 1, "BRLINK", S.RELEASED, 12, "640.00"),
    ("8200003002", 1, "BRLINK", S.CANCELLED, 90, "99.90"),
)
# Reseller B's: the first two match every filter of the journey.
COMMISSIONS_B = (
    ("8700009001", 1, "IMT", S.RELEASED, 6, "700.00"),
    ("8700009002", 1, "IMT", S.RELEASED, 25, "3000.00"),
    ("8000009003", 1, "IMB", S.PROVISIONED, 15, "50.00"),
)
# The journey's filters: released, IMT, issued in the last 45 days (three of A's rows).
STATUS, COMPANY, ISSUED_FROM_DAYS_AGO = S.RELEASED, "IMT", 45
# The report's columns the journey reads, by their source (English) headers.
REPORT_COLUMNS = ("Invoice no.", "Installment", "Status", "Issued on", "Net commission")


def build(accounts, customers, rows):
    made = []
    for i, (invoice, number, code, status, issued_days_ago, net) in enumerate(rows):
        issued = days_ago(issued_days_ago)
        # Payments release commissions, so from released on the customer has paid.
        paid = issued + dt.timedelta(days=2) if status in (S.RELEASED, S.PAID) else None
        made.append(
            commission(
                accounts[i % len(accounts)],
                status=status,
                net=net,
                code=code,
                invoice_number=invoice,
                number=number,
                customer=customers[i % len(customers)],
                issue_date=issued,
                due_date=issued + dt.timedelta(days=30),
                amount=Decimal(net) * 10,
                paid_date=paid,
                paid_amount=Decimal(net) * 10 if paid else None,
            )
        )
    return made


@pytest.fixture
def commissions_a(reseller_a, account_a):
    branch = ResellerAccountFactory(reseller=reseller_a, name="Revenda A — Filial Campinas")
    customers = [
        CustomerFactory(code=f"{5100 + n}", name=name)
        for n, name in enumerate(
            (
                "Hospital Santa Clara S.A.",
                "Escola Técnica Paulista Ltda.",
                "Construtora Horizonte Ltda.",
            )
        )
    ]
    return build([account_a, branch], customers, COMMISSIONS_A)


@pytest.fixture
def commissions_b(account_b):
    customer = CustomerFactory(code="9900", name="Cliente da Revenda B Ltda.")
    return build([account_b], [customer], COMMISSIONS_B)


def store_user_for(collaborator):
    """The e-commerce store's user of a collaborator of the cast, so the browser can log in."""
    return EcommerceUserFactory(
        login=collaborator.user.email,
        name=collaborator.user.name,
        reseller=collaborator.reseller,
        is_admin=collaborator.is_admin,
    )


@pytest.fixture(params=["alice", "tina"])
def store_user(request, reseller_a, commissions_a, commissions_b):
    """alice (reseller A's admin) or tina (only the commissions_track module), as the store
    knows them. Both resellers' commissions exist before anyone logs in."""
    if request.param == "alice":
        collaborator = request.getfixturevalue("alice")
    else:
        collaborator = tracker(reseller_a)
    return store_user_for(collaborator)


# --- what the pages show ---------------------------------------------------------------------


def expected(reseller, *, status=None, company=None, issued_from=None, order=None):
    """The commissions the list must show, in the table's default order (newest issue first),
    straight from the database."""
    commissions = Commission.objects.filter(account__reseller=reseller)
    if status:
        commissions = commissions.filter(status=status)
    if company:
        commissions = commissions.filter(company__code=company)
    if issued_from:
        commissions = commissions.filter(installment__issue_date__gte=issued_from)
    ordering = order or ("-installment__issue_date", "-pk")
    return list(commissions.select_related("installment").order_by(*ordering))


def money(value):
    """An amount as the pages write it: R$ 1.250,00."""
    with translation.override("pt-br"):
        return brl(value)


def label(status):
    return t(Commission.Status(status).label)


def cells(page, column):
    """The cells of one column of the rows shown, in the table's order."""
    return results(page).locator(f'tbody td[data-label="{t(column)}"]')


def expect_rows(page, commissions):
    """The rows shown are these commissions, in this order: number, installment, net, status."""
    expect(cells(page, "Invoice no.")).to_have_text(
        [c.installment.invoice_number for c in commissions]
    )
    expect(cells(page, "Installment")).to_have_text(
        [str(c.installment.number) for c in commissions]
    )
    expect(cells(page, "Net commission")).to_have_text([money(c.net_amount) for c in commissions])
    expect(cells(page, "Status")).to_have_text([label(c.status) for c in commissions])


def expect_totals(page, commissions):
    expect(page.get_by_test_id("totals-count")).to_have_text(str(len(commissions)))
    expect(page.get_by_test_id("totals-net")).to_have_text(
        money(sum((c.net_amount for c in commissions), Decimal(0)))
    )


def open_commissions_from_menu(page, viewport):
    if viewport == "phone":
        page.get_by_role("button", name=t("Open menu")).click()
    menu = page.get_by_role("navigation", name=t("Main menu"))
    submit(page, menu.get_by_role("link", name=t("Track"), exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Track commissions"))


def search(page, *, status=None, company=None, issued_from=None):
    """Fills the given filters (labels as the page shows them) and searches."""
    panel = filter_panel(page)
    if status:
        panel.get_by_label(t("Commission status"), exact=True).select_option(label=label(status))
    if company:
        panel.get_by_label(t("Company"), exact=True).select_option(company)
    if issued_from:
        panel.get_by_label(t("Issued from"), exact=True).fill(issued_from.isoformat())
    swap(page, page.get_by_role("button", name=t("Search commissions")).click)


# --- the journeys ----------------------------------------------------------------------------


def test_filters_show_only_the_resellers_matching_rows_and_their_totals_until_cleared(
    page, viewport, live_server, reseller_a, store_user
):
    log_in(page, store_user.login, PASSWORD)
    open_commissions_from_menu(page, viewport)
    everything = expected(reseller_a)
    assert len(everything) == len(COMMISSIONS_A)  # one page: the default size is 10
    expect_rows(page, everything)
    expect_totals(page, everything)

    search(page, status=STATUS, company=COMPANY)
    released_imt = expected(reseller_a, status=STATUS, company=COMPANY)
    assert len(released_imt) == 4
    expect_rows(page, released_imt)
    expect_totals(page, released_imt)
    expect(page).to_have_url(re.compile(r"[?&]status=released(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]company=IMT(&|$)"))

    issued_from = days_ago(ISSUED_FROM_DAYS_AGO)
    search(page, issued_from=issued_from)
    recent = expected(reseller_a, status=STATUS, company=COMPANY, issued_from=issued_from)
    assert [f"{c.installment}" for c in recent] == [
        "8700001001-2",
        "8700001001-1",
        "8700001002-1",
    ]
    expect_rows(page, recent)
    expect_totals(page, recent)
    expect(page.get_by_test_id("totals-net")).to_have_text("R$ 2.851,00")

    # A shared link opens the same rows and totals.
    visit(page, page.url)
    expect_rows(page, recent)
    expect_totals(page, recent)

    submit(page, filter_panel(page).get_by_role("link", name=t("Clear filters")))
    expect(page).to_have_url(live_server.url + reverse("commissions:list"))
    expect_rows(page, everything)
    expect_totals(page, everything)
    panel = filter_panel(page)
    expect(panel.get_by_label(t("Commission status"), exact=True)).to_have_value("")
    expect(panel.get_by_label(t("Company"), exact=True)).to_have_value("")
    expect(panel.get_by_label(t("Issued from"), exact=True)).to_have_value("")


def test_the_report_has_exactly_the_filtered_rows_in_the_tables_order_with_typed_cells(
    page, viewport, reseller_a, store_user
):
    log_in(page, store_user.login, PASSWORD)
    open_commissions_from_menu(page, viewport)
    issued_from = days_ago(ISSUED_FROM_DAYS_AGO)
    search(page, status=STATUS, company=COMPANY, issued_from=issued_from)
    filters = {"status": STATUS, "company": COMPANY, "issued_from": issued_from}
    expect_rows(page, expected(reseller_a, **filters))

    # Sorting by net commission (ascending) is not the default order, so the report must follow
    # the table rather than the model. Phones hide the table's header and sort with a select.
    if viewport == "phone":
        sort = page.get_by_label(t("Sort by"), exact=True)
        swap(page, lambda: sort.select_option("net_amount"))
    else:
        header = results(page).locator("thead").get_by_role("link", name=t("Net commission"))
        swap(page, header.click)
    expect(page).to_have_url(re.compile(r"[?&]sort=net_amount(&|$)"))
    shown = expected(reseller_a, **filters, order=("net_amount", "pk"))
    expect_rows(page, shown)
    expect_totals(page, shown)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=t("Download consolidated report")).click()
    download = download_info.value
    assert re.fullmatch(r"comissoes-\d{4}-\d{2}-\d{2}\.xlsx", download.suggested_filename)
    workbook = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    header_row, *rows = workbook.active.iter_rows(values_only=True)
    column = {name: header_row.index(t(name)) for name in REPORT_COLUMNS}

    assert [
        (row[column["Invoice no."]], row[column["Installment"]], row[column["Status"]])
        for row in rows
    ] == [(c.installment.invoice_number, c.installment.number, label(c.status)) for c in shown]
    for row, made in zip(rows, shown, strict=True):
        # A date cell reads back as a datetime at midnight; a text "dd/mm/yyyy" would not.
        issued = row[column["Issued on"]]
        assert issued == dt.datetime.combine(made.installment.issue_date, dt.time()), issued
        net = row[column["Net commission"]]
        assert isinstance(net, int | float), net
        assert Decimal(str(net)) == made.net_amount
    report_total = sum(Decimal(str(row[column["Net commission"]])) for row in rows)
    expect(page.get_by_test_id("totals-net")).to_have_text(money(report_total))


def test_a_row_opens_the_commission_with_its_installment_and_another_resellers_is_not_found(
    page, viewport, reseller_b, store_user
):
    log_in(page, store_user.login, PASSWORD)
    open_commissions_from_menu(page, viewport)
    search(page, status=STATUS, company=COMPANY)
    made = Commission.objects.select_related("installment__customer", "company").get(
        installment__invoice_number="8700001002", installment__number=1
    )
    installment = made.installment

    link = cells(page, "Invoice no.").get_by_role("link", name=installment.invoice_number)
    submit(page, link)
    expect(page).to_have_url(re.compile(re.escape(reverse("commissions:detail", args=[made.pk]))))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t(
            "Commission on invoice %(invoice)s, installment %(number)s",
            invoice=installment.invoice_number,
            number=installment.number,
        )
    )
    expect(page.get_by_test_id("status")).to_have_text(label(S.RELEASED))
    invoice = page.get_by_role("region", name=t("Customer invoice"))
    for name, value in (
        ("Invoice no.", installment.invoice_number),
        ("Installment", str(installment.number)),
        ("Issue date", installment.issue_date.strftime("%d/%m/%Y")),
        ("Due date", installment.due_date.strftime("%d/%m/%Y")),
        ("Installment amount", "R$ 12.500,00"),
        ("Customer paid on", installment.paid_date.strftime("%d/%m/%Y")),
        ("Amount paid", "R$ 12.500,00"),
    ):
        expect(detail_value(invoice, name)).to_have_text(value)
    commission_card = page.get_by_role("region", name=t("Commission"), exact=True)
    expect(detail_value(commission_card, "Net commission")).to_have_text("R$ 1.250,00")
    company_card = page.get_by_role("region", name=t("Company"), exact=True)
    expect(detail_value(company_card, "Legal name")).to_have_text(made.company.legal_name)
    customer_card = page.get_by_role("region", name=t("Customer"), exact=True)
    expect(detail_value(customer_card, "Name")).to_have_text(installment.customer.name)

    # The breadcrumb leads back to the list.
    breadcrumb = page.get_by_role("navigation", name=t("Breadcrumb"))
    submit(page, breadcrumb.get_by_role("link", name=t("Track commissions")))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Track commissions"))

    # Another reseller's commission answers 404, on a page in the portal's layout.
    other = Commission.objects.get(installment__invoice_number="8700009001")
    assert other.account.reseller == reseller_b
    assert visit(page, reverse("commissions:detail", args=[other.pk])).status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Page not found"))
    expect(page.get_by_test_id("user-name")).to_have_text(store_user.name)


def detail_value(region, term):
    """The <dd> beside the <dt> that reads exactly `term` (translated) in `region`."""
    dt_element = region.locator("dt").filter(has_text=re.compile(rf"^{re.escape(t(term))}$"))
    return dt_element.locator("xpath=following-sibling::dd[1]")
