"""The login journey in a real browser, at a desktop size and at a phone size."""

import re
import socket

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.forms import STORE_UNAVAILABLE
from tests.browser.checks import check_page, submit, t, visit
from tests.factories import EcommerceUserFactory, ResellerAccountFactory, ResellerFactory

pytestmark = pytest.mark.browser

PASSWORD = "secret-123"


@pytest.fixture
def reseller(transactional_db):
    reseller = ResellerFactory(name="Revenda A Ltda.", code="M000000000LL")
    ResellerAccountFactory.create_batch(2, reseller=reseller)
    return reseller


@pytest.fixture
def store_admin(reseller):
    return EcommerceUserFactory(
        login="ana@revenda-a.example", name="Ana Araújo", reseller=reseller, is_admin=True
    )


@pytest.fixture
def store_newcomer(reseller):
    return EcommerceUserFactory(
        login="novo@revenda-a.example", name="Nuno Nogueira", reseller=reseller
    )


def log_in(page, login, password):
    visit(page, reverse("account_login"))
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill(password)
    return submit(page, page.get_by_role("button", name=t("Log in"), exact=True))


def expect_login_page(page, live_server):
    login_url = live_server.url + reverse("account_login")
    expect(page).to_have_url(re.compile(re.escape(login_url) + r"(\?.*)?$"))
    expect(page.locator('input[name="password"]')).to_be_visible()


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_reseller_admin_logs_in_lands_on_home_and_logs_out(page, live_server, store_admin):
    log_in(page, store_admin.login, PASSWORD)

    expect(page).to_have_url(live_server.url + reverse("home"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Hello, %(name)s", name="Ana"))
    header = page.locator("header")
    expect(header.get_by_text("Ana Araújo")).to_be_visible()
    expect(
        header.get_by_text(t("You are logged in to reseller %(code)s", code="M000000000LL"))
    ).to_be_visible()

    submit(page, header.get_by_role("button", name=t("Log out")))
    expect_login_page(page, live_server)
    visit(page, reverse("home"))
    expect_login_page(page, live_server)


def test_a_newcomer_lands_on_the_welcome_page(page, live_server, store_newcomer):
    log_in(page, store_newcomer.login, PASSWORD)

    expect(page).to_have_url(live_server.url + reverse("home"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Welcome, %(name)s!", name="Nuno"))
    expect(page.get_by_text(t("Your access to the Partner Portal is ready."))).to_be_visible()


def test_a_wrong_password_stays_on_the_login_page_with_a_generic_error(
    page, live_server, store_admin
):
    log_in(page, store_admin.login, "not-the-password")

    expect_login_page(page, live_server)
    expect(page.get_by_test_id("login-error")).to_have_text(
        t("User name or password is incorrect.")
    )
    expect(page.locator('input[name="login"]')).to_have_value(store_admin.login)
    expect(page.locator(".is-invalid")).to_have_count(0)  # no hint at which field was wrong


def test_a_store_that_is_down_shows_the_unavailable_message(page, live_server, reseller, settings):
    settings.ECOMMERCE_STORE = "http"
    settings.ECOMMERCE_ALLOW_HTTP = True  # so that the store is refused by the network, not by us
    settings.ECOMMERCE_AUTH_URL = f"http://127.0.0.1:{closed_port()}/auth"

    response = log_in(page, "ana@revenda-a.example", PASSWORD)

    assert response.status == 200
    expect_login_page(page, live_server)
    expect(page.get_by_test_id("login-error")).to_have_text(t(STORE_UNAVAILABLE))


def test_the_side_menu_collapses_behind_a_button_on_phones(
    page, viewport, live_server, store_admin
):
    log_in(page, store_admin.login, PASSWORD)
    menu = page.get_by_role("navigation", name=t("Main menu"))
    menu_button = page.get_by_role("button", name=t("Open menu"))
    home_link = menu.get_by_role("link", name=t("Home"), exact=True)

    if viewport == "desktop":
        expect(menu_button).to_be_hidden()
        expect(home_link).to_be_visible()
        return

    expect(home_link).to_be_hidden()
    menu_button.click()
    side_menu = page.locator("#side-menu")
    expect(side_menu).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    expect(side_menu).not_to_have_class(re.compile(r"showing"))
    expect(home_link).to_be_visible()
    expect(home_link).to_be_in_viewport(ratio=1)
    check_page(page)  # the open menu passes the same checks
