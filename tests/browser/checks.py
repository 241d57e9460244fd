"""What every page a browser test visits must pass: axe-core and no sideways scrolling.

Navigate with `visit()` or `submit()`, which run `check_page()` on the page they land on. The
page fixture records every navigation of the main frame and fails a test that landed on a page
it never checked, so a forgotten check cannot pass silently.
"""

import os
import re
from pathlib import Path

import axe_playwright_python
from django.utils import translation

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
    """Counts the main frame's navigations and how many of them were checked."""

    def __init__(self, page):
        self.page = page
        self.urls = []
        self.checked = 0
        self.shots = 0
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame):
        if frame == self.page.main_frame:
            self.urls.append(frame.url)

    def unchecked(self):
        return self.urls[self.checked :]


def log_for(page):
    return page._portal_navigation_log


def assert_accessible(page):
    """Runs axe-core on the page; fails on any serious or critical violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
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


def check_page(page):
    """Every page a test lands on passes these checks; call it after each navigation."""
    page.wait_for_load_state("load")
    log = log_for(page)
    log.checked = len(log.urls)
    _keep_shot(page, log)
    assert_no_horizontal_scroll(page)
    assert_accessible(page)


def visit(page, url):
    """Opens `url` (relative to the live server) and checks the page."""
    response = page.goto(url)
    check_page(page)
    return response


def submit(page, button):
    """Clicks a button that navigates (a form's submit), checks the page, returns its response."""
    with page.expect_navigation() as navigation:
        button.click()
    check_page(page)
    return navigation.value


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
