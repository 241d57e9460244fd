"""The ERP import's kinds come from settings.ERP_KINDS: each app declares its own, and a kind
that the settings add imports like any other."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation import gettext as _

from portal import erp
from portal.management.commands.import_erp import Command
from tests.portal.erp_helpers import write

IN_ORDER = [
    "customers",
    "orders",
    "order_lines",
    "invoices",
    "deliveries",
    "installments",
    "commissions",
    "payments",
]


@pytest.fixture
def with_groups(settings):
    settings.ERP_KINDS = [*settings.ERP_KINDS, "tests.portal.erp_kinds.KINDS"]


def test_a_kind_added_in_the_settings_imports_a_file(db, with_groups, tmp_path):
    path = write(tmp_path, "groups.csv", "name\nVendas\nFinanceiro\n")
    out = io.StringIO()

    with translation.override("pt-br"):
        expected = _("%(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
        call_command("import_erp", "groups", str(path), stdout=out)

    assert out.getvalue().strip() == expected % {
        "kind": "groups",
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert sorted(Group.objects.values_list("name", flat=True)) == ["Financeiro", "Vendas"]
    again = erp.import_file(kind="Groups", path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_the_kinds_follow_the_setting_in_order_and_the_help_lists_them(settings, with_groups):
    assert list(erp.KINDS) == [*IN_ORDER, "groups"]
    assert erp.get_kind("order lines") is erp.KINDS["order_lines"]

    help_text = Command().create_parser("manage.py", "import_erp").format_help()

    assert "One of: " + ", ".join([*IN_ORDER, "groups"]) in " ".join(help_text.split())
    settings.ERP_KINDS = settings.ERP_KINDS[:-1]
    assert list(erp.KINDS) == IN_ORDER


def test_a_kind_the_settings_do_not_name_is_unknown(db, settings, tmp_path):
    settings.ERP_KINDS = ["tests.portal.erp_kinds.KINDS"]
    path = write(tmp_path, "orders.csv", "number\n1\n")

    with translation.override("pt-br"):
        expected = _("Unknown kind “%(kind)s”; use one of: %(kinds)s.")
        with pytest.raises(CommandError) as raised:
            call_command("import_erp", "orders", str(path), stdout=io.StringIO())

    assert str(raised.value) == expected % {"kind": "orders", "kinds": "groups"}


def test_two_kinds_of_the_same_name_are_refused_when_the_kinds_load(settings):
    settings.ERP_KINDS = ["orders.erp.KINDS", "tests.portal.erp_kinds.CLASHING"]

    with pytest.raises(ImproperlyConfigured) as raised:
        erp.get_kind("customers")

    assert str(raised.value) == (
        "ERP_KINDS: orders.erp.KINDS and tests.portal.erp_kinds.CLASHING both declare a kind "
        "named 'orders'."
    )
