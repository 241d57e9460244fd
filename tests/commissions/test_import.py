"""The ERP kinds of the commissions area (commissions/erp.py), imported from the sample files in
samples/erp."""

import datetime as dt
from decimal import Decimal

from commissions.models import Commission, Installment
from tests.commissions.helpers import assert_copies_match_their_sources
from tests.portal.erp_helpers import (
    BROKEN,
    SAMPLES,
    failed_import,
    import_samples,
    run_import,
    write,
)


def commission(invoice_number, installment):
    return Commission.objects.get(
        installment__invoice_number=invoice_number, installment__number=installment
    )


def test_imported_installments_are_typed_and_linked(imported):
    installment = Installment.objects.get(invoice_number="879020415", number=2)
    assert installment.company.code == "IMT"
    assert installment.amount == Decimal("59465.13")
    assert installment.due_date == dt.date(2025, 6, 23)
    assert installment.order.number == "4500012305"


def test_imported_deliveries_and_commissions_fill_the_lists_copies(imported, tmp_path):
    assert_copies_match_their_sources()

    installment = Installment.objects.filter(commission__isnull=False).first()
    path = write(
        tmp_path,
        "installments-corrected.csv",
        "invoice_number,installment,account_code,customer_code,issue_date,due_date,amount\n"
        f"{installment.invoice_number},{installment.number},{installment.account.code},"
        f"{installment.customer.code},2024-01-02,{installment.due_date.isoformat()},"
        f"{installment.amount}\n",
    )
    run_import("installments", path)
    assert Commission.objects.get(installment=installment).issue_date == dt.date(2024, 1, 2)


def test_payment_releases_the_commission_and_records_it(imported):
    paid = commission("809104511", 1)
    assert paid.status == Commission.Status.RELEASED
    assert paid.installment.paid_date == dt.date(2025, 4, 5)
    assert paid.installment.paid_amount == Decimal("7410.00")
    [change] = paid.status_history()
    assert (change.from_status, change.to_status) == ("provisioned", "released")
    assert change.reason == "ERP import payments.csv"
    assert change.changed_by is None

    unpaid = commission("879020331", 2)
    assert unpaid.status == Commission.Status.PROVISIONED
    assert not unpaid.status_history().exists()


def test_government_commission_starts_on_hold_and_stays_there_after_payment(imported):
    held = commission("829009876", 1)
    assert held.sale_type == Commission.SaleType.GOVERNMENT
    assert held.installment.paid_date == dt.date(2025, 5, 10)
    assert held.status == Commission.Status.ON_HOLD
    assert held.hold_reason == "compliance approval"
    assert not held.status_history().exists()


def test_status_given_by_the_erp_is_used_for_a_new_commission(imported):
    # The sample gives the English label, "Cancelled".
    assert commission("829009901", 2).status == Commission.Status.CANCELLED


def test_commission_arriving_after_its_payment_starts_released(erp_accounts):
    import_samples(upto="installments")
    run_import("payments", SAMPLES / "payments.csv")

    run_import("commissions", SAMPLES / "commissions.csv")

    assert commission("809104511", 1).status == Commission.Status.RELEASED
    assert commission("829009876", 1).status == Commission.Status.ON_HOLD
    assert commission("879020331", 2).status == Commission.Status.PROVISIONED


def test_bad_installments_file_writes_nothing_and_reports_every_bad_row(erp_accounts):
    run_import("customers", SAMPLES / "customers.csv")

    message, err = failed_import("installments", BROKEN / "installments.csv")

    assert message == "4 errors in installments.csv; nothing from it was imported."
    assert err.splitlines() == [
        "line 3, field due_date: Enter a valid date.",
        "line 4, field account_code: Unknown reseller account “M999999999ZZ”.",
        "line 5, field amount: Enter a number such as 1234.56 or 1.234,56.",
        "line 6, field invoice_number: "
        "No company has an invoice prefix that matches invoice number “990000001”.",
    ]
    # Lines 2 and 7 are good, but nothing from a bad file is written.
    assert not Installment.objects.exists()


def test_payment_of_an_unknown_installment_is_a_row_error(db, tmp_path):
    path = write(
        tmp_path,
        "payments.csv",
        "invoice_number,installment,paid_date,paid_amount\n809999999,1,2025-04-05,10.00\n",
    )

    _message, err = failed_import("payments", path)

    assert (
        err == "line 2, field invoice_number: Unknown installment “809999999-1”; import it first."
    )
