"""Colaboradores in a real browser (issue 4, §3), at a desktop size and at a phone size.

Reseller A's admin grants novo@ the orders module; novo@, logged in in a second browser context,
sees Status de pedidos at their next page; the admin then deactivates novo@, whose next request
lands on the login page with a message. Every page of both contexts passes the page checks.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.checks import NavigationLog, check_page, submit, t, visit
from tests.browser.conftest import ACTION_TIMEOUT_MS, VIEWPORTS
from tests.browser.test_login_journey import PASSWORD, log_in
from tests.factories import EcommerceUserFactory, ResellerAccountFactory, ResellerFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def reseller(transactional_db):
    reseller = ResellerFactory(name="Revenda A Ltda.", code="M000000000LL")
    ResellerAccountFactory(reseller=reseller)
    return reseller


@pytest.fixture
def second_page(browser, viewport, live_server):
    """Another person's browser: its own context, so its own cookies."""
    phone = viewport == "phone"
    context = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORTS[viewport],
        locale="pt-BR",
        timezone_id="America/Sao_Paulo",
        is_mobile=phone,
        has_touch=phone,
        reduced_motion="reduce",
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page._portal_navigation_log = NavigationLog(page)
    yield page
    unchecked = page._portal_navigation_log.unchecked()
    context.close()
    assert not unchecked, f"the second browser landed on {unchecked} without checking the page"


def menu_link(page, label):
    """The side menu's link; on a phone the menu is folded, so it is opened first."""
    toggle = page.get_by_role("button", name=t("Open menu"))
    if toggle.is_visible():
        toggle.click()
        expect(page.locator("#side-menu")).to_be_visible()
    return page.locator("#side-menu").get_by_role("link", name=label, exact=True)


def test_an_admin_grants_a_module_and_deactivates_a_newcomer(
    page, second_page, live_server, reseller
):
    admin = EcommerceUserFactory(
        login="ana@revenda-a.example", name="Ana Araújo", reseller=reseller, is_admin=True
    )
    EcommerceUserFactory(login="novo@revenda-a.example", name="Nuno Nogueira", reseller=reseller)
    novo = second_page

    # novo@ logs in first: only then does the portal know them, with every module off.
    log_in(novo, "novo@revenda-a.example", PASSWORD)
    expect(novo.get_by_role("heading", level=1)).to_have_text(t("Welcome, %(name)s!", name="Nuno"))
    expect(menu_link(novo, t("Order status"))).to_have_count(0)

    # The admin finds novo@ in Colaboradores, which explains how newcomers arrive.
    log_in(page, admin.login, PASSWORD)
    visit(page, reverse("collaborators:list"))
    expect(page.get_by_test_id("new-collaborators-notice")).to_contain_text(
        t("Registering new collaborators")
    )
    row = page.locator("tbody tr", has_text="novo@revenda-a.example")
    expect(row).to_contain_text(t("No access"))

    # ... opens "Editar permissões", ticks Status de pedidos and saves.
    submit(
        page,
        row.get_by_role("link", name=t("Edit permissions of %(name)s", name="Nuno Nogueira")),
    )
    expect(page.get_by_test_id("collaborator-email")).to_have_text("novo@revenda-a.example")
    page.get_by_role("checkbox", name=t("Order status"), exact=True).check()
    submit(page, page.get_by_role("button", name=t("Update permissions")))
    expect(page.get_by_role("alert")).to_contain_text(
        t("The permissions of %(name)s were updated.", name="Nuno Nogueira")
    )
    expect(page.get_by_role("checkbox", name=t("Order status"), exact=True)).to_be_checked()
    expect(page.get_by_test_id("access-history")).to_contain_text(t("Permissions updated"))

    # novo@'s next page shows Status de pedidos, and it opens.
    visit(novo, reverse("home"))
    expect(menu_link(novo, t("Order status"))).to_have_count(1)
    response = visit(novo, reverse("orders:list"))
    assert response.status == 200
    expect(novo.get_by_role("heading", level=1)).to_have_text(t("Order status"))

    # The admin deactivates novo@ from the list, after a confirmation.
    visit(page, reverse("collaborators:list"))
    row = page.locator("tbody tr", has_text="novo@revenda-a.example")
    submit(page, row.get_by_role("link", name=re.compile(re.escape(t("Deactivate access")))))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Deactivate access"))
    submit(page, page.locator("#main form").get_by_role("button", name=t("Deactivate access")))
    expect(page.get_by_role("alert")).to_contain_text(
        t("The access of %(name)s was deactivated.", name="Nuno Nogueira")
    )
    row = page.locator("tbody tr", has_text="novo@revenda-a.example")
    expect(row).to_contain_text(t("Deactivated"))

    # novo@'s next request sends them to the login page, with a message.
    novo.goto(reverse("orders:list"))
    check_page(novo)
    expect(novo).to_have_url(re.compile(re.escape(reverse("account_login")) + r"(\?.*)?$"))
    expect(novo.get_by_role("alert")).to_contain_text(
        t("Your access to the portal was deactivated. Ask your reseller's administrator.")
    )
