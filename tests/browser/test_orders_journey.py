"""Status de pedidos in a real browser, at a desktop size and at a phone size.

Reseller A's admin and a collaborator with only the orders module walk the same journey: filter,
page size, an order's detail and its NF, the consolidated report. A collaborator without modules
is refused. Reseller B's orders are in the database all along and must never show.

htmx swaps the results without a navigation, so `swap()` waits for htmx to settle, checks that
the document was not reloaded, and runs the same page checks as `visit()`.
"""

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.views.defaults import server_error
from playwright.sync_api import expect

from collaborators.modules import Module
from orders.models import Delivery, DeliveryEvent, Order
from portal.demokit import minimal_pdf
from tests.browser.checks import assert_no_horizontal_scroll, check_page, submit, t, visit
from tests.browser.conftest import ACTION_TIMEOUT_MS, VIEWPORTS
from tests.browser.test_login_journey import PASSWORD, log_in
from tests.factories import (
    CarrierFactory,
    CollaboratorFactory,
    CustomerFactory,
    DeliveryFactory,
    EcommerceUserFactory,
    InvoiceFactory,
    OrderFactory,
    OrderLineFactory,
    ResellerAccountFactory,
    ResellerFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

Status = Order.Status
ORDERS_A = 30
# Order i (0 = newest) is created 2 × i days ago and has status STATUS_CYCLE[i % 8].
STATUS_CYCLE = (
    Status.PLACED,
    Status.CREDIT_ANALYSIS,
    Status.INVOICED,
    Status.BACKLOG,
    Status.COMPLETED,
    Status.INVOICED,
    Status.CANCELLED,
    Status.COMPLETED,
)
DELIVERY_OF = {
    Status.BACKLOG: Delivery.Status.PROCESSING,
    Status.INVOICED: Delivery.Status.IN_TRANSIT,
    Status.COMPLETED: Delivery.Status.DELIVERED,
}
# The date filter of the journey: orders created 10 to 40 days ago.
FROM_DAYS_AGO, TO_DAYS_AGO = 40, 10


def created_at(days_ago, minute=0):
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, minute)))


def danfe(number):
    return minimal_pdf([f"DANFE - NF-e {number} serie 1", "Documento auxiliar da NF-e"])


def build_order(account, *, number, customer, status, created, carrier):
    order = OrderFactory(
        account=account,
        number=number,
        customer=customer,
        status=status,
        created_at=created,
        total=Decimal("1530.90"),
    )
    OrderLineFactory(
        order=order,
        line_number=1,
        sku=f"NB-{number[-4:]}",
        description="Notebook Dell Latitude 5440",
        quantity=Decimal("3"),
        unit_price=Decimal("4210.00"),
    )
    OrderLineFactory(
        order=order,
        line_number=2,
        sku=f"MS-{number[-4:]}",
        description="Mouse sem fio",
        quantity=Decimal("3"),
        unit_price=Decimal("89.90"),
    )
    if status in DELIVERY_OF:
        delivery = DeliveryFactory(
            order=order,
            carrier=carrier,
            status=DELIVERY_OF[status],
            expected_date=created.date() + dt.timedelta(days=7),
            tracking_code=f"BR{number}SP",
        )
        DeliveryEvent.objects.create(
            delivery=delivery,
            occurred_at=created + dt.timedelta(days=1),
            description="Objeto coletado pela transportadora",
            location="Barueri/SP",
        )
    if status in (Status.INVOICED, Status.COMPLETED):
        invoice = InvoiceFactory(
            order=order,
            number=f"7{number[-5:]}",
            issued_at=created.date() + dt.timedelta(days=1),
            access_key=f"3526{number}".ljust(44, "7"),
        )
        invoice.pdf.save(f"DANFE-{invoice.number}.pdf", ContentFile(danfe(invoice.number)))
        invoice.xml.save(f"NFe-{invoice.number}.xml", ContentFile(b"<nfeProc/>"))
    return order


