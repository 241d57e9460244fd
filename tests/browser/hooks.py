"""pytest hooks for the browser tests, imported by `tests/conftest.py` so they see every test.

- Each phase's report is kept on the item (`item.rep_setup`, `item.rep_call`), so the page
  fixture's teardown knows whether to keep a screenshot.
- With REQUIRE_BROWSER=1 (CI sets it), a skipped browser test is a failure: a CI run without
  Chromium must not pass by skipping the journeys.
"""

import os

import pytest

REQUIRE_BROWSER_ENV = "REQUIRE_BROWSER"


def browser_required():
    return os.environ.get(REQUIRE_BROWSER_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _skip_reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker("browser") is not None
        and browser_required()
    ):
        report.outcome = "failed"
        report.longrepr = (
            f"{REQUIRE_BROWSER_ENV}=1, so a browser test may not be skipped. "
            f"It was skipped because: {_skip_reason(report)}"
        )
