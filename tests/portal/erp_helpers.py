"""Running `manage.py import_erp` in the tests, on the sample files in samples/erp: shared by the
import engine's tests and by those of the apps' kinds."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.factories import ResellerAccountFactory

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "erp"
BROKEN = SAMPLES / "broken"
IN_ORDER = [
    ("customers", "customers.csv"),
    ("orders", "orders.xlsx"),
    ("order_lines", "order_lines.csv"),
    ("invoices", "invoices.csv"),
    ("deliveries", "deliveries.csv"),
    ("installments", "installments.csv"),
    ("commissions", "commissions.csv"),
    ("payments", "payments.csv"),
]


def run_import(kind, path):
    """Runs the command in English and returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("import_erp", kind, str(path), stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def failed_import(kind, path):
    """Runs a command that must fail; returns (the CommandError's message, stderr)."""
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("import_erp", kind, str(path), stdout=io.StringIO(), stderr=err)
    return str(raised.value), err.getvalue().strip()


def import_samples(upto=None):
    summaries = []
    for kind, name in IN_ORDER:
        summaries.append(run_import(kind, SAMPLES / name)[0])
        if kind == upto:
            break
    return summaries


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def erp_accounts(reseller_a, reseller_b):
    """The reseller accounts that the sample files name (the demo uses the same codes)."""
    for reseller, codes in (
        (reseller_a, ["M000000000LL", "M000000017LL", "M000000023LL"]),
        (reseller_b, ["M000000000BB"]),
    ):
        for code in codes:
            ResellerAccountFactory(reseller=reseller, code=code)


@pytest.fixture
def imported(erp_accounts):
    return import_samples()
