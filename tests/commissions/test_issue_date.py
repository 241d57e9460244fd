"""Commission.issue_date, due_date and installment_paid_date are copies of its installment's
dates, so the list sorts and filters on one table; every way an installment or a commission is
written keeps the copies."""

import datetime as dt

from commissions.models import Commission
from tests.factories import CommissionFactory, InstallmentFactory


def copied(commission, field="issue_date"):
    return Commission.objects.values_list(field, flat=True).get(pk=commission.pk)


def test_a_new_commission_copies_its_installment_s_issue_date(account_a):
    installment = InstallmentFactory(account=account_a, issue_date=dt.date(2026, 2, 3))
    assert copied(CommissionFactory(installment=installment)) == dt.date(2026, 2, 3)


def test_changing_the_installment_s_issue_date_updates_the_copy(account_a):
    commission = CommissionFactory(installment__account=account_a)
    installment = commission.installment

    installment.issue_date = dt.date(2025, 12, 24)
    installment.save(update_fields=["issue_date"])
    assert copied(commission) == dt.date(2025, 12, 24)

    installment.issue_date = dt.date(2025, 12, 26)
    installment.save()
    assert copied(commission) == dt.date(2025, 12, 26)


def test_saving_other_installment_fields_leaves_the_copy_alone(
    account_a, django_assert_num_queries
):
    commission = CommissionFactory(installment__account=account_a)
    installment = commission.installment
    installment.amount = 1
    with django_assert_num_queries(1):  # the UPDATE of the installment alone
        installment.save(update_fields=["amount"])
    assert copied(commission) == installment.issue_date


def test_a_new_commission_copies_its_installment_s_due_date(account_a):
    installment = InstallmentFactory(account=account_a, due_date=dt.date(2026, 3, 5))
    assert copied(CommissionFactory(installment=installment), "due_date") == dt.date(2026, 3, 5)


def test_changing_the_installment_s_due_date_updates_the_copy(account_a):
    commission = CommissionFactory(installment__account=account_a)
    installment = commission.installment
    installment.due_date = dt.date(2026, 6, 30)
    installment.save(update_fields=["due_date"])
    assert copied(commission, "due_date") == dt.date(2026, 6, 30)


def test_the_customer_s_payment_is_copied_when_it_arrives(account_a):
    commission = CommissionFactory(installment__account=account_a)
    assert copied(commission, "installment_paid_date") is None
    installment = commission.installment
    installment.paid_date = dt.date(2026, 3, 1)
    installment.save(update_fields=["paid_date", "paid_amount"])
    assert copied(commission, "installment_paid_date") == dt.date(2026, 3, 1)
