"""Builders shared by the commissions tests: a commission with its installment, customer and,
when asked, the request and the reseller's NF that paid it."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from commissions.models import Commission, CommissionTotal
from nfreport.models import ServiceInvoice
from tests.factories import (
    CollaboratorFactory,
    CommissionFactory,
    CommissionRequestFactory,
    InstallmentFactory,
    UserFactory,
    company,
)

S = Commission.Status


def today():
    return timezone.localdate()


def days_ago(days):
    return today() - dt.timedelta(days=days)


def commission(account, *, status=S.PROVISIONED, net="100.00", code="IMB", **installment):
    """A commission of `account` on a new installment; `installment` sets that one's fields."""
    made = InstallmentFactory(account=account, company=company(code), **installment)
    return CommissionFactory(installment=made, status=status, net_amount=Decimal(net))


def paid_commission(account, *, nf_number="4471", nf_series="1", **kwargs):
    """A paid commission, its request and the reseller's NF for that request."""
    kwargs.setdefault("paid_date", days_ago(40))
    made = commission(account, status=S.PAID, **kwargs)
    request = CommissionRequestFactory(
        reseller=account.reseller, company=made.company, total=made.net_amount, status="paid"
    )
    ServiceInvoice.objects.create(
        request=request,
        number=nf_number,
        series=nf_series,
        amount=made.net_amount,
        pdf="service-invoices/nf.pdf",
        status=ServiceInvoice.Status.PAID,
    )
    made.request = request
    made.payment_date = days_ago(3)
    made.payment_document = "5100041234"
    made.save()
    return made


def tracker(reseller, email="tina@revenda-a.example"):
    """A collaborator with only the commissions_track module."""
    from collaborators.modules import Module

    return CollaboratorFactory(
        user=UserFactory(email=email, name="Tina Teixeira"),
        reseller=reseller,
        modules=[Module.COMMISSIONS_TRACK],
    )


def pks(response):
    """The commission ids of the rows on the page, in the order shown."""
    return [row.record.pk for row in response.context["table"].page.object_list]


def form_errors(response):
    data = response.context["filter"].form.errors.as_data()
    return {name: [e.code for e in errors] for name, errors in data.items()}


def rollup():
    """CommissionTotal as {(account, company, status): (count, net total)}, empty rows left out."""
    return {
        (t.account_id, t.company_id, t.status): (t.count, t.net_total)
        for t in CommissionTotal.objects.all()
        if t.count
    }


def added_up():
    """The same figures, added up from the commissions themselves."""
    totals = {}
    for c in Commission.objects.all():
        count, net = totals.get((c.account_id, c.company_id, c.status), (0, Decimal(0)))
        totals[(c.account_id, c.company_id, c.status)] = (count + 1, net + c.net_amount)
    return totals


def assert_copies_match_their_sources():
    """Order.delivery_status, the commission's copies of its installment's dates and
    CommissionTotal all match what they copy: for data written in bulk (demo, ERP import)."""
    from django.db.models import F

    from orders.models import Delivery, Order

    assert Order.objects.exclude(delivery_status="").count() == Delivery.objects.count() > 0
    assert not Order.objects.filter(delivery__isnull=False).exclude(
        delivery_status=F("delivery__status")
    )
    assert Commission.objects.count() > 0
    assert not Commission.objects.exclude(issue_date=F("installment__issue_date"))
    assert not Commission.objects.exclude(due_date=F("installment__due_date"))
    assert Commission.objects.filter(installment_paid_date__isnull=False).exists()
    assert not Commission.objects.exclude(
        installment_paid_date=F("installment__paid_date")
    ).exclude(installment_paid_date__isnull=True, installment__paid_date__isnull=True)
    assert rollup() == added_up()
