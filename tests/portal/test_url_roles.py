"""Every URL pattern against every role (docs/architecture.md#tests).

The list of URLs comes from the resolver, so a new view is covered the moment it is routed. A view
guarded by `module_required` / `ModuleRequiredMixin` gets its expectations from the module it
declares; any other view must be described in EXPECTED, or this test fails and says so.
"""

import re

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from collaborators.access import required_module
from collaborators.modules import Module
from tests.factories import (
    CollaboratorFactory,
    CommissionFactory,
    InstallmentFactory,
    InvoiceFactory,
    OrderFactory,
    UserFactory,
)

ROLES = ["anonymous", "no_modules", *(f"module:{m}" for m in Module.values), "admin"]
ROLES += ["other_admin", "staff"]

OK, LOGIN, ADMIN_LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", "admin_login", "403", "404"


def _everyone(outcome, **overrides):
    return {role: overrides.get(role.replace("module:", ""), outcome) for role in ROLES}


# Views that are not guarded by a module. Keys are URL names; values map role -> outcome.
EXPECTED = {
    "home": {**_everyone(OK), "anonymous": LOGIN, "staff": "redirect:admin:index"},
    "healthz": _everyone(OK),
    "account_login": {**_everyone("redirect:home"), "anonymous": OK},
    "account_logout": {**_everyone(OK), "anonymous": "redirect:account_login"},
    # The admin login tells a signed-in reseller user that the admin is not for them.
    "admin:login": {**_everyone(OK), "staff": "redirect:admin:index"},
    # Logging out of the admin is POST only.
    "admin:logout": {**_everyone("redirect:admin:index"), "staff": "405"},
}


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}", p


def _url_names():
    return sorted({name for name, _ in _walk(get_resolver().url_patterns)})


def _callback(name):
    return dict(_walk(get_resolver().url_patterns))[name].callback


# Sample arguments for admin URLs; a reseller view with arguments provides a SAMPLES entry.
ADMIN_ARGUMENT_CANDIDATES = ["1", "accounts", "auth"]
SAMPLES = {
    "orders:detail": lambda data: {"number": data["order"].number},
    "orders:invoice_file": lambda data: {"pk": data["invoice"].pk, "kind": "pdf"},
    "commissions:detail": lambda data: {"pk": data["commission"].pk},
    "collaborators:edit": lambda data: {"pk": data["collaborator"].pk},
    "collaborators:deactivate": lambda data: {"pk": data["collaborator"].pk},
    "collaborators:reactivate": lambda data: {"pk": data["collaborator"].pk},
}


@pytest.fixture
def sample_data(account_a, settings, tmp_path):
    """One object of reseller A behind every URL with arguments."""
    settings.MEDIA_ROOT = tmp_path
    invoice = InvoiceFactory(order=OrderFactory(account=account_a))
    invoice.pdf.save("danfe.pdf", ContentFile(b"%PDF-1.4 sample"))
    collaborator = CollaboratorFactory(user=UserFactory(), reseller=account_a.reseller)
    commission = CommissionFactory(installment=InstallmentFactory(account=account_a))
    return {
        "order": invoice.order,
        "invoice": invoice,
        "collaborator": collaborator,
        "commission": commission,
    }


def _reverse(name, data):
    if name in SAMPLES:
        return reverse(name, kwargs=SAMPLES[name](data))
    try:
        return reverse(name)
    except Exception:
        pass
    pattern = dict(_walk(get_resolver().url_patterns))[name].pattern
    arg_names = list(re.compile(pattern.regex.pattern).groupindex) or ["object_id"]
    for candidate in ADMIN_ARGUMENT_CANDIDATES:
        try:
            return reverse(name, kwargs=dict.fromkeys(arg_names, candidate))
        except Exception:
            continue
    raise AssertionError(f"{name}: add a SAMPLES entry so this test can build its URL")


def _admin_denies(name, user):
    """True when the admin refuses this page to staff by design (a read-only model admin)."""
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            action = name.removeprefix(prefix)
            request = RequestFactory().get("/")
            request.user = user
            checks = {
                "add": model_admin.has_add_permission,
                "delete": model_admin.has_delete_permission,
                "change": model_admin.has_view_or_change_permission,
            }
            return action in checks and not checks[action](request)
    return False


def _expected(name, role):
    if name in EXPECTED:
        return EXPECTED[name][role]
    if name.startswith("admin:"):
        if role == "staff":
            return "staff_admin"
        return ADMIN_LOGIN
    module = required_module(_callback(name))
    if module is not None:
        if role == "anonymous":
            return LOGIN
        if role in ("admin", "other_admin") or role == f"module:{module}":
            return NOT_FOUND if (role == "other_admin" and name in SAMPLES) else OK
        return FORBIDDEN
    raise AssertionError(
        f"URL {name!r} has no declared module and no entry in EXPECTED: say who may open it"
    )


@pytest.fixture
def cast(alice, charlie, stella, reseller_a):
    clients = {"anonymous": Client()}
    people = {
        "no_modules": CollaboratorFactory(user=UserFactory(), reseller=reseller_a),
        "admin": alice,
        "other_admin": charlie,
        "staff": stella,
    }
    for module in Module.values:
        people[f"module:{module}"] = CollaboratorFactory(
            user=UserFactory(), reseller=reseller_a, modules=[module]
        )
    for role, who in people.items():
        client = Client()
        client.force_login(getattr(who, "user", who), "django.contrib.auth.backends.ModelBackend")
        clients[role] = client
    return clients


def _check(response, expected, name, role, staff_denied=False):
    where = f"{name} as {role}"
    status = response.status_code
    if expected == OK:
        assert status == 200, f"{where}: expected 200, got {status}"
    elif expected == FORBIDDEN:
        assert status == 403, f"{where}: expected 403, got {status}"
    elif expected == "405":
        assert status == 405, f"{where}: expected 405, got {status}"
    elif expected == NOT_FOUND:
        assert status == 404, f"{where}: expected 404, got {status}"
    elif expected == LOGIN:
        assert status == 302, f"{where}: expected a redirect to login, got {status}"
        assert response.url.startswith(reverse("account_login")), where
    elif expected == ADMIN_LOGIN:
        assert status == 302, f"{where}: expected a redirect to the admin login, got {status}"
        assert response.url.startswith(reverse("admin:login")), where
    elif expected == "staff_admin":
        if staff_denied:  # a read-only model admin refuses this page by design
            assert status == 403, f"{where}: expected 403, got {status}"
        else:  # sample ids may not exist (302/404), but never 403 or 500
            assert status in (200, 302, 404), f"{where}: got {status}"
    elif expected.startswith("redirect:"):
        assert status == 302, f"{where}: expected a redirect, got {status}"
        assert response.url.split("?")[0] == reverse(expected.removeprefix("redirect:")), where
    else:
        raise AssertionError(f"unknown expectation {expected}")


ADMIN_EXCEPTIONS = {
    # Needs query parameters naming a model field; without them Django answers 403 by design.
    "admin:autocomplete",
}


@pytest.mark.parametrize("name", _url_names())
def test_every_url_answers_every_role_as_expected(name, cast, stella, sample_data):
    data = sample_data
    staff_denied = _admin_denies(name, stella)
    url = _reverse(name, data)
    for role in ROLES:
        expected = _expected(name, role)
        if name in ADMIN_EXCEPTIONS and role == "staff":
            continue
        response = cast[role].get(url)
        _check(response, expected, name, role, staff_denied)


def test_url_list_covers_the_portal_pages():
    names = _url_names()
    assert "home" in names and "account_login" in names and "admin:index" in names
