"""What every page a browser test visits must pass: axe-core, no sideways scrolling and no
Content Security Policy violation.

Navigate with `visit()` or `submit()`, which run `check_page()` on the page they land on. The
page fixture records every navigation of the main frame and fails a test that landed on a page
it never checked, so a forgotten check cannot pass silently. It also fails a test whose pages
reported a CSP violation after their last check.
"""

import contextlib
import functools
import os
import re
from pathlib import Path

import axe_playwright_python
from django.utils import translation
from playwright.sync_api import Error as PlaywrightError

AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
# Set BROWSER_SHOTS=/some/dir to keep a screenshot of every checked page (for a human look).
SHOTS_ENV = "BROWSER_SHOTS"


def t(message, **values):
    """The pt-BR text of a source string, as the page shows it (works before the catalogue)."""
    with translation.override("pt-br"):
        text = translation.gettext(message) if isinstance(message, str) else str(message)
    return text % values if values else text


class NavigationLog:
    """Counts the main frame's navigations and how many of them were checked.

    Every page a test drives gets one, so it also attaches the page's CSP watcher.
    """

    def __init__(self, page):
        self.page = page
        self.urls = []
        self.checked = 0
        self.shots = 0
        self.csp = CspWatcher(page)
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame):
        if frame == self.page.main_frame:
            self.urls.append(frame.url)

    def unchecked(self):
        return self.urls[self.checked :]


def log_for(page):
    return page._portal_navigation_log


# Runs in every document of the page before its own scripts; CSP does not apply to it. It keeps
# the document's violations, including those reported before the page finished loading.
CSP_LISTENER_JS = """(() => {
  const seen = [];
  Object.defineProperty(window, '__portalCspViolations', {value: seen});
  document.addEventListener('securitypolicyviolation', (event) => {
    seen.push({
      directive: event.effectiveDirective,
      blocked: event.blockedURI,
      source: event.sourceFile,
      line: event.lineNumber,
      document: event.documentURI,
    });
  }, true);
})()"""
# Read a task later, so that a violation the last step caused has been dispatched.
TAKE_CSP_VIOLATIONS_JS = """() => new Promise((resolve) => setTimeout(
  () => resolve(window.__portalCspViolations ? window.__portalCspViolations.splice(0) : []), 0))"""
# Chromium writes one console error per violation: "Executing inline script violates the
# following Content Security Policy directive 'script-src ...'. ... The action has been blocked."
CSP_CONSOLE_MARK = "Content Security Policy"
# The watchers of the pages the current test opened (the browser conftest resets it per test).
csp_watchers = []


class CspWatcher:
    """Every Content Security Policy violation of one page, in any of the documents it showed.

    Two witnesses: the document's `securitypolicyviolation` events, read at each check, and the
    console, which also keeps what a document reported after its check and before the next
    navigation replaced it.
    """

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(CSP_LISTENER_JS)
        page.on("console", self._console)
        csp_watchers.append(self)

    def _console(self, message):
        if CSP_CONSOLE_MARK in message.text:
            where = message.location.get("url") or self.page.url
            self.console.append(f"{where}: {message.text}")

    def take(self):
        """The violations not reported yet, as lines; each is reported once."""
        events = []
        if not self.page.is_closed():
            # A document that is going away answers nothing; the console has what it reported.
            with contextlib.suppress(PlaywrightError):
                events = self.page.evaluate(TAKE_CSP_VIOLATIONS_JS)
        lines = [
            f"{e['directive']} blocked {e['blocked'] or '(unnamed)'}"
            f" at {e['source'] or e['document']}:{e['line']}"
            for e in events
        ]
        lines += [f"console: {text}" for text in self.console]
        self.console.clear()
        return lines


def assert_no_csp_violation(page):
    """Fails when the page reported a Content Security Policy violation since its last check."""
    found = log_for(page).csp.take()
    if found:
        raise AssertionError(
            f"Content Security Policy violation(s) on {page.url}:\n"
            + "\n".join(f"- {line}" for line in found)
        )


def assert_accessible(page, *, read_stylesheets=True):
    """Runs axe-core on the page; fails on any serious or critical violation.

    With read_stylesheets=False axe skips its CSS checks (orientation lock): it reads a sheet
    with @import rules by copying them into <style> elements, which the page's CSP blocks.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated, not added as a <script>: the page's CSP would block an inline script.
        page.evaluate(_axe())
    results = page.evaluate(
        "(preload) => axe.run(document, {resultTypes: ['violations'], preload})",
        read_stylesheets,
    )
    blocking = [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"axe-core found {len(blocking)} serious/critical violation(s) on {page.url}:"]
        for violation in blocking:
            lines.append(
                f"- [{violation['impact']}] {violation['id']}: {violation['help']} "
                f"({violation['helpUrl']})"
            )
            for node in violation["nodes"][:10]:
                summary = " ".join((node.get("failureSummary") or "").split())
                lines.append(f"    at {node['target']}: {summary}")
        raise AssertionError("\n".join(lines))


OVERFLOW_JS = """() => {
  const limit = Math.min(window.innerWidth, document.documentElement.clientWidth);
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > limit + 0.5) {
      const id = el.id ? '#' + el.id : '';
      const cls = el.classList.length ? '.' + [...el.classList].join('.') : '';
      wide.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(box.right)})`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    wide: wide.slice(0, 10),
  };
}"""


def assert_no_horizontal_scroll(page):
    """Phone users must never scroll sideways: the document is no wider than the window."""
    found = page.evaluate(OVERFLOW_JS)
    # On an emulated phone Chrome may widen the layout to fit overflowing content, so the
    # configured viewport width is the limit as well.
    limit = min(found["innerWidth"], page.viewport_size["width"])
    assert found["scrollWidth"] <= limit, (
        f"{page.url} scrolls sideways: scrollWidth {found['scrollWidth']} > {limit} px. "
        f"Elements past the right edge: {', '.join(found['wide']) or 'none found'}"
    )


def check_page(page, *, admin=False):
    """Every page a test lands on passes these checks; call it after each navigation.

    admin=True for the Django admin, which Django lays out for staff at a desk: it may scroll
    sideways on a phone, and its stylesheets' @import rules keep axe from its CSS checks.
    """
    page.wait_for_load_state("load")
    log = log_for(page)
    log.checked = len(log.urls)
    _keep_shot(page, log)
    assert_no_csp_violation(page)
    if not admin:
        assert_no_horizontal_scroll(page)
    assert_accessible(page, read_stylesheets=not admin)
    # What the page did while axe ran counts too.
    assert_no_csp_violation(page)


def visit(page, url, **checks):
    """Opens `url` (relative to the live server) and checks the page."""
    response = page.goto(url)
    check_page(page, **checks)
    return response


def submit(page, button, **checks):
    """Clicks a button that navigates (a form's submit), checks the page, returns its response."""
    with page.expect_navigation() as navigation:
        button.click()
    check_page(page, **checks)
    return navigation.value


@functools.cache
def _axe():
    return AXE_JS.read_text(encoding="utf-8")


def _keep_shot(page, log):
    folder = os.environ.get(SHOTS_ENV)
    if not folder:
        return
    log.shots += 1
    # PYTEST_CURRENT_TEST is "path::test_name[viewport] (call)".
    test = os.environ.get("PYTEST_CURRENT_TEST", "page").split("::")[-1].split(" ")[0]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", test).strip("_")
    Path(folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=Path(folder) / f"{name}-{log.shots}.png", full_page=True)
