"""Playwright driving Debian's Chromium against pytest-django's live server.

Every test here is marked `browser` and runs twice, at a desktop size and at a phone size. The
hooks that keep each phase's report and turn skips into failures under REQUIRE_BROWSER=1 live in
`tests/browser/hooks.py` (imported by `tests/conftest.py`).
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.browser import checks
from tests.browser.checks import NavigationLog

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 360, "height": 740},
}
# Playwright waits for elements up to this long; a bound on a hang, not a timing assertion.
ACTION_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _chromium():
    path = Path(CHROMIUM_PATH)
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    found = shutil.which(CHROMIUM_PATH)
    if found:
        return found
    pytest.skip(f"Chromium not found at {CHROMIUM_PATH}: apt-get install -y chromium")


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module, on a fresh temporary profile.

    Playwright's sync API keeps an asyncio loop running in this thread while it is started, so
    Django's ORM must be told that is fine (DJANGO_ALLOW_ASYNC_UNSAFE). Module scope stops the
    loop, and restores the variable, before the rest of the suite runs.
    """
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sync_api.expect.set_options(timeout=ACTION_TIMEOUT_MS)
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _csp_watchers():
    """Each test starts with no page watched; the page fixture checks them all at its end."""
    checks.csp_watchers.clear()
    yield
    checks.csp_watchers.clear()


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request):
    return request.param


@pytest.fixture
def page(browser, viewport, live_server, request):
    """A new browser context per test (fresh cookies), in pt-BR and São Paulo time.

    On failure a full-page screenshot and the page's HTML are kept under test-artifacts/. A test
    that passed still fails if one of its pages reported a Content Security Policy violation
    after its last check (the pages of other contexts it opened included).
    """
    phone = viewport == "phone"
    context = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORTS[viewport],
        locale="pt-BR",
        timezone_id="America/Sao_Paulo",
        is_mobile=phone,
        has_touch=phone,
        # Bootstrap then skips its transitions, so a page is checked in its settled state.
        reduced_motion="reduce",
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    log = NavigationLog(page)
    page._portal_navigation_log = log
    try:
        yield page
        reports = [getattr(request.node, f"rep_{when}", None) for when in ("setup", "call")]
        if any(report is not None and report.failed for report in reports):
            _keep_artifacts(page, request)
        else:
            unchecked = log.unchecked()
            assert not unchecked, (
                f"the test landed on {unchecked} without checking the page: "
                "navigate with visit()/submit() or call check_page() after it"
            )
            late = [line for watcher in checks.csp_watchers for line in watcher.take()]
            assert not late, "Content Security Policy violation(s) after the last check:\n" + (
                "\n".join(f"- {line}" for line in late)
            )
    finally:
        context.close()


def _keep_artifacts(page, request):
    folder = request.config.rootpath / "test-artifacts"
    folder.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.\[\]-]+", "_", request.node.nodeid)
    try:
        page.screenshot(path=folder / f"{name}.png", full_page=True)
        (folder / f"{name}.html").write_text(page.content(), encoding="utf-8")
    except Exception as exc:  # the page may be gone; the failure itself matters more
        print(f"could not keep the page of {request.node.nodeid}: {exc}")
    else:
        print(f"kept {folder / name}.png and .html")
