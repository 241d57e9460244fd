"""The Content Security Policy in a real browser, at a desktop size and at a phone size.

Every browser test fails on a CSP violation (tests/browser/checks.py). These tests prove that the
detector sees what the policy blocks, and cover the pages no journey visits: the Django admin,
the CSRF failure page and the chat's websocket.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.checks import check_page, submit, t, visit
from tests.browser.test_login_journey import PASSWORD, log_in
from tests.factories import (
    EcommerceUserFactory,
    OrderFactory,
    ResellerAccountFactory,
    StaffFactory,
)

pytestmark = pytest.mark.browser

STAFF_PASSWORD = "staff-pass-123"
# What an XSS hole would write into a page: each of these is blocked by the policy.
INJECTED = (
    "<script>window.injectedScriptRan = true;</script>"
    '<p class="injected-style" style="color: rgb(255, 0, 0)">styled</p>'
    '<button type="button" onclick="window.injectedHandlerRan = true">click</button>'
)
NONCE = re.compile(r"'nonce-([^']+)'")


def inject_into(page, url, markup):
    """Serves `url` as the portal answers it, its CSP header included, with `markup` (which may
    use {nonce}, the response's own nonce) added at the end of <main>."""

    def handle(route):
        response = route.fetch()
        nonce = NONCE.search(response.headers["content-security-policy"]).group(1)
        body = response.text().replace("</main>", markup.format(nonce=nonce) + "</main>", 1)
        route.fulfill(response=response, body=body)

    page.route(url, handle)


def test_an_injected_inline_script_style_and_handler_fail_the_page_check(page, live_server):
    url = live_server.url + reverse("account_login")
    nonced = '<script nonce="{nonce}">window.noncedScriptRan = true;</script>'
    inject_into(page, url, INJECTED + nonced)

    with pytest.raises(AssertionError, match="Content Security Policy") as failure:
        visit(page, url)
    report = str(failure.value)
    for directive in ("script-src-elem", "style-src-attr", "script-src-attr"):
        assert directive in report, f"{directive} missing from:\n{report}"
    assert "console: " in report  # both witnesses saw it

    # The nonce lets the page's own inline script run; nothing injected without it does.
    page.get_by_role("button", name="click").click()
    assert page.evaluate("() => window.noncedScriptRan") is True
    assert page.evaluate("() => window.injectedScriptRan") is None
    assert page.evaluate("() => window.injectedHandlerRan") is None
    colour = page.locator(".injected-style").evaluate("(p) => getComputedStyle(p).color")
    assert colour != "rgb(255, 0, 0)"

    check_page(page)  # each violation fails one check, not every later one
    # One that arrives after a check, as a swapped-in fragment would bring it, fails the next.
    page.locator("main").evaluate(
        "(main) => main.insertAdjacentHTML('beforeend', '<p style=\"color: red\">late</p>')"
    )
    with pytest.raises(AssertionError, match="style-src-attr"):
        check_page(page)


def test_a_violation_in_a_page_left_before_its_check_fails_the_next_check(page, live_server):
    url = live_server.url + reverse("account_login")
    inject_into(page, url, '<p style="color: red">styled</p>')
    page.goto(url)  # no check: the test moves on at once
    page.unroute_all()

    # The document that reported it is gone; the console kept its report.
    with pytest.raises(AssertionError, match=r"console: .*style-src"):
        visit(page, url)
    check_page(page)  # the same page without the injection is clean


def test_the_chat_websocket_may_reach_the_portal_and_no_other_host(page, live_server):
    visit(page, reverse("account_login"))
    # The live server speaks no websocket, so the socket fails, but the policy lets it try.
    page.evaluate("() => { new WebSocket(`ws://${location.host}/ws/chat/`); }")
    check_page(page)

    page.evaluate("() => { new WebSocket('ws://127.0.0.2:9/ws/chat/'); }")
    with pytest.raises(AssertionError, match="connect-src"):
        check_page(page)


def test_a_search_does_not_carry_a_style_attribute_over_the_swap(page, transactional_db):
    account = ResellerAccountFactory()
    OrderFactory.create_batch(3, account=account)
    user = EcommerceUserFactory(reseller=account.reseller, is_admin=True)
    log_in(page, user.login, PASSWORD)
    visit(page, reverse("orders:list"))

    # A password manager (or a screenshot) styles an input through the CSSOM, which the policy
    # allows, and leaves an empty style attribute behind for htmx to copy when it settles.
    page.locator("#id_number").evaluate(
        "(input) => { input.style.color = 'red'; input.style.removeProperty('color'); }"
    )
    panel = page.locator("#list-filters details")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    page.evaluate(
        """() => { window.portalSettled = new Promise((resolve) => document.body
          .addEventListener('htmx:afterSettle', () => resolve(true), {once: true})); }"""
    )
    panel.get_by_role("button", name=t("Search orders")).click()
    assert page.evaluate("() => window.portalSettled")
    check_page(page)


def test_an_expired_form_lands_on_the_portals_page_not_djangos_inline_styled_one(
    page, live_server, transactional_db
):
    visit(page, reverse("account_login"))
    page.context.clear_cookies()  # the CSRF cookie goes, as when the session expired elsewhere
    page.locator('input[name="login"]').fill("ana@revenda-a.example")
    page.locator('input[name="password"]').fill("secret-123")
    response = submit(page, page.get_by_role("button", name=t("Log in"), exact=True))

    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(t("The form has expired"))
    submit(page, page.get_by_role("link", name=t("Go to the home page")))
    expect(page.locator('input[name="password"]')).to_be_visible()


def test_the_django_admin_works_under_the_policy(page, live_server, transactional_db):
    staff = StaffFactory(email="stella@distribuidora.example", name="Stella Souza")
    order = OrderFactory()
    account = order.account

    visit(page, reverse("admin:login"), admin=True)
    page.locator('input[name="username"]').fill(staff.email)
    page.locator('input[name="password"]').fill(STAFF_PASSWORD)
    submit(page, page.locator('input[type="submit"]'), admin=True)
    expect(page.locator("#site-name")).to_be_visible()

    # A change list with actions, search and filters.
    visit(page, reverse("admin:orders_order_changelist"), admin=True)
    expect(page.locator("#result_list")).to_contain_text(order.number)
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text("1")

    # A change form with autocomplete widgets (select2) and the related-object buttons.
    visit(page, reverse("admin:accounts_reselleraccount_change", args=[account.pk]), admin=True)
    page.locator(".field-reseller .select2-selection").click()
    page.locator(".select2-search__field").fill(account.reseller.name[:4])
    expect(page.locator(".select2-results__option").first).to_contain_text(account.reseller.name)
    page.keyboard.press("Escape")
    check_page(page, admin=True)