@pytest.fixture
def reseller_a(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    reseller = ResellerFactory(name="Aurora Tecnologia Ltda.", code="M000000000LL")
    accounts = [
        ResellerAccountFactory(reseller=reseller, code=code, name=name)
        for code, name in (
            ("M000000000LL", "Aurora — Matriz São Paulo"),
            ("M000000017LL", "Aurora — Filial Campinas"),
            ("M000000023LL", "Aurora — Filial Rio de Janeiro"),
        )
    ]
    customers = [
        CustomerFactory(code=f"{5100 + n}", name=name)
        for n, name in enumerate(
            (
                "Hospital Santa Clara S.A.",
                "Escola Técnica Paulista Ltda.",
                "Construtora Horizonte Ltda.",
                "Prefeitura Municipal de Jundiaí",
            )
        )
    ]
    carriers = [CarrierFactory(name="Transportadora Rápida"), CarrierFactory(name="Jadlog")]
    for i in range(ORDERS_A):
        build_order(
            accounts[i % 3],
            number=f"{4_510_100 - i}",
            customer=customers[i % 4],
            status=STATUS_CYCLE[i % len(STATUS_CYCLE)],
            created=created_at(2 * i, minute=i),
            carrier=carriers[i % 2],
        )
    return reseller


@pytest.fixture
def reseller_b(reseller_a):
    """Another reseller with orders in every status on the same days: none may ever show."""
    reseller = ResellerFactory(name="Bandeirantes Sistemas Ltda.", code="M000000000BB")
    account = ResellerAccountFactory(reseller=reseller, code="M000000000BB")
    customer = CustomerFactory(code="9900", name="Cliente da Revenda B Ltda.")
    carrier = CarrierFactory(name="Transportadora Rápida")
    for i in range(8):
        build_order(
            account,
            number=f"{9_900_100 - i}",
            customer=customer,
            status=STATUS_CYCLE[i],
            created=created_at(2 * i + 11, minute=30 + i),
            carrier=carrier,
        )
    return reseller


def admin_of(reseller):
    return EcommerceUserFactory(
        login="admin@revenda-a.example", name="Ana Paula Moreira", reseller=reseller, is_admin=True
    )


def orders_only_collaborator_of(reseller):
    """Like the demo's pedidos@: has logged in before, and an admin gave them Status de pedidos."""
    login = "pedidos@revenda-a.example"
    CollaboratorFactory(
        user=UserFactory(email=login, name="Pedro Henrique Lima"),
        reseller=reseller,
        modules=[Module.ORDERS],
    )
    return EcommerceUserFactory(login=login, name="Pedro Henrique Lima", reseller=reseller)


@pytest.fixture(params=["admin", "pedidos"])
def store_user(request, reseller_a, reseller_b):
    make = admin_of if request.param == "admin" else orders_only_collaborator_of
    return make(reseller_a)


# --- what the pages show ---------------------------------------------------------------------


def expected_numbers(reseller, *, status=None, created_from=None, created_to=None):
    """The order numbers the list must show, newest first, straight from the database."""
    orders = Order.objects.filter(account__reseller=reseller)
    if status:
        orders = orders.filter(status=status)
    if created_from:
        orders = orders.filter(created_at__date__gte=created_from)
    if created_to:
        orders = orders.filter(created_at__date__lte=created_to)
    return list(orders.order_by("-created_at").values_list("number", flat=True))


def results(page):
    return page.locator("#list-results")


def number_links(page):
    """The order-number link of every row shown, in the table's order."""
    return results(page).locator(f'tbody td[data-label="{t("Order number")}"] a')


def expect_rows(page, numbers):
    expect(number_links(page)).to_have_text(numbers)


def mark_document(page):
    """A marker on window: it survives an htmx swap and is gone after a full page load."""
    page.evaluate("() => { window.portalSameDocument = true; }")


def swap(page, action):
    """Runs `action`, which makes htmx replace the results, waits until htmx has settled, checks
    that no full reload happened and runs the page checks on what it shows now."""
    mark_document(page)
    page.evaluate(
        """() => {
          window.portalSettled = new Promise((resolve) => document.body.addEventListener(
            'htmx:afterSettle', () => resolve(true), {once: true}));
        }"""
    )
    action()
    assert page.evaluate("() => window.portalSettled"), "htmx did not swap the results"
    assert page.evaluate("() => window.portalSameDocument === true"), "the page was reloaded"
    check_page(page)


def open_orders_from_menu(page, viewport):
    if viewport == "phone":
        page.get_by_role("button", name=t("Open menu")).click()
    menu = page.get_by_role("navigation", name=t("Main menu"))
    submit(page, menu.get_by_role("link", name=t("Order status"), exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Order status"))


def filter_panel(page):
    """The filter form's fields, opened if the page shows it collapsed (phones do)."""
    panel = page.locator("#list-filters details")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    expect(panel).to_have_attribute("open", "")
    return panel


def search_button(page):
    return page.get_by_role("button", name=t("Search orders"))


def per_page_select(page):
    return page.get_by_label(t("Showing"), exact=True)


def days_ago(days):
    return timezone.localdate() - dt.timedelta(days=days)


# --- the journeys ----------------------------------------------------------------------------


def test_filters_by_status_and_date_then_clears_them(
    page, viewport, live_server, reseller_a, store_user
):
    log_in(page, store_user.login, PASSWORD)
    open_orders_from_menu(page, viewport)
    everything = expected_numbers(reseller_a)
    expect_rows(page, everything[:10])

    filter_panel(page).locator('select[name="status"]').select_option(Status.INVOICED.value)
    swap(page, search_button(page).click)
    invoiced = expected_numbers(reseller_a, status=Status.INVOICED)
    assert len(invoiced) == 8
    expect_rows(page, invoiced)
    expect(page).to_have_url(re.compile(r"[?&]status=invoiced(&|$)"))
    # The folded filters still say what is applied; phones fold them after a search.
    summary = page.locator("#list-filters summary")
    with translation.override("pt-br"):
        expect(summary).to_contain_text(translation.pgettext("column", "Order status"))
    if viewport == "phone":
        expect(page.locator("#list-filters details")).not_to_have_attribute("open", "")

    start, end = days_ago(FROM_DAYS_AGO), days_ago(TO_DAYS_AGO)
    panel = filter_panel(page)
    panel.locator('input[name="created_from"]').fill(start.isoformat())
    panel.locator('input[name="created_to"]').fill(end.isoformat())
    swap(page, search_button(page).click)
    in_range = expected_numbers(
        reseller_a, status=Status.INVOICED, created_from=start, created_to=end
    )
    assert 0 < len(in_range) < len(invoiced)
    expect_rows(page, in_range)
    expect(page).to_have_url(re.compile(rf"created_from={start.isoformat()}"))

    # A shared link opens the same rows.
    visit(page, page.url)
    expect_rows(page, in_range)

    # A "from" after its "to" is shown on the field, and the filters stay open to fix it.
    panel = filter_panel(page)
    panel.locator('input[name="created_from"]').fill(end.isoformat())
    panel.locator('input[name="created_to"]').fill(start.isoformat())
    swap(page, search_button(page).click)
    expect(panel.locator('input[name="created_to"]')).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(panel.get_by_text(t("The end date must not be before the start date."))).to_be_visible()
    expect_rows(page, [])

    submit(page, filter_panel(page).get_by_role("link", name=t("Clear filters")))
    expect(page).to_have_url(live_server.url + reverse("orders:list"))
    expect_rows(page, everything[:10])
    expect(page.locator('select[name="status"]')).to_have_value("")
    expect(page.locator('input[name="created_from"]')).to_have_value("")
    expect(page.locator(".is-invalid")).to_have_count(0)


def test_the_page_size_swaps_the_table_without_a_reload(page, viewport, reseller_a, reseller_b):
    # The same for every user who may open the list; the admin stands for them all.
    log_in(page, admin_of(reseller_a).login, PASSWORD)
    open_orders_from_menu(page, viewport)
    everything = expected_numbers(reseller_a)
    expect(per_page_select(page)).to_have_value("10")
    expect_rows(page, everything[:10])

    swap(page, lambda: per_page_select(page).select_option("25"))
    expect(page).to_have_url(re.compile(r"[?&]per_page=25(&|$)"))
    expect_rows(page, everything[:25])
    expect(per_page_select(page)).to_have_value("25")

    # The next page keeps the size, and is swapped in too.
    pages = page.get_by_role("navigation", name=t("Pages"))
    swap(page, pages.get_by_role("link", name=t("Next")).click)
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect_rows(page, everything[25:])

    # Reloading the pushed URL gives the same rows: the address bar is a real, shareable URL.
    visit(page, page.url)
    expect_rows(page, everything[25:])
    expect(per_page_select(page)).to_have_value("25")


def test_an_order_shows_its_lines_invoice_and_delivery_and_downloads_its_nf(
    page, viewport, reseller_a, store_user
):
    order = Order.objects.get(number="4510098")  # invoiced, in transit
    invoice = order.invoices.get()
    log_in(page, store_user.login, PASSWORD)
    open_orders_from_menu(page, viewport)

    submit(page, number_links(page).get_by_text(order.number, exact=True))
    expect(page).to_have_url(re.compile(re.escape(reverse("orders:detail", args=[order.number]))))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(t("Order %(number)s", number=order.number))
    main = page.locator("main")
    for line in order.lines.all():
        expect(main.get_by_text(line.sku, exact=True)).to_be_visible()
        expect(main.get_by_text(line.description, exact=True)).to_be_visible()
    expect(main.get_by_text("R$ 12.630,00")).to_be_visible()  # 3 × R$ 4.210,00
    expect(main.get_by_text(invoice.number, exact=True)).to_be_visible()
    expect(main.get_by_text(invoice.access_key, exact=True)).to_be_visible()
    expect(main.get_by_text(invoice.issued_at.strftime("%d/%m/%Y"), exact=True)).to_be_visible()
    expect(main.get_by_text(order.delivery.carrier.name, exact=True)).to_be_visible()
    expect(main.get_by_text(t("In transit"), exact=True)).to_be_visible()
    expect(main.get_by_text("Objeto coletado pela transportadora")).to_be_visible()

    with page.expect_download() as download_info:
        main.get_by_role("link", name=t("Download PDF")).click()
    download = download_info.value
    assert download.suggested_filename == f"NF-{invoice.number}-{invoice.series}.pdf"
    downloaded = download.path().read_bytes()
    with invoice.pdf.open("rb") as stored:
        assert downloaded == stored.read()
    assert downloaded.startswith(b"%PDF-")

    # Another reseller's order and NF answer 404, on a page in the portal's layout.
    other = Order.objects.get(number="9900098")
    for url in (
        reverse("orders:detail", args=[other.number]),
        reverse("orders:invoice_file", args=[other.invoices.get().pk, "pdf"]),
    ):
        assert visit(page, url).status == 404
        expect(heading).to_have_text(t("Page not found"))
        expect(page.get_by_test_id("user-name")).to_have_text(store_user.name)


def test_the_report_has_exactly_the_filtered_rows_in_the_tables_order(
    page, viewport, reseller_a, store_user
):
    log_in(page, store_user.login, PASSWORD)
    open_orders_from_menu(page, viewport)
    panel = filter_panel(page)
    panel.locator('select[name="status"]').select_option(Status.COMPLETED.value)
    swap(page, search_button(page).click)
    completed = expected_numbers(reseller_a, status=Status.COMPLETED)
    expect_rows(page, completed)

    # Sorting by order number (ascending) reverses the default newest-first order. Phones hide
    # the table's header, so they sort with a select.
    if viewport == "phone":
        sort = page.get_by_label(t("Sort by"), exact=True)
        swap(page, lambda: sort.select_option("number"))
    else:
        header = results(page).locator("thead").get_by_role("link", name=t("Order number"))
        swap(page, header.click)
    expect(page).to_have_url(re.compile(r"[?&]sort=number(&|$)"))
    shown = sorted(completed)
    expect_rows(page, shown)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=t("Download consolidated report")).click()
    download = download_info.value
    assert re.fullmatch(r"pedidos.*\.xlsx", download.suggested_filename)
    workbook = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    header_row, *rows = workbook.active.iter_rows(values_only=True)
    number_column = header_row.index(t("Order number"))
    assert [row[number_column] for row in rows] == shown


def test_filters_and_page_size_work_without_javascript(
    page, browser, viewport, live_server, reseller_a, reseller_b
):
    """With JavaScript off the filter form is a plain GET form and the page size has an Apply
    button. axe cannot run in such a page (its timers never fire), so each page is checked for
    sideways scrolling where it is, and axe runs on a copy of its DOM in the scripting page."""
    store_user = admin_of(reseller_a)
    context = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORTS[viewport],
        locale="pt-BR",
        timezone_id="America/Sao_Paulo",
        is_mobile=viewport == "phone",
        has_touch=viewport == "phone",
        java_script_enabled=False,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        nojs = context.new_page()
        nojs.goto(reverse("account_login"))
        check_copy(page, nojs)
        nojs.locator('input[name="login"]').fill(store_user.login)
        nojs.locator('input[name="password"]').fill(PASSWORD)
        navigate(page, nojs, nojs.get_by_role("button", name=t("Log in"), exact=True).click)

        nojs.goto(reverse("orders:list"))
        check_copy(page, nojs)
        everything = expected_numbers(reseller_a)
        expect_rows(nojs, everything[:10])

        panel = nojs.locator("#list-filters details")
        expect(panel).to_have_attribute("open", "")  # no script to open it, so it starts open
        panel.locator('select[name="status"]').select_option(Status.INVOICED.value)
        navigate(page, nojs, search_button(nojs).click)
        expect(nojs).to_have_url(re.compile(r"[?&]status=invoiced(&|$)"))
        expect_rows(nojs, expected_numbers(reseller_a, status=Status.INVOICED))

        navigate(page, nojs, nojs.get_by_role("link", name=t("Clear filters")).click)
        per_page_select(nojs).select_option("25")
        navigate(page, nojs, nojs.get_by_role("button", name=t("Apply")).click)
        expect(nojs).to_have_url(re.compile(r"[?&]per_page=25(&|$)"))
        expect_rows(nojs, everything[:25])
    finally:
        context.close()


def navigate(page, nojs, action):
    with nojs.expect_navigation():
        action()
    check_copy(page, nojs)


NOSCRIPT_TAG = re.compile(r"</?noscript>")
SCRIPT_ELEMENT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def check_copy(page, nojs):
    """The page checks for a page without JavaScript: overflow in place, axe on a copy."""
    nojs.wait_for_load_state("load")
    assert_no_horizontal_scroll(nojs)
    html = SCRIPT_ELEMENT.sub("", NOSCRIPT_TAG.sub("", nojs.content()))
    url = nojs.url
    page.route(
        lambda candidate: candidate == url,
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html),
    )
    try:
        visit(page, url)
    finally:
        page.unroute_all()


def test_a_collaborator_without_the_module_is_not_offered_the_list_and_gets_403(
    page, viewport, reseller_a, reseller_b
):
    newcomer = EcommerceUserFactory(
        login="novo@revenda-a.example", name="Natália Ribeiro", reseller=reseller_a
    )
    log_in(page, newcomer.login, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Welcome, %(name)s!", name="Natália")
    )
    if viewport == "phone":
        page.get_by_role("button", name=t("Open menu")).click()
    menu = page.get_by_role("navigation", name=t("Main menu"))
    expect(menu.get_by_role("link", name=t("Home"), exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name=t("Order status"))).to_have_count(0)

    response = visit(page, reverse("orders:list"))
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("You do not have access to this page")
    )
    submit(page, page.locator("main").get_by_role("link", name=t("Go to the home page")))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Welcome, %(name)s!", name="Natália")
    )


def test_the_server_error_page_needs_no_request_context(page, live_server):
    with translation.override("pt-br"):
        body = server_error(RequestFactory().get("/")).content
    url = f"{live_server.url}/falha/"
    page.route(url, lambda route: route.fulfill(status=500, body=body, content_type="text/html"))

    assert visit(page, url).status == 500
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Something went wrong"))
    submit(page, page.get_by_role("link", name=t("Go to the home page")))
    expect(page.locator('input[name="password"]')).to_be_visible()  # home sends it to log in
