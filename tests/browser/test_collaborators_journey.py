"""Colaboradores in a real browser, at a desktop size and at a phone size.

Reseller A's admin grants novo@ the orders module; novo@, logged in in a second browser context,
sees Status de pedidos at their next page; the admin then deactivates novo@, whose next request
lands on the login page with a message. A manager who is not an admin is offered only the
modules they hold. Every page of both contexts passes the page checks.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from collaborators.models import Collaborator
from collaborators.modules import Module
from tests.browser.checks import NavigationLog, check_page, submit, t, visit
from tests.browser.conftest import ACTION_TIMEOUT_MS, VIEWPORTS
from tests.browser.test_login_journey import PASSWORD, log_in
from tests.factories import (
    CollaboratorFactory,
    EcommerceUserFactory,
    ResellerAccountFactory,
    ResellerFactory,
    UserFactory,
)

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


def store_collaborator(reseller, login, name, modules):
    """Someone who has logged in before, with `modules`, and whose password the store knows."""
    EcommerceUserFactory(login=login, name=name, reseller=reseller)
    return CollaboratorFactory(
        user=UserFactory(email=login, name=name), reseller=reseller, modules=modules
    )


def test_a_non_admin_manager_is_offered_only_the_modules_it_holds(page, reseller):
    EcommerceUserFactory(login="ana@revenda-a.example", reseller=reseller, is_admin=True)
    manager = store_collaborator(
        reseller, "gil@revenda-a.example", "Gil Gomes", [Module.COLLABORATORS, Module.ORDERS]
    )
    tina = store_collaborator(
        reseller, "tina@revenda-a.example", "Tina Teixeira", [Module.COMMISSIONS_TRACK]
    )
    store_collaborator(reseller, "nuno@revenda-a.example", "Nuno Nogueira", [])

    log_in(page, manager.user.email, PASSWORD)
    visit(page, reverse("collaborators:list"))
    deactivate = re.compile(re.escape(t("Deactivate access")))
    # tina holds a module gil does not: gil may not switch her access off; nuno holds none.
    tina_row = page.locator("tbody tr", has_text="tina@revenda-a.example")
    expect(tina_row.get_by_role("link", name=deactivate)).to_have_count(0)
    nuno_row = page.locator("tbody tr", has_text="nuno@revenda-a.example")
    expect(nuno_row.get_by_role("link", name=deactivate)).to_have_count(1)

    # tina's page: boxes for gil's two modules only; hers is shown, granted, without a box.
    submit(
        page,
        tina_row.get_by_role("link", name=t("Edit permissions of %(name)s", name="Tina Teixeira")),
    )
    form = page.locator("#access-form")
    expect(form.get_by_role("checkbox")).to_have_count(3)  # the disabled admin switch, and two
    expect(page.locator("#id_is_admin")).to_be_disabled()
    for label in (t("Track commissions"), t("Request commissions"), t("Invoice report")):
        expect(page.get_by_role("checkbox", name=label, exact=True)).to_have_count(0)
    tracked = form.locator('[data-module="commissions_track"]')
    expect(tracked).to_contain_text(t("Track commissions"))
    expect(tracked).to_contain_text(t("Granted"))
    expect(page.get_by_test_id("modules-lock")).to_be_visible()

    # gil grants Status de pedidos; tina keeps the module gil could not touch.
    page.get_by_role("checkbox", name=t("Order status"), exact=True).check()
    submit(page, page.get_by_role("button", name=t("Update permissions")))
    expect(page.get_by_role("alert")).to_contain_text(
        t("The permissions of %(name)s were updated.", name="Tina Teixeira")
    )
    expect(page.get_by_role("checkbox", name=t("Order status"), exact=True)).to_be_checked()
    expect(form.locator('[data-module="commissions_track"]')).to_contain_text(t("Granted"))
    assert Collaborator.objects.get(pk=tina.pk).modules == {"orders", "commissions_track"}

    # gil's own page is read-only: no box to tick, no button to save.
    visit(page, reverse("collaborators:edit", args=[manager.pk]))
    expect(page.get_by_test_id("read-only")).to_contain_text(
        t("You cannot change your own access; ask an administrator.")
    )
    expect(page.locator('#access-form input[name="modules"]')).to_have_count(0)
    expect(page.get_by_role("button", name=t("Update permissions"))).to_have_count(0)
