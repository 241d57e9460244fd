"""The demo's commissions (commissions/demo.py), built by `manage.py demo_data`."""

import pytest
from django.core.management import CommandError

from accounts.models import Reseller
from commissions.models import Commission, CommissionRequest, Company, Installment
from portal.models import StatusChange
from tests.demo.helpers import TODAY, demo_data


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
def test_installments_belong_to_the_company_of_their_invoice_prefix():
    demo_data(orders=120)

    for company in Company.objects.all():
        mine = Installment.objects.filter(company=company)
        assert mine.exists()
        assert not mine.exclude(invoice_number__startswith=company.invoice_prefix).exists()
        assert Company.objects.for_invoice_number(mine.first().invoice_number) == company


@pytest.mark.django_db
def test_commissions_carry_what_their_status_needs():
    demo_data(orders=200)

    on_hold = Commission.objects.filter(status=Commission.Status.ON_HOLD)
    assert on_hold.exists()
    assert not on_hold.filter(hold_reason="").exists()
    assert not on_hold.exclude(sale_type=Commission.SaleType.GOVERNMENT).exists()
    paid = Commission.objects.filter(status=Commission.Status.PAID)
    assert not paid.filter(payment_date=None).exists()
    assert not paid.filter(payment_document="").exists()
    released = Commission.objects.filter(status=Commission.Status.RELEASED)
    assert not released.filter(installment__paid_date=None).exists()
    overdue = Installment.objects.filter(
        paid_date=None, due_date__lt=TODAY, commission__status=Commission.Status.PROVISIONED
    )
    assert overdue.exists()
    assert Commission.objects.filter(status=Commission.Status.REVERSED, net_amount__lt=0).exists()
    for request in CommissionRequest.objects.exclude(
        status__in=[CommissionRequest.Status.REFUSED, CommissionRequest.Status.CANCELLED]
    ):
        amounts = request.commissions.values_list("net_amount", flat=True)
        assert request.total == sum(abs(a) for a in amounts)
    assert StatusChange.objects.filter(to_status=Commission.Status.ON_HOLD).exists()


@pytest.mark.django_db
def test_commissions_sent_back_by_a_refused_or_cancelled_request_are_released_again():
    demo_data(orders=200)

    for status in (CommissionRequest.Status.REFUSED, CommissionRequest.Status.CANCELLED):
        request = CommissionRequest.objects.get(status=status)
        assert not request.commissions.exists()
        back = StatusChange.objects.filter(
            content_type__model="commission",
            from_status=Commission.Status.REQUESTED,
            to_status=Commission.Status.RELEASED,
            changed_at=request.status_history().last().changed_at,
        )
        assert back.exists()


@pytest.mark.django_db
def test_without_the_billing_companies_it_stops_and_writes_nothing():
    Company.objects.filter(code="BRLINK").delete()

    with pytest.raises(CommandError, match=r"Companies missing \(run migrate first\): BRLINK"):
        demo_data()

    assert not Reseller.objects.exists()
